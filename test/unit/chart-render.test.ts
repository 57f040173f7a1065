// renderChart against Coder's own golden tests for its v2 chart (helm/coder/tests/chart_test.go at
// v2.30.0): every testdata/<case>.yaml, rendered for both namespaces the Go test uses, must equal
// what `helm template` printed, object by object, in order, every field. Nothing is left out of the
// comparison: the goldens were rendered from the chart at version/appVersion 0.1.0, which is
// renderChart's default, so even the helm.sh/chart and app.kubernetes.io/version labels match.
// The second half covers template branches no golden exercises (Ingress, CA certs, volumes, ...);
// those expectations come from reading the templates, not from helm, and say so.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { CHART, readManifests, renderChart, type K8sObject } from '../../src/chart/index.ts';
import { chartDefaults } from '../../src/chart/defaults.ts';
import { coalesceValues } from '../../src/chart/coalesce.ts';
import { parseManifests } from '../../src/chart/manifests.ts';
import { parseYaml } from '../../src/chart/yaml.ts';

const CHART_DIR = join(import.meta.dirname, '../fixtures/helm/coder-v2-chart');
const TESTDATA = join(CHART_DIR, 'testdata');

// chart_test.go runs `helm template .. -f testdata/<case>.yaml --namespace <ns>` without a release
// name, so the release is "release-name"; <case>.golden is namespace default, <case>_coder.golden coder.
const RELEASE = 'release-name';
const NAMESPACES = ['default', 'coder'] as const;
// chart_test.go's cases with an expectedError (they have no golden).
const EXPECTED_ERRORS: Record<string, string> = {
  missing_values: "You must specify the coder.image.tag value if you're installing the Helm chart directly from Git.",
};
// Fields removed before comparing: none (see the header).
const IGNORED_FIELDS: { path: string; why: string }[] = [];

const goldenPath = (name: string, ns: string) => join(TESTDATA, ns === 'default' ? `${name}.golden` : `${name}_${ns}.golden`);
const valuesOf = (name: string) => parseYaml(readFileSync(join(TESTDATA, `${name}.yaml`), 'utf8')) as object | null;
const cases = readdirSync(TESTDATA)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.slice(0, -'.yaml'.length))
  .sort();
const rendered = cases.filter((c) => !(c in EXPECTED_ERRORS));

/** Every leaf of an object (scalars, nulls, empty lists and mappings), for the coverage count. */
function leaves(v: unknown): number {
  if (Array.isArray(v)) return v.length === 0 ? 1 : v.reduce((n: number, x) => n + leaves(x), 0);
  if (v !== null && typeof v === 'object') {
    const values = Object.values(v);
    return values.length === 0 ? 1 : values.reduce((n: number, x) => n + leaves(x), 0);
  }
  return 1;
}

const render = (values: object | null, ns = 'default', extra: Partial<Parameters<typeof renderChart>[1]> = {}) =>
  renderChart(values, { namespace: ns, releaseName: RELEASE, ...extra });
const find = (objects: K8sObject[], kind: string, namespace?: string) =>
  objects.filter((o) => o.kind === kind && (namespace === undefined || o.metadata.namespace === namespace));
const deploymentOf = (objects: K8sObject[]) => {
  const [d] = find(objects, 'Deployment');
  if (!d) throw new Error('no Deployment rendered');
  return d as K8sObject & { spec: { replicas?: number; template: { metadata: { labels: Record<string, unknown>; annotations: Record<string, unknown> }; spec: Record<string, unknown> & { containers: Record<string, unknown>[] } } } };
};
const containerOf = (objects: K8sObject[]) => {
  const c = deploymentOf(objects).spec.template.spec.containers[0];
  if (!c) throw new Error('no container rendered');
  return c as Record<string, unknown> & { env: { name: string; value?: unknown }[] };
};

