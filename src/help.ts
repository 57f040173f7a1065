export const HELP = `coder-preflight — will Coder run well on this Kubernetes cluster and this PostgreSQL database?

Usage
  coder-preflight [run] [flags]      run the checks (default)
  coder-preflight list               list every check: id, title, category, what it needs
  coder-preflight explain <id>       what a check looks at, why Coder needs it, how to fix it
  coder-preflight cleanup            remove what probes of earlier runs left (by label, cluster-wide)

Targets
  --kubeconfig <file>        kubeconfig to use (default: $KUBECONFIG, then ~/.kube/config)
  --context <name>           kubeconfig context (default: its current-context)
  -n, --namespace <ns>       namespace Coder will be installed into (default: coder)
  --postgres-url <url>       database URL as Coder gets it (default: $CODER_PG_CONNECTION_URL);
                             parsed like Coder's Go driver: no sslmode means sslmode=require
  --password-file <file>     the database password, as Coder v1 reads DB_PASSWORD_PATH (one
                             trailing newline dropped); on a terminal, a missing password is asked
                             for (hidden) unless --no-input, CI is set, or the login uses a
                             client certificate or IAM
  -f, --values <file>        the Helm values file for the Coder chart (v1 or v2): gives the
                             profile, the replica count and the database settings (Secrets read)
  --manifests <file>         the output of helm template: judge exactly these objects instead of
                             the chart rendered from --values
  --release-name <name>      the Helm release name (default: coder)
  --coder-version <v>        the Coder version you will install (e.g. 2.18.0); picks thresholds
  --replicas <n>             Coder replicas you will run (default: from --values, else 1)
  --users <n>                size against Coder's validated architecture for n users (1k, 2k,
                             3k, 10k tiers): replicas, requests, node room, with the arithmetic
  --control-plane-selector <label=value,…>
                             the nodes Coder's pods go to (default: the values' nodeSelector/affinity)
  --workspace-selector <label=value,…>
                             the nodes workspaces go to (default: the nodes outside the control plane)
  --access-url <url>         the URL users and workspaces reach Coder at (default:
                             $CODER_ACCESS_URL, else CODER_ACCESS_URL from --values); checked
                             from here: DNS, TCP, TLS, HTTP, and /healthz once Coder answers
  --wildcard-access-url <*.domain>
                             the wildcard for apps (default: $CODER_WILDCARD_ACCESS_URL, else
                             from --values)
  --ca-bundle <file>         PEM CA certificate(s) to trust besides the system roots when
                             verifying the access URL's certificate (a private CA)
  --upgrade-url <url>        a WebSocket echo service behind the same proxy as Coder, for
                             access-url.upgrade before Coder answers (default: Coder's /derp)

Selection
  --check <id|glob|category> run only these checks (repeatable, comma-separated; also a tag
                             or a plugin's name)
  --skip <id|glob|category>  do not run these checks (repeatable, comma-separated)

Active probes (opt-in: they create a scratch namespace coder-preflight-<run id> with a few small
pods, removed at the end of the run, on Ctrl-C and on --timeout)
  --active                   run every probe
  --probe <name>             run this probe (repeatable): dynamic-provisioning (a volume binds,
                             mounts and keeps data), network-policy (a deny-all policy blocks),
                             pg-latency (the database's round trip from Coder's nodes),
                             pg-connect (Coder's login to the database, from its nodes),
                             access-url (the access URL from the workspace namespaces),
                             egress (the registries an install needs, from Coder's namespace)
  --probe-image <ref>        the probe pods' image (default: docker.io/library/node:24-slim)
  --probe-registry <prefix>  pull it through this registry or mirror (air-gapped clusters), e.g.
                             registry.example.com/dockerhub → registry.example.com/dockerhub/library/node:24-slim
  --egress-endpoint <url>    what the egress probe walks to (repeatable; replaces its defaults:
                             the Coder image's registry, releases.hashicorp.com,
                             registry.terraform.io, registry.coder.com): mirrors, air-gapped sites
  --probe-pull-secret <[ns/]name>
                             image pull Secret (default namespace: --namespace), copied into the
                             scratch namespace for the run

Config and plugins
  -c, --config <file>        config file (default: coder-preflight.config.yaml, .yml or .json in
                             the working directory): check/skip, failOn, plugins, and thresholds
                             per check id; schema/config.schema.json, docs/thresholds.md
  --plugin <path|package>    load third-party checks (repeatable); their ids are <plugin>/…

Saved facts and support bundles
  --save-facts <file>        also write every fact gathered (redacted JSON) with the run's settings
  --from-facts <file>        judge saved facts offline instead of connecting; the same results
                             (--coder-version and --replicas re-judge them)
  --bundle <file.tar.gz>     also write a support bundle: the report (JSON, Markdown, JUnit, HTML),
                             the facts every check saw, probe logs, the command line and versions,
                             and redaction.json (what was masked, where, how often; never values)
  --from-bundle <file>       judge a bundle's facts offline, as --from-facts does
  --redact-hosts             replace host names and IP addresses with placeholders (host-1, ip-1)
                             in every output and bundle file (default: kept; secrets never are)

Output
  -o, --output <fmt>[=<file>]  table | json | junit | markdown | sarif | html; repeatable, e.g.
                             -o table -o json=report.json -o junit=junit.xml (default: table)
  --fail-on <warn|fail>      exit non-zero on warnings too (default: fail)
  --timeout <duration>       give up on the whole run after this long (default: 60s; e.g. 30s, 2m)
  --verbose                  show evidence for every check in the table
  --no-color                 no colours (also NO_COLOR=1); --color forces them
  --debug                    stack traces and fact timings on stderr
  -h, --help                 this help
  -v, --version              print the version

Exit codes
  0 all passed (or warnings)   1 a check could not decide (error)   2 usage or configuration error
  3 a requirement is not met (fail)   4 warnings with --fail-on warn   130 interrupted

Examples
  npx coder-preflight --kubeconfig ~/.kube/config --postgres-url "$CODER_PG_CONNECTION_URL"
  coder-preflight -f values.yaml -n coder -o table -o junit=preflight.xml --fail-on warn
  coder-preflight -f values.yaml -o markdown=preflight.md -o json=preflight.json
  coder-preflight -f values.yaml --save-facts facts.json     # later, anywhere: --from-facts facts.json
  coder-preflight -f values.yaml --bundle preflight.tar.gz   # attach to a support ticket
  coder-preflight run --from-bundle preflight.tar.gz -o html=report.html
`;
