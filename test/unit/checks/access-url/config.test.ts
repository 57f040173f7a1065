// access-url.config over settings as the collector builds them: the chart rendered from values
// (src/chart, equal to the chart's goldens), the v1 values' keys, or a flag alone.
import check from '../../../../checks/access-url/config.ts';
import { accessFromObjects, accessFromV1, type V1AccessValues } from '../../../../src/access/front-door.ts';
import { renderChart } from '../../../../src/chart/render.ts';
import type { AccessUrlSettingsFact, UrlSetting } from '../../../../src/facts/access-url/settings.ts';
import { expect } from 'vitest';
import { testCheck } from '../../../helpers/check-tester.ts';

const NS = 'coder';
const env = (pairs: Record<string, string>) => Object.entries(pairs).map(([name, value]) => ({ name, value }));

/** What the collector makes of a v2 values file (and, optionally, --access-url / --wildcard-access-url). */
function v2(coder: Record<string, unknown>, given: { url?: string; wildcard?: string } = {}): { 'access-url.settings': AccessUrlSettingsFact } {
  const objects = renderChart({ coder }, { namespace: NS, releaseName: 'coder', appVersion: '2.30.0', chartVersion: '2.30.0' });
  const chart = accessFromObjects(objects, NS, 'the chart rendered from values.yaml');
  const flag = (value: string, where: string): UrlSetting => ({ value, kind: 'flag', where });
  return {
    'access-url.settings': {
      namespace: NS,
      accessUrl: given.url ? flag(given.url, '--access-url') : chart.accessUrl,
      chartAccessUrl: given.url ? chart.accessUrl : null,
      wildcard: given.wildcard ? flag(given.wildcard, '--wildcard-access-url') : chart.wildcard,
      chartWildcard: given.wildcard ? chart.wildcard : null,
      frontDoor: chart.frontDoor,
      frontDoorNote: null,
      caBundle: null,
      profile: 'v2',
    },
  };
}

/** --access-url alone: no chart to compare with. */
function flagOnly(url: string, wildcard?: string): { 'access-url.settings': AccessUrlSettingsFact } {
  return {
    'access-url.settings': {
      namespace: NS,
      accessUrl: { value: url, kind: 'flag', where: '--access-url' },
      chartAccessUrl: null,
      wildcard: wildcard ? { value: wildcard, kind: 'flag', where: '--wildcard-access-url' } : null,
      chartWildcard: null,
      frontDoor: null,
      frontDoorNote: 'no values file or manifests: how the chart routes and terminates traffic is not known (pass --values or --manifests)',
      caBundle: null,
      profile: 'baseline',
    },
  };
}

const V1: V1AccessValues = {
  ingress: { enable: true, host: 'coder.acme.io', className: 'nginx', tls: true, annotations: {} },
  devurlsHost: '*.dev.acme.io',
  hostSecretName: 'coder-tls',
  devurlsHostSecretName: 'devurls-tls',
  satellite: { enable: false, accessURL: '' },
  serviceType: 'ClusterIP',
  nodePorts: { http: null, https: null },
  serviceAnnotations: [],
  caSecret: '',
};
function v1(v: Partial<V1AccessValues> = {}): { 'access-url.settings': AccessUrlSettingsFact } {
  const chart = accessFromV1({ ...V1, ...v }, 'values values.yaml (Coder v1 chart keys)');
  return { 'access-url.settings': { namespace: NS, accessUrl: chart.accessUrl, chartAccessUrl: null, wildcard: chart.wildcard, chartWildcard: null, frontDoor: chart.frontDoor, frontDoorNote: null, caBundle: null, profile: 'v1' } };
}

const INGRESS_TLS = { enable: true, className: 'nginx', host: 'coder.acme.io', wildcardHost: '*.apps.acme.io', tls: { enable: true, secretName: 'coder-tls', wildcardSecretName: 'coder-tls' } };
const GOOD = { env: env({ CODER_ACCESS_URL: 'https://coder.acme.io', CODER_WILDCARD_ACCESS_URL: '*.apps.acme.io' }), ingress: INGRESS_TLS };