describe('the chart golden tests', () => {
  it('has a golden per namespace for every values file, or an expected error', () => {
    expect(cases.length).toBeGreaterThanOrEqual(31);
    for (const c of cases) {
      for (const ns of NAMESPACES) expect(existsSync(goldenPath(c, ns)), `${c} ${ns}`).toBe(!(c in EXPECTED_ERRORS));
    }
    const goldens = readdirSync(TESTDATA).filter((f) => f.endsWith('.golden'));
    expect(goldens).toHaveLength(rendered.length * NAMESPACES.length);
    expect(IGNORED_FIELDS).toEqual([]);
  });

  describe.each(NAMESPACES)('namespace %s', (ns) => {
    it.each(rendered)('%s: every object and field as helm template renders it', (c) => {
      const golden = parseManifests(readFileSync(goldenPath(c, ns), 'utf8'), goldenPath(c, ns));
      expect(golden.length).toBeGreaterThanOrEqual(4);
      expect(render(valuesOf(c), ns)).toStrictEqual(golden);
    });
  });

  it.each(Object.entries(EXPECTED_ERRORS))('%s: fails as helm template does, naming the value', (c, message) => {
    for (const ns of NAMESPACES) {
      const attempt = () => render(valuesOf(c), ns);
      expect(attempt).toThrow(ConfigError);
      expect(attempt).toThrow(message);
      expect(attempt).toThrow(/coder\.image\.tag/);
    }
  });

  it('counts what was compared', () => {
    let objects = 0;
    let fields = 0;
    const kinds = new Map<string, number>();
    for (const c of rendered) {
      for (const ns of NAMESPACES) {
        for (const o of readManifests(goldenPath(c, ns))) {
          objects++;
          fields += leaves(o);
          kinds.set(o.kind, (kinds.get(o.kind) ?? 0) + 1);
        }
      }
    }
    console.log(`chart goldens: ${rendered.length} cases x ${NAMESPACES.length} namespaces, ${objects} objects, ${fields} leaf fields, ${IGNORED_FIELDS.length} ignored; kinds ${JSON.stringify(Object.fromEntries(kinds))}`);
    expect(objects).toBeGreaterThan(300);
    expect([...kinds.keys()].sort()).toEqual(['ConfigMap', 'Deployment', 'Role', 'RoleBinding', 'Service', 'ServiceAccount']);
  });

  it('the comparison notices a change (namespace, a value)', () => {
    const golden = readManifests(goldenPath('default_values', 'default'));
    expect(render(valuesOf('default_values'), 'coder')).not.toStrictEqual(golden);
    expect(render({ coder: { image: { tag: 'latest' }, replicaCount: 2 } })).not.toStrictEqual(golden);
    expect(render({ coder: { image: { tag: 'latest' }, env: [{ name: 'CODER_PPROF_ADDRESS', value: '0.0.0.0:6060' }] } })).not.toStrictEqual(golden);
  });

  it("the built-in defaults are the chart's values.yaml and Chart.yaml", () => {
    expect(chartDefaults()).toStrictEqual(parseYaml(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')));
    // The repository's own copy of values.yaml (test/fixtures/helm, see SOURCES.md) is the same file.
    expect(chartDefaults()).toStrictEqual(parseYaml(readFileSync(join(import.meta.dirname, '../fixtures/helm/coder-v2-values.yaml'), 'utf8')));
    const chart = parseYaml(readFileSync(join(CHART_DIR, 'Chart.yaml'), 'utf8')) as { name: string; version: string; appVersion: string };
    expect({ name: chart.name, version: chart.version, appVersion: chart.appVersion }).toEqual({ name: CHART.name, version: CHART.version, appVersion: CHART.appVersion });
  });
});

// Below: branches of the templates that no golden exercises. Expected values are read from the
// templates (templates/*.yaml, libcoder/templates/*), not produced by helm.
const TAG = { image: { tag: 'v2.30.0' } };

describe("Helm's coalescing of values over values.yaml", () => {
  it('merges mappings deeply: a nodeAffinity given keeps the default podAntiAffinity', () => {
    const spec = deploymentOf(render({ coder: { ...TAG, affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } } } })).spec.template.spec;
    expect(Object.keys(spec.affinity as object).sort()).toEqual(['nodeAffinity', 'podAntiAffinity']);
  });
  it('a null deletes the default (affinity: null renders no affinity; runAsUser: null no runAsUser)', () => {
    const objects = render({ coder: { ...TAG, affinity: null, securityContext: { runAsUser: null } } });
    expect(deploymentOf(objects).spec.template.spec).not.toHaveProperty('affinity');
    const sc = containerOf(objects).securityContext as Record<string, unknown>;
    expect(sc).not.toHaveProperty('runAsUser');
    expect(sc).toMatchObject({ runAsNonRoot: true, runAsGroup: 1000, readOnlyRootFilesystem: null });
  });
  it('lists replace (tolerations, env)', () => {
    const tolerations = [{ key: 'dedicated', operator: 'Equal', value: 'coder', effect: 'NoSchedule' }];
    expect(deploymentOf(render({ coder: { ...TAG, tolerations } })).spec.template.spec.tolerations).toEqual(tolerations);
  });
  it('does not change its arguments', () => {
    const user = { coder: { securityContext: { runAsUser: null } } };
    const defaults = chartDefaults();
    const merged = coalesceValues(user, defaults);
    expect(user.coder.securityContext).toHaveProperty('runAsUser', null);
    expect(defaults).toStrictEqual(chartDefaults());
    expect((merged.coder as { securityContext: object }).securityContext).not.toHaveProperty('runAsUser');
  });
});

