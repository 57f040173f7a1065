// The most reported Coder install failure: workspaces that cannot reach the access URL (the agent
// stays "Connecting", "failed to download coder agent"; coder-install-failures.md §2.3 N1, 13
// reports): no DNS record, a name only this machine's /etc/hosts knows, a load balancer with no
// listener, a port that speaks HTTP to an https URL, an authenticating proxy that answers the agent
// download with its login page ("./coder: Syntax error: newline unexpected"). Each step is judged
// from where it was measured; the same steps from pods come with the probes.
import { defineCheck } from '../../src/engine/define.ts';
import type { CheckOutcome, Evidence } from '../../src/engine/types.ts';
import { routeFor } from '../../src/access/front-door.ts';
import type { DnsResult, HttpProbe, ReachResult, StepError } from '../../src/access/types.ts';
import { hostKind, maskUserinfo } from '../../src/access/url.ts';
import type { AccessUrlReachFact } from '../../src/facts/access-url/reach.ts';
import type { AccessUrlSettingsFact } from '../../src/facts/access-url/settings.ts';

type Verdict = 'pass' | 'warn' | 'fail' | 'error';

interface Finding {
  status: Exclude<Verdict, 'pass'>;
  summary: string;
  remediation: string;
}

const SEVERITY: Record<Verdict, number> = { pass: 0, warn: 1, error: 2, fail: 3 };
/** Failures that say the same from anywhere; the others (timeouts, no route) may be this machine's network. */
const AMBIGUOUS = new Set(['ETIMEDOUT', 'ETIMEOUT', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ESERVFAIL', 'ABORTED']);
const PODS_LATER = 'pods resolve and route through the cluster: --probe access-url walks it from there';

const err = (e: StepError | null | undefined) => (e ? `${e.code}: ${e.message}` : 'unknown error');

/** What OpenSSL's handshake errors mean for the access URL. */
function tlsWords(e: StepError): string {
  const m = e.message.toLowerCase();
  if (m.includes('wrong version number') || m.includes('packet length too long') || m.includes('http request')) return 'the port speaks plain HTTP, not TLS: the https URL points at an http listener';
  if (m.includes('unrecognized name')) return 'the server has no certificate for this name (TLS alert unrecognized_name: SNI)';
  if (m.includes('unsupported protocol') || m.includes('protocol version')) return 'the server offers only TLS versions older than 1.2, which Go clients (the agent) refuse';
  if (m.includes('handshake failure') || m.includes('no shared cipher')) return 'the server refused the handshake (no certificate for this name, or no cipher in common)';
  if (e.code === 'ECONNRESET' || m.includes('socket disconnected')) return 'the connection was closed during the handshake (a proxy that does not speak TLS on this port, or SNI routing with no route for this name)';
  if (e.code === 'ETIMEDOUT') return 'no TLS answer in time';
  return e.message;
}

/** Location of a redirect to another host than the access URL's. */
function foreignRedirect(p: HttpProbe | null | undefined, authority: string): string | null {
  if (!p?.location || !p.status || p.status < 300 || p.status > 399) return null;
  try {
    const to = new URL(p.location, `https://${authority}`);
    return to.host.toLowerCase() !== authority.toLowerCase() ? to.origin + to.pathname : null;
  } catch {
    return null;
  }
}

const loginLike = (p: HttpProbe | null | undefined, authority: string) => !!p && (foreignRedirect(p, authority) !== null || p.status === 401 || p.status === 407 || (p.status === 403 && p.body === 'html'));

function dnsFindings(d: DnsResult, label: string, allowLoopback: boolean, f: Finding[]): void {
  const hostsLines = d.hostsFile?.entries ?? [];
  if (hostsLines.length && d.dnsOnly) {
    const lines = hostsLines.map((e) => `line ${e.line}: ${e.address}`).join(', ');
    if (!d.dnsOnly.addresses.length) {
      f.push({ status: 'warn', summary: `${label} resolves here only through ${d.hostsFile!.file} (${lines}); DNS has no record for it (${d.dnsOnly.error?.code ?? 'no answer'}), so pods and other machines cannot resolve it`, remediation: `create a DNS record for ${d.host} that the cluster's DNS and your users' resolvers answer (or a split-horizon zone), and drop the ${d.hostsFile!.file} entry` });
    } else if (d.dnsOnly.addresses.join(',') !== hostsLines.map((e) => e.address).join(',')) {
      f.push({ status: 'warn', summary: `${label}: this machine's ${d.hostsFile!.file} (${lines}) overrides DNS (${d.dnsOnly.addresses.join(', ')}): the steps here went to the hosts file's address, pods and other machines go to DNS's`, remediation: `drop the ${d.hostsFile!.file} entry and run again, so this check walks the path everyone else takes` });
    }
  }
  const kinds = d.addresses.map(hostKind);
  if (!allowLoopback && d.addresses.length && kinds.every((k) => k === 'loopback' || k === 'unspecified')) {
    f.push({ status: 'warn', summary: `${label} resolves to ${d.addresses.join(', ')} here, a loopback address: from any other machine or pod it names that machine itself (Coder warns at start-up that such a URL "isn't externally reachable")`, remediation: 'point the DNS records at the load balancer or Ingress address (set thresholds.access-url.reachability.allowLoopback: true in a config file only when the front door really runs on this machine)' });
  }
}

export default defineCheck({
  id: 'access-url.reachability',
  title: 'The access URL is reachable: DNS, TCP, TLS and HTTP, and Coder\'s agent download once it runs',
  category: 'access-url',
  facts: ['access-url.reach', 'access-url.settings'],
  defaults: {
    baseline: { allowLoopback: false, source: 'coder-preflight: an access URL that resolves to a loopback address names each client itself (Coder warns the same: cli/server.go IsLocalURL)' },
  },
  docs: 'https://coder.com/docs/admin/setup#access-url',
  explain: {
    what: 'Walks the path to the access URL from this machine, in order, stopping at the first step that fails: DNS (the system resolver; a name only /etc/hosts knows is told apart by asking DNS too), TCP to each address, the TLS handshake (https), an HTTP request; then, when something answers, GET /healthz (Coder answers "OK"), /api/v2/buildinfo, and the agent download path bin/coder-linux-amd64 (HEAD, then its first 4 bytes: an ELF binary, not an HTML login page or a redirect). A random name under the wildcard access URL must resolve too. With --probe access-url (or --active), a pod in each workspace namespace (on the workspace nodes, under that namespace\'s NetworkPolicies; the scratch namespace when it does not exist yet) walks the same steps with the cluster\'s DNS, and a name that resolves here but not there (split-horizon DNS, an /etc/hosts entry) is named as such. Every result names where it was measured.',
    why: 'Every workspace\'s init script downloads the agent from ${ACCESS_URL}bin/coder-linux-<arch> and the agent connects back there; users\' browsers and the CLI use the same URL. A missing DNS record, a load balancer without a listener, an http listener behind an https URL, or a single sign-on proxy in front (which answers the agent with its login page) leave workspaces stuck "Connecting".',
    fix: 'Create the DNS record (and the wildcard record) for the load balancer or Ingress address; open the port in firewalls and security groups; make the port speak TLS for an https URL; exempt Coder\'s host, or at least /bin/, /api/ and /derp, from authenticating proxies.',
  },
  evaluate({ 'access-url.reach': r, 'access-url.settings': s }: { 'access-url.reach': AccessUrlReachFact; 'access-url.settings': AccessUrlSettingsFact }, { options }) {
    const vantage = r.vantage;
    const url = maskUserinfo(r.url);
    const here = walkFindings(r, s, options, `from ${vantage}`, false);
    const f = [...here.f];
    const steps = here.steps;
    const coderWords = here.coderWords;
    const evidence: Evidence = { url, urlWhere: r.urlWhere, vantage, ...here.evidence };
    if (r.wildcardNotWalked) evidence.wildcardNotWalked = r.wildcardNotWalked;
    // From pods in the workspace namespaces (--probe access-url): the same steps, judged the same,
    // and a name that resolves here but not there said as such.
    const pods = r.pods;
    const podLines: string[] = [];
    for (const w of pods?.walks ?? []) {
      const where = `a pod in namespace ${w.namespace}${w.node ? ` on node ${w.node}` : ''}${w.fallback ? ` (for ${w.for}: ${w.fallback})` : ''}`;
      if (!w.result) {
        f.push({ status: 'warn', summary: `From ${where}, the access URL could not be walked: ${w.problem ?? 'no report'}`, remediation: 'see why the probe pod did not report (the evidence), then run again' });
        podLines.push(`${where}: not walked (${w.problem ?? 'no report'})`);
        continue;
      }
      const pr = w.result;
      const pw = walkFindings(pr, s, options, `from ${where}`, true);
      const code = pr.dns.error?.code;
      if (r.dns.ok && !pr.dns.ok && (code === 'ENOTFOUND' || code === 'ENODATA')) {
        const hostsOnly = (r.dns.hostsFile?.entries.length ?? 0) > 0 && !(r.dns.dnsOnly?.addresses.length);
        f.push({
          status: 'fail',
          summary: `DNS: ${r.host} resolves here (${r.dns.addresses.join(', ')}) but not from ${where} (${code}): ${hostsOnly ? `only this machine's ${r.dns.hostsFile!.file} names it` : 'split-horizon DNS: the cluster\'s resolver does not know the name this machine\'s resolver answers'}; workspaces there would not find Coder`,
          remediation: `make the cluster's DNS resolve ${r.host} (a record in the zone the nodes' resolver serves, or a CoreDNS forward/rewrite for that zone)`,
        });
        f.push(...pw.f.filter((x) => !x.summary.startsWith('DNS: ')));
      } else f.push(...pw.f);
      podLines.push(`${where}: ${pw.steps.join(', ') || `stopped at ${pr.failedAt}`}`);
    }
    if (pods) evidence.fromPods = podLines.length ? podLines : [`not walked: ${pods.notWalked ?? 'no pod'}`];
    if (r.podsProblem) evidence.fromPods = [`not walked: ${r.podsProblem}`];
    const podsWalked = (pods?.walks ?? []).filter((w) => w.result).length;
    const podWords = podsWalked ? `; and from ${podsWalked === 1 ? 'a pod' : `${podsWalked} pods`} where workspaces run (${(pods?.walks ?? []).filter((w) => w.result).map((w) => `namespace ${w.namespace}`).join(', ')})` : ` (${PODS_LATER})`;
    evidence.steps = steps;
    if (f.length) {
      const sorted = [...f].sort((a, b) => SEVERITY[b.status] - SEVERITY[a.status]);
      const [first, ...rest] = sorted;
      const outcome: CheckOutcome = {
        status: first!.status,
        summary: `${first!.summary}${rest.length ? ` (and ${rest.length} more: see findings)` : ''}`,
        remediation: [...new Set(sorted.map((x) => x.remediation))].join('; '),
        evidence: { ...evidence, findings: sorted.map((x) => `${x.status}: ${x.summary}`) },
        vantage,
      };
      return outcome;
    }
    return {
      status: 'pass',
      summary: `${url} is reachable from ${vantage}: ${steps.join(', ')}${coderWords}${podWords}`,
      evidence,
      vantage,
    };
  },
});

/** The findings of one walk, from one vantage point (this machine, or a pod where workspaces run). */
function walkFindings(r: ReachResult, s: AccessUrlSettingsFact, options: { allowLoopback: boolean }, from: string, inCluster: boolean): { f: Finding[]; steps: string[]; coderWords: string; evidence: Evidence } {
  const server = `${r.host}:${r.port}`;
  // Before an install, a load balancer the chart creates has no address yet: its DNS record and
  // listener come after. Failures to reach it are then expected, and only warn.
  const route = s.frontDoor ? routeFor(s.frontDoor, r.host) : { kind: 'none' as const };
  const chartMakesAddress = route.kind === 'service' && (route.service.type === 'LoadBalancer' || route.service.type === 'NodePort');
  const beforeInstall = chartMakesAddress ? ` — expected before the install if the record will point at the ${route.service.type} Service the chart creates (${route.service.name}); run again after the install` : '';
  // From a pod, where workspaces run, no answer is an answer: a failure; from here it may be this machine's network.
  const reachFailure = (code: string): Exclude<Verdict, 'pass'> => (chartMakesAddress ? 'warn' : AMBIGUOUS.has(code) && !inCluster ? 'error' : 'fail');
  const f: Finding[] = [];
  const steps: string[] = [];
  const evidence: Evidence = { addresses: r.dns.addresses, stoppedAt: r.failedAt };

  // DNS
  if (!r.dns.ok) {
    const code = r.dns.error?.code ?? 'ENODATA';
    const definite = code === 'ENOTFOUND' || code === 'ENODATA';
    f.push({
      status: definite ? reachFailure(code) : chartMakesAddress ? 'warn' : 'error',
      summary: definite ? `DNS: ${r.host} does not resolve ${from} (${code}: no record)${beforeInstall}` : `DNS: the resolver gave no answer for ${r.host} ${from} (${err(r.dns.error)})`,
      remediation: definite ? `create an A/AAAA or CNAME record for ${r.host} pointing at the load balancer or Ingress address` : 'check this machine\'s resolver (resolv.conf, VPN), then run again',
    });
  } else {
    steps.push(r.dns.literal ? `${r.host} (an address)` : `DNS ${r.host} → ${r.dns.addresses.join(', ')} (${r.dns.ms} ms)`);
    dnsFindings(r.dns, `The access URL's host ${r.host}`, options.allowLoopback, f);
  }

  // TCP
  if (r.tcp && !r.tcp.ok) {
    const last = r.tcp.attempts[r.tcp.attempts.length - 1];
    const code = last?.error?.code ?? 'ERROR';
    const tried = r.tcp.attempts.map((a) => `${a.address}: ${a.error?.code ?? '?'}`).join(', ');
    const words = code === 'ECONNREFUSED' ? 'refused the connection: nothing listens there (no listener on the load balancer for this port, or a Service without it)' : code === 'ETIMEDOUT' ? 'did not answer (a firewall or security group drops it, or nothing routes there)' : `could not be reached (${code})`;
    f.push({ status: reachFailure(code), summary: `TCP: port ${r.port} at ${tried} ${words}, ${from}${beforeInstall}`, remediation: code === 'ECONNREFUSED' ? `make the load balancer or Ingress listen on ${r.port} (the Service's port ${r.port}, or drop the port from the access URL)` : `open port ${r.port} to ${r.host} in firewalls and security groups, from where users and workspaces are` });
  } else if (r.tcp) {
    steps.push(`TCP ${r.tcp.address}:${r.port} (${r.tcp.attempts[r.tcp.attempts.length - 1]!.ms} ms${r.tcp.attempts.length > 1 ? `, after ${r.tcp.attempts.length - 1} refused` : ''})`);
  }

  // TLS
  if (r.tls && !r.tls.ok) {
    const e = r.tls.error ?? { code: 'ERROR', message: 'failed' };
    f.push({ status: e.code === 'ETIMEDOUT' ? (chartMakesAddress ? 'warn' : 'error') : 'fail', summary: `TLS: the handshake with ${server}${r.tls.servername ? ` (SNI ${r.tls.servername})` : ''} failed ${from}: ${tlsWords(e)} (${e.code})`, remediation: `make ${server} terminate TLS with a certificate for ${r.host} (an Ingress with tls, coder.tls.secretNames, or the load balancer), or use http:// if it really serves plain HTTP` });
  } else if (r.tls) {
    steps.push(`TLS ${r.tls.protocol ?? '?'} (${r.tls.ms} ms${r.tls.verify && !r.tls.verify.verified ? `; certificate not trusted here: ${r.tls.verify.error}, see access-url.tls` : ''})`);
  }

  // HTTP
  const h = r.http;
  if (h && !h.ok) {
    const e = h.error ?? { code: 'ERROR', message: 'failed' };
    const words = e.code.startsWith('HPE_') ? 'the answer is not HTTP' : e.code === 'ECONNRESET' ? 'the connection closed before an answer' : e.message;
    f.push({ status: e.code === 'ETIMEDOUT' ? 'error' : 'fail', summary: `HTTP: GET / at ${server} got no HTTP answer ${from}: ${words} (${e.code})`, remediation: `check what listens on ${server}: it should be your load balancer or Ingress, forwarding to Coder` });
  } else if (h) {
    steps.push(`HTTP ${h.status}${h.location ? ` → ${h.location}` : ''}`);
    // nginx and Go answer plain HTTP on a TLS port with a 400 that says so.
    if (r.scheme === 'http' && h.status === 400 && /plain HTTP request was sent to HTTPS port|HTTP request to an HTTPS server/i.test(h.bodyStart ?? '')) {
      f.push({ status: 'fail', summary: `HTTP: ${server} speaks TLS, but the access URL is http: it answers 400 ("${h.bodyStart}") ${from}`, remediation: `set CODER_ACCESS_URL to https://${r.host}${r.port === 443 ? '' : `:${r.port}`}` });
    }
    if (r.scheme === 'http' && h.status && h.status >= 300 && h.status < 400 && h.location?.toLowerCase().startsWith(`https://${r.host.toLowerCase()}`)) {
      f.push({ status: 'warn', summary: `http://${r.authority} redirects to https (${h.status} → ${h.location}): Coder writes the http URL into agents and links, and the agents' WebSocket connections do not follow redirects`, remediation: `set CODER_ACCESS_URL to https://${r.host}` });
    }
  }

  // Coder, once something answers
  const c = r.coder;
  let coderWords = '';
  if (c) {
    evidence.healthz = c.healthz.status;
    if (c.answers) {
      evidence.coderVersion = c.version;
      const start = c.agentStart;
      // A proxy that refuses HEAD: judge the ranged GET instead.
      const a = c.agentHead && (c.agentHead.status === 405 || c.agentHead.status === 501) && start?.ok ? { ...start, status: start.status === 206 ? 200 : start.status } : c.agentHead;
      const fetch = `${r.scheme}://${r.authority}/${c.agentPath}`;
      evidence.agentDownload = a ? `${a.status ?? a.error?.code}${a.contentType ? ` ${a.contentType}` : ''}${start ? `, first bytes: ${start.body}` : ''}` : null;
      const proxied = 'workspaces download this page instead of the agent and their init script fails ("./coder: Syntax error: newline unexpected")';
      const exempt = 'exempt /bin/ (and /api/, /derp) from the authenticating proxy, or drop it: Coder authenticates users itself';
      if (!a || !a.ok) f.push({ status: 'error', summary: `Coder answers /healthz, but HEAD ${fetch} got no answer ${from} (${err(a?.error)})`, remediation: 'run again; if it persists, look at what sits in front of Coder' });
      else if (a.status && a.status >= 300 && a.status < 400) f.push({ status: 'fail', summary: `Coder answers /healthz, but the agent download ${fetch} redirects (${a.status} → ${a.location ?? '?'}) ${from}: a login redirect of an authenticating proxy; ${proxied}`, remediation: exempt });
      else if (a.status === 401 || a.status === 403 || a.status === 407) f.push({ status: 'fail', summary: `Coder answers /healthz, but the agent download ${fetch} is refused (${a.status}) ${from}: something in front asks for credentials the agent's curl does not have`, remediation: exempt });
      else if (a.status === 404) f.push({ status: 'fail', summary: `Coder answers /healthz, but the agent download ${fetch} is not there (404) ${from}: a "slim" Coder build without agent binaries, or a proxy that routes /bin/ elsewhere`, remediation: 'run the full Coder image (ghcr.io/coder/coder), and route every path of the host to Coder' });
      else if ((a.contentType ?? '').toLowerCase().includes('text/html') || start?.body === 'html') f.push({ status: 'fail', summary: `Coder answers /healthz, but the agent download ${fetch} is an HTML page (${a.status}, ${a.contentType ?? start?.contentType}) ${from}, not the binary: an authenticating proxy's login page; ${proxied}`, remediation: exempt });
      else if (a.status !== 200) f.push({ status: 'fail', summary: `The agent download ${fetch} answers ${a.status} ${from}`, remediation: 'route every path of the host to Coder' });
      else if (!start || !start.ok) f.push({ status: 'error', summary: `The agent download ${fetch} answered its HEAD, but reading its first bytes failed ${from} (${err(start?.error)})`, remediation: 'run again; if it persists, look at what sits in front of Coder' });
      else if (start.body !== 'elf') f.push({ status: 'fail', summary: `The agent download ${fetch} is not a Linux binary ${from}: its first bytes are ${start.body}${start.bodyStart ? ` ("${start.bodyStart}")` : ''}`, remediation: 'route every path of the host to Coder; a proxy in front rewrites this path' });
      coderWords = `; Coder ${c.version ?? ''} answers /healthz and serves the agent binary (ELF)`.replace('Coder  ', 'Coder ');
    } else if (loginLike(c.healthz, r.authority) || loginLike(h, r.authority)) {
      const p = loginLike(c.healthz, r.authority) ? c.healthz : h!;
      f.push({ status: 'warn', summary: `An authenticating proxy seems to stand in front of ${r.host}: ${p.method} ${p.path} answers ${p.status}${foreignRedirect(p, r.authority) ? ` → ${foreignRedirect(p, r.authority)}` : ''} ${from}; workspace agents have no browser session and would get its login page instead of the agent binary`, remediation: 'exempt Coder\'s host (or /healthz, /bin/, /api/, /derp) from the proxy\'s authentication' });
    } else {
      coderWords = `; Coder does not answer yet (/healthz: ${c.healthz.status ?? err(c.healthz.error)}), so /healthz and the agent download are checked after the install`;
    }
  } else if (h?.ok && s.profile === 'v1') {
    coderWords = '; Coder v1 serves neither /healthz nor the v2 agent download, so they are not checked';
  }

  // The wildcard
  const w = r.wildcard;
  if (w && !w.problem && w.dns) {
    evidence.wildcardSample = w.sample;
    if (!w.dns.ok) {
      const code = w.dns.error?.code ?? 'ENODATA';
      const definite = code === 'ENOTFOUND' || code === 'ENODATA';
      f.push({ status: definite ? reachFailure(code) : 'error', summary: `DNS: apps on the wildcard ${w.pattern} will not resolve: ${w.sample} ${definite ? `has no record ${from} (${code})` : `got no answer ${from} (${err(w.dns.error)})`}${definite ? beforeInstall : ''}`, remediation: `create a wildcard record *.${w.sample!.slice(w.sample!.indexOf('.') + 1)} pointing where ${r.host} points` });
    } else {
      steps.push(`wildcard ${w.sample} → ${w.dns.addresses.join(', ')}`);
      dnsFindings(w.dns, `The wildcard's name ${w.sample}`, options.allowLoopback, f);
      if (w.tls && !w.tls.ok) f.push({ status: w.tls.error?.code === 'ETIMEDOUT' ? 'error' : 'fail', summary: `TLS: the handshake for the wildcard's name ${w.sample} at ${w.tls.address} failed ${from}: ${tlsWords(w.tls.error ?? { code: 'ERROR', message: 'failed' })}`, remediation: 'serve TLS for the wildcard host too (coder.ingress.tls.wildcardSecretName, or a certificate in coder.tls.secretNames that names it)' });
    }
  }

  return { f, steps, coderWords, evidence };
}