testCheck(check, {
  pass: [
    {
      name: 'https behind an Ingress with TLS for the host and the wildcard',
      facts: v2(GOOD),
      summary: 'The access URL https://coder.acme.io (values coder.env CODER_ACCESS_URL) is an https URL Coder and its clients can use; Ingress coder (class nginx) carries it, TLS ends at the Ingress (Secret coder-tls); the wildcard *.apps.acme.io is one Coder accepts',
      evidence: { host: 'coder.acme.io', scheme: 'https', port: 443, route: 'Ingress coder (class nginx)', hostKind: 'public-name' },
    },
    {
      name: 'Coder terminates TLS itself behind a LoadBalancer (coder.tls.secretNames adds 443)',
      facts: v2({ env: env({ CODER_ACCESS_URL: 'https://coder.acme.io' }), tls: { secretNames: ['coder-tls'] } }),
      summary: 'Service coder (LoadBalancer, port 443 → https) carries it, TLS ends at Coder (coder.tls.secretNames: coder-tls)',
      evidence: { coderTls: true, tlsTerminatedBy: 'Coder (coder.tls.secretNames: coder-tls)' },
    },
    {
      name: 'a NodePort whose https node port the values fix',
      facts: v2({ env: env({ CODER_ACCESS_URL: 'https://coder.corp:30443' }), tls: { secretNames: ['coder-tls'] }, service: { type: 'NodePort', httpsNodePort: 30443 } }),
      summary: 'Service coder (NodePort, port node port 30443 → https)',
    },
    { name: 'http on a private name through the LoadBalancer\'s port 80', facts: v2({ env: env({ CODER_ACCESS_URL: 'http://coder.corp' }) }), summary: 'is an http URL Coder and its clients can use; Service coder (LoadBalancer, port 80 → http) carries it' },
    { name: 'a flag alone: the URL is judged, the chart is not known', facts: flagOnly('https://coder.acme.io', '*.apps.acme.io'), summary: '(no values file or manifests: how the chart routes and terminates traffic is not known (pass --values or --manifests)); the wildcard *.apps.acme.io is one Coder accepts' },
    { name: 'a --access-url for a URL the values keep in a Secret', facts: v2({ env: [{ name: 'CODER_ACCESS_URL', valueFrom: { secretKeyRef: { name: 'coder-urls', key: 'access' } } }], ingress: INGRESS_TLS }, { url: 'https://coder.acme.io' }), summary: 'The access URL https://coder.acme.io (--access-url) is an https URL', evidence: { where: '--access-url' } },
    { name: 'the v1 chart: https from ingress.host with TLS', facts: v1(), summary: 'values ingress.host, https by ingress.tls.enable', evidence: { route: 'Ingress coderd-ingress (class nginx)' } },
    { name: 'a suffixed wildcard (*--apps.domain) Coder accepts and the Ingress routes', facts: v2({ ...GOOD, env: env({ CODER_ACCESS_URL: 'https://coder.acme.io', CODER_WILDCARD_ACCESS_URL: '*--apps.acme.io' }), ingress: { ...INGRESS_TLS, wildcardHost: '*--apps.acme.io' } }), summary: 'the wildcard *--apps.acme.io is one Coder accepts' },
  ],
  fail: [
    {
      name: 'no CODER_ACCESS_URL: the chart\'s cluster-internal default',
      facts: v2({ ingress: INGRESS_TLS }),
      summary: "CODER_ACCESS_URL is the chart's default http://coder.coder.svc.cluster.local: only pods in the cluster resolve it",
      remediation: /set CODER_ACCESS_URL in coder\.env/,
      evidence: { where: /the chart's default CODER_ACCESS_URL/ },
    },
    { name: 'the chart default, with coder.tls: https://coder.<ns>.svc.cluster.local', facts: v2({ tls: { secretNames: ['t'] } }), summary: "the chart's default https://coder.coder.svc.cluster.local" },
    {
      name: 'the chart default wins over a URL in coder.envFrom (env beats envFrom)',
      facts: v2({ envFrom: [{ secretRef: { name: 'coder-env' } }] }),
      summary: "coder.envFrom (Secret coder-env) cannot change it: the chart's env entry wins over envFrom — set coder.envUseClusterAccessURL: false",
    },
    { name: 'the chart default even when --access-url names another: Coder gets the default', facts: v2({}, { url: 'https://coder.acme.io' }), summary: "CODER_ACCESS_URL is the chart's default http://coder.coder.svc.cluster.local" },
    { name: 'envUseClusterAccessURL false and no URL: Coder opens a tunnel', facts: v2({ envUseClusterAccessURL: false }), summary: "Coder gets no access URL (not set: no CODER_ACCESS_URL in coder.env, and coder.envUseClusterAccessURL is false): it then opens a tunnel through Coder's public relay" },
    { name: 'localhost', facts: v2({ env: env({ CODER_ACCESS_URL: 'http://localhost:3000' }) }), summary: 'names this machine (localhost is loopback)' },
    { name: '127.0.0.1', facts: flagOnly('https://127.0.0.1'), summary: 'names this machine (127.0.0.1 is loopback)' },
    { name: '0.0.0.0', facts: flagOnly('http://0.0.0.0:8080'), summary: '0.0.0.0 is unspecified' },
    { name: 'a cluster-internal name set by hand', facts: flagOnly('https://coder.coder.svc'), summary: 'is a cluster-internal name' },
    { name: 'a documentation placeholder', facts: v2({ env: env({ CODER_ACCESS_URL: 'https://coder.example.com' }) }), summary: 'is a documentation placeholder (coder.example.com' },
    { name: 'no scheme', facts: v2({ env: env({ CODER_ACCESS_URL: 'coder.acme.io' }) }), summary: 'cannot be used: it has no scheme' },
    { name: 'a trailing newline from a heredoc', facts: flagOnly('https://coder.acme.io\n'), summary: 'it contains a line feed at position 22' },
    { name: 'an ftp URL', facts: flagOnly('ftp://coder.acme.io'), summary: 'its scheme is ftp' },
    { name: 'a path: the agent download drops it', facts: v2({ ...GOOD, env: env({ CODER_ACCESS_URL: 'https://coder.acme.io/coder' }) }), summary: 'has a path (/coder): Coder serves from the root of its host, and the agent\'s init script resolves the access URL against "/"' },
    { name: 'credentials in the URL', facts: flagOnly('https://admin:hunter2@coder.acme.io'), summary: 'carries a user name or password', check: (r) => expect(JSON.stringify(r)).not.toContain('hunter2') },
    { name: 'a wildcard Coder refuses (two asterisks)', facts: v2({ ...GOOD, env: env({ CODER_ACCESS_URL: 'https://coder.acme.io', CODER_WILDCARD_ACCESS_URL: '*.*.acme.io' }) }), summary: 'Coder refuses the wildcard access URL *.*.acme.io (values coder.env CODER_WILDCARD_ACCESS_URL) and does not start: hostname pattern must contain exactly one asterisk' },
    { name: 'a wildcard with a scheme', facts: flagOnly('https://coder.acme.io', 'https://*.apps.acme.io'), summary: 'hostname pattern must not contain a scheme' },
    { name: 'a wildcard without an asterisk', facts: flagOnly('https://coder.acme.io', 'apps.acme.io'), summary: 'must contain exactly one asterisk' },
    { name: 'a wildcard under a placeholder domain', facts: flagOnly('https://coder.acme.io', '*.apps.example.com'), summary: 'under a documentation placeholder domain' },
  ],
  warn: [
    { name: 'http on a public name', facts: flagOnly('http://coder.acme.io'), summary: 'is plain HTTP on a public name: session tokens and workspace traffic cross the network unencrypted', remediation: /https:\/\/coder\.acme\.io/ },
    { name: 'a query string', facts: flagOnly('https://coder.acme.io/?x=1'), summary: 'has a query' },
    { name: 'https to an Ingress without tls for the host', facts: v2({ env: env({ CODER_ACCESS_URL: 'https://coder.acme.io' }), ingress: { enable: true, host: 'coder.acme.io' } }), summary: 'The Ingress coder routes coder.acme.io but has no tls for it: the controller answers https with its default certificate', remediation: /coder\.ingress\.tls\.enable/ },
    { name: 'http while the Ingress has TLS: ingress-nginx redirects', facts: v2({ env: env({ CODER_ACCESS_URL: 'http://coder.corp' }), ingress: { enable: true, host: 'coder.corp', tls: { enable: true, secretName: 'coder-tls' } } }), summary: 'ingress-nginx then redirects http to https (ssl-redirect)' },
    { name: 'the Ingress routes another host', facts: v2({ env: env({ CODER_ACCESS_URL: 'https://coder.acme.io' }), ingress: { enable: true, host: 'dev.acme.io', tls: { enable: true, secretName: 's' } } }), summary: 'No Ingress routes coder.acme.io: the Ingress coder routes dev.acme.io' },
    { name: 'an authenticating proxy annotation on the Ingress', facts: v2({ ...GOOD, ingress: { ...INGRESS_TLS, annotations: { 'nginx.ingress.kubernetes.io/auth-url': 'https://oauth2-proxy.acme.io/oauth2/auth' } } }), summary: 'sends requests for coder.acme.io through an authenticating proxy first (nginx.ingress.kubernetes.io/auth-url)', check: (r) => expect(JSON.stringify(r)).not.toContain('oauth2-proxy.acme.io') },
    { name: 'https to the LoadBalancer\'s plain port (no TLS anywhere the chart sets up)', facts: v2({ env: env({ CODER_ACCESS_URL: 'https://coder.acme.io' }) }), summary: 'The access URL\'s port is 443, but the Service coder (LoadBalancer) listens on 80 → http', remediation: /coder\.tls\.secretNames adds 443/ },
    { name: 'https on port 80 of the Service', facts: v2({ env: env({ CODER_ACCESS_URL: 'https://coder.acme.io:80' }) }), summary: 'port 80 of the Service coder goes to Coder\'s plain HTTP listener' },
    { name: 'http to Coder\'s TLS port', facts: v2({ env: env({ CODER_ACCESS_URL: 'http://coder.corp:443' }), tls: { secretNames: ['t'] } }), summary: 'port 443 of the Service coder goes to Coder\'s TLS listener' },
    { name: 'http although Coder serves TLS', facts: v2({ env: env({ CODER_ACCESS_URL: 'http://coder.corp' }), tls: { secretNames: ['t'] } }), summary: 'Coder serves TLS (coder.tls.secretNames: t), but the access URL is http' },
    { name: 'a port the LoadBalancer does not have', facts: v2({ env: env({ CODER_ACCESS_URL: 'https://coder.acme.io:8443' }), tls: { secretNames: ['t'] } }), summary: 'The access URL\'s port is 8443, but the Service coder (LoadBalancer) listens on 80 → http, 443 → https (TLS)', remediation: 'use port 443 in the access URL' },
    { name: 'a NodePort with a random node port', facts: v2({ env: env({ CODER_ACCESS_URL: 'https://coder.corp:30443' }), tls: { secretNames: ['t'] }, service: { type: 'NodePort' } }), summary: 'its https node port is assigned at random on install', remediation: 'set coder.service.httpsNodePort: 30443' },
    { name: 'a ClusterIP Service and no Ingress', facts: v2({ env: env({ CODER_ACCESS_URL: 'https://coder.acme.io' }), service: { type: 'ClusterIP' } }), summary: 'is ClusterIP and no Ingress routes coder.acme.io' },
    { name: 'no Service and no Ingress', facts: v2({ env: env({ CODER_ACCESS_URL: 'https://coder.acme.io' }), service: { enable: false } }), summary: 'Nothing the chart creates answers at coder.acme.io' },
    { name: 'a port on an Ingress URL', facts: v2({ ...GOOD, env: env({ CODER_ACCESS_URL: 'https://coder.acme.io:8443' }) }), summary: 'Ingress controllers listen on 80 and 443' },
    { name: 'the wildcard is not routed by the Ingress', facts: v2({ ...GOOD, ingress: { ...INGRESS_TLS, wildcardHost: '' } }), summary: 'No Ingress routes the wildcard *.apps.acme.io', remediation: 'set coder.ingress.wildcardHost: "*.apps.acme.io"' },
    { name: 'the wildcard is routed but has no TLS', facts: v2({ ...GOOD, ingress: { ...INGRESS_TLS, tls: { enable: true, secretName: 'coder-tls' } } }), summary: 'The Ingress has no TLS for the wildcard *.apps.acme.io' },
    { name: 'a wildcard with a port that is not a number (Coder accepts it)', facts: flagOnly('https://coder.acme.io', '*.apps.acme.io:x'), summary: 'has "x" after its colon: Coder accepts it' },
    { name: 'a wildcard on a top-level domain', facts: flagOnly('https://coder.acme.io', '*.workspaces'), summary: 'is a wildcard on a top-level domain (.workspaces)' },
    { name: '--access-url differs from what the values give Coder', facts: v2(GOOD, { url: 'https://other.acme.io' }), summary: '--access-url says https://other.acme.io, but Coder will get https://coder.acme.io (values coder.env CODER_ACCESS_URL)' },
    { name: 'v1: plain http from ingress.host without TLS on a public name', facts: v1({ ingress: { ...V1.ingress, tls: false }, hostSecretName: '' }), summary: 'The access URL http://coder.acme.io (values ingress.host, http by no TLS setting' },
  ],
  skip: [
    { name: 'nothing given at all', facts: { 'access-url.settings': { ...flagOnly('x')['access-url.settings'], accessUrl: { value: null, kind: 'none', where: 'no access URL given: pass --access-url, or --values (CODER_ACCESS_URL in coder.env)' } } }, summary: 'No access URL to judge: no access URL given' },
    { name: 'the URL is in a Secret the values reference', facts: v2({ env: [{ name: 'CODER_ACCESS_URL', valueFrom: { secretKeyRef: { name: 'coder-urls', key: 'access' } } }] }), summary: 'The access URL comes from values coder.env CODER_ACCESS_URL (Secret coder/coder-urls key "access"), which is not read here', remediation: /--access-url/ },
    { name: 'the URL may be in coder.envFrom (envUseClusterAccessURL false)', facts: v2({ envUseClusterAccessURL: false, envFrom: [{ secretRef: { name: 'coder-env' } }] }), summary: "CODER_ACCESS_URL is not in the container's env; not in the container's env (coder.envUseClusterAccessURL is false); coder.envFrom (Secret coder-env) may set it" },
    { name: 'v1 with no ingress host: the URL lives in the dashboard', facts: v1({ ingress: { ...V1.ingress, host: '' } }), summary: 'the v1 chart has no access URL key' },
  ],
});