describe('template branches without a golden', () => {
  it('Ingress: class, host, wildcard host with its suffix stripped, TLS for both', () => {
    const objects = render({
      coder: {
        ...TAG,
        ingress: { enable: true, className: 'nginx', host: 'coder.example.com', wildcardHost: '*-apps.example.com', annotations: { a: 'b' }, tls: { enable: true, secretName: 'coder-tls', wildcardSecretName: 'wild-tls' } },
      },
    });
    const [ingress] = find(objects, 'Ingress');
    const rule = (host: string) => ({ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'coder', port: { name: 'http' } } } }] } });
    expect(ingress).toMatchObject({
      apiVersion: 'networking.k8s.io/v1',
      metadata: { name: 'coder', namespace: 'default', annotations: { a: 'b' } },
      spec: {
        ingressClassName: 'nginx',
        rules: [rule('coder.example.com'), rule('*.example.com')],
        tls: [
          { hosts: ['coder.example.com'], secretName: 'coder-tls' },
          { hosts: ['*.example.com'], secretName: 'wild-tls' },
        ],
      },
    });
    // Helm's install order puts the Ingress last.
    expect(objects.at(-1)?.kind).toBe('Ingress');
    expect(find(render({ coder: TAG }), 'Ingress')).toEqual([]);
    // An empty className is left out (an empty ingressClassName fails validation).
    const [plain] = find(render({ coder: { ...TAG, ingress: { enable: true, host: 'c.example.com' } } }), 'Ingress');
    expect(plain?.spec).toStrictEqual({ rules: [rule('c.example.com')] });
  });

  it('CA bundles, TLS secrets and extra volumes, in that order', () => {
    const objects = render({
      coder: {
        ...TAG,
        tls: { secretNames: ['a', 'b'] },
        certs: { secrets: [{ name: 'corp-ca', key: 'ca.crt' }] },
        volumes: [{ name: 'scratch', emptyDir: {} }],
        volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }],
      },
    });
    const spec = deploymentOf(objects).spec.template.spec;
    expect(spec.volumes).toStrictEqual([
      { name: 'tls-a', secret: { secretName: 'a' } },
      { name: 'tls-b', secret: { secretName: 'b' } },
      { name: 'ca-cert-corp-ca', secret: { secretName: 'corp-ca' } },
      { name: 'scratch', emptyDir: {} },
    ]);
    const c = containerOf(objects);
    expect(c.volumeMounts).toStrictEqual([
      { name: 'tls-a', mountPath: '/etc/ssl/certs/coder/a', readOnly: true },
      { name: 'tls-b', mountPath: '/etc/ssl/certs/coder/b', readOnly: true },
      { name: 'ca-cert-corp-ca', mountPath: '/etc/ssl/certs/corp-ca.crt', subPath: 'ca.crt', readOnly: true },
      { name: 'scratch', mountPath: '/scratch' },
    ]);
    expect(c.env.find((e) => e.name === 'CODER_TLS_CERT_FILE')?.value).toBe('/etc/ssl/certs/coder/a/tls.crt,/etc/ssl/certs/coder/b/tls.crt');
  });

  it('pod placement and pull secrets, init containers, imagePullPolicy', () => {
    const objects = render({
      coder: {
        image: { tag: 'v2.30.0', pullPolicy: 'Always', pullSecrets: [{ name: 'regcred' }] },
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        initContainers: [{ name: 'wait', image: 'busybox' }],
      },
    });
    const spec = deploymentOf(objects).spec.template.spec;
    expect(spec).toMatchObject({ nodeSelector: { 'kubernetes.io/os': 'linux' }, imagePullSecrets: [{ name: 'regcred' }], initContainers: [{ name: 'wait', image: 'busybox' }] });
    expect(containerOf(objects)).toMatchObject({ image: 'ghcr.io/coder/coder:v2.30.0', imagePullPolicy: 'Always' });
  });

  it('Service: ClusterIP has no node ports, LoadBalancer gets its IP and traffic policy, enable: false none', () => {
    const svc = (service: object) => find(render({ coder: { ...TAG, service } }), 'Service')[0] as (K8sObject & { spec: Record<string, unknown> }) | undefined;
    expect(svc({ type: 'ClusterIP' })?.spec).toStrictEqual({
      type: 'ClusterIP',
      sessionAffinity: 'None',
      ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
      selector: { 'app.kubernetes.io/name': 'coder', 'app.kubernetes.io/instance': RELEASE },
    });
    expect(svc({ loadBalancerIP: '10.0.0.7', externalTrafficPolicy: 'Local', sessionAffinity: 'ClientIP' })?.spec).toMatchObject({
      type: 'LoadBalancer',
      sessionAffinity: 'ClientIP',
      loadBalancerIP: '10.0.0.7',
      externalTrafficPolicy: 'Local',
    });
    expect(svc({ enable: false })).toBeUndefined();
  });

  it('nameOverride renames the Deployment and its selector; the Service keeps its name and follows the selector', () => {
    const objects = render({ nameOverride: 'coderd', coder: TAG });
    const d = deploymentOf(objects);
    expect(d.metadata.name).toBe('coderd');
    const [svc] = find(objects, 'Service');
    expect(svc?.metadata.name).toBe('coder');
    expect((svc?.spec as { selector: object }).selector).toStrictEqual({ 'app.kubernetes.io/name': 'coderd', 'app.kubernetes.io/instance': RELEASE });
  });

  it('a released chart: the default tag is v<appVersion>, the labels carry the version', () => {
    const objects = render({}, 'coder', { chartVersion: '2.30.0', appVersion: '2.30.0' });
    expect(containerOf(objects).image).toBe('ghcr.io/coder/coder:v2.30.0');
    expect(deploymentOf(objects).metadata.labels).toMatchObject({ 'helm.sh/chart': 'coder-2.30.0', 'app.kubernetes.io/version': '2.30.0' });
  });

  it('workspacePerms: false renders no Role and no RoleBinding (extraRules depend on it)', () => {
    const objects = render({ coder: { ...TAG, serviceAccount: { workspacePerms: false, extraRules: [{ apiGroups: [''], resources: ['services'], verbs: ['get'] }] } } });
    expect(objects.map((o) => o.kind)).toEqual(['ServiceAccount', 'Service', 'Deployment']);
  });

  it('enableDeployments: false leaves out the deployments rule; a workspace namespace binds the release namespace SA', () => {
    const objects = render({ coder: { ...TAG, serviceAccount: { enableDeployments: false, workspaceNamespaces: [{ name: 'ws', enableDeployments: true }] } } }, 'coder');
    const rules = (ns: string) => (find(objects, 'Role', ns)[0]?.rules as { resources: string[] }[]).map((r) => r.resources[0]);
    expect(rules('coder')).toEqual(['pods', 'persistentvolumeclaims']);
    expect(rules('ws')).toEqual(['pods', 'persistentvolumeclaims', 'deployments']);
    expect(find(objects, 'RoleBinding', 'ws')[0]?.subjects).toStrictEqual([{ kind: 'ServiceAccount', name: 'coder', namespace: 'coder' }]);
  });

  it('renders values where the chart prints them: replicaCount "3" becomes the number 3', () => {
    expect(deploymentOf(render({ coder: { ...TAG, replicaCount: '3' } })).spec.replicas).toBe(3);
    // replicaCount: null deletes the default; the empty `replicas:` is dropped by libcoder's merge.
    expect(deploymentOf(render({ coder: { ...TAG, replicaCount: null } })).spec).not.toHaveProperty('replicas');
  });

  it('extraTemplates: strings and mappings through tpl, several documents, hooks after the release', () => {
    const objects = render({
      coder: TAG,
      extraTemplates: [
        'apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}-x\n  namespace: {{ .Release.Namespace | quote }}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: two\ndata:\n  image: {{ .Values.coder.image.tag }}',
        { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'hook', annotations: { 'helm.sh/hook': 'pre-install' }, namespace: '{{ .Release.Namespace }}' } },
      ],
    }, 'coder');
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ServiceAccount/coder', 'Secret/release-name-x', 'ConfigMap/two', 'Role/coder-workspace-perms', 'RoleBinding/coder', 'Service/coder', 'Deployment/coder', 'Job/hook',
    ]);
    expect(find(objects, 'Secret')[0]?.metadata.namespace).toBe('coder');
    expect(find(objects, 'ConfigMap')[0]?.data).toEqual({ image: 'v2.30.0' });
    expect(find(objects, 'Job')[0]?.metadata.namespace).toBe('coder');
  });
});

describe('values the chart cannot render fail with the value named', () => {
  /** Throws a ConfigError whose message and hint, together, match every pattern. */
  const fails = (values: object, ...patterns: RegExp[]) => {
    let error: unknown;
    try {
      render(values);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const text = `${(error as ConfigError).message} — ${(error as ConfigError).hint}`;
    for (const p of patterns) expect(text).toMatch(p);
  };
  it('a section set to null (e.g. `serviceAccount:` with everything under it commented out)', () => {
    fails({ coder: { ...TAG, serviceAccount: null } }, /coder\.serviceAccount\b/, /nil pointer/);
    fails({ coder: null }, /coder\b/);
  });
  it('volumes: null (len of nil pointer)', () => fails({ coder: { ...TAG, volumes: null } }, /coder\.volumes/, /len of nil pointer/));
  it('CODER_PROMETHEUS_ENABLE with an unquoted true (eq: incompatible types)', () =>
    fails({ coder: { ...TAG, env: [{ name: 'CODER_PROMETHEUS_ENABLE', value: true }] } }, /coder\.env\[0\]\.value/, /incompatible types/));
  it('an env name that is not a string, also after the one the chart looks for', () =>
    fails({ coder: { ...TAG, env: [{ name: 'CODER_ACCESS_URL', value: 'https://c' }, { name: 5, value: 'x' }] } }, /coder\.env\[1\]\.name/));
  it('a numeric image tag', () => fails({ coder: { image: { tag: 2.3 } } }, /coder\.image\.tag/));
  it('workspaceNamespaces given as plain strings ($ns.name of a string)', () =>
    fails({ coder: { ...TAG, serviceAccount: { workspaceNamespaces: ['ws'] } } }, /workspaceNamespaces\[0\]/));
  it('workspacePerms that is not a boolean (ternary wants a bool)', () =>
    fails({ coder: { ...TAG, serviceAccount: { workspacePerms: 'true' } } }, /coder\.serviceAccount\.workspacePerms/));
  it('env, envFrom, volumes given as a mapping', () => {
    fails({ coder: { ...TAG, env: { CODER_X: 'y' } } }, /coder\.env\b/);
    fails({ coder: { ...TAG, envFrom: { secretRef: { name: 's' } } } }, /coder\.envFrom/);
    fails({ coder: { ...TAG, volumes: { a: 1 } } }, /coder\.volumes/);
  });
  it('a value that breaks the YAML it is printed into', () => fails({ coder: { ...TAG, service: { type: 'a: b' } } }, /coder\.service\.type/));
  it('extraTemplates with template logic this tool does not evaluate', () => {
    fails({ coder: TAG, extraTemplates: ['apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ include "coder.name" . }}'] }, /extraTemplates\[0\]/, /--manifests/);
    fails({ coder: TAG, extraTemplates: ['just: text'] }, /extraTemplates\[0\]/, /apiVersion/);
  });
});
