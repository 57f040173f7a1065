// How traffic to the access URL reaches Coder as the chart sets it up, read from what the chart
// renders (the Deployment's env, its Service and Ingress; or exactly the objects of --manifests),
// or for the v1 chart from its values (ingress.*, coderd.tls.*, coderd.devurlsHost): which ports
// the Service has and whether Coder terminates TLS itself (v2 coder.tls.secretNames → port 443 →
// 8443 with CODER_TLS_ENABLE), which hosts an Ingress routes and for which it has TLS, which CA
// bundles are mounted (v2 coder.certs.secrets, v1 certs.secret), and what CODER_ACCESS_URL and
// CODER_WILDCARD_ACCESS_URL the container gets. Plain data; nothing is judged here.
import type { K8sObject } from '../chart/types.ts';
import { chartDefaultAccessUrl } from './url.ts';

export interface UrlSetting {
  /** The value, or null when it is not in the values (a Secret reference, or nothing at all). */
  value: string | null;
  kind: 'flag' | 'env' | 'values' | 'chart-default' | 'v1-derived' | 'reference' | 'none';
  /** Where it comes from, in words ("values coder.env CODER_ACCESS_URL", "--access-url", …). */
  where: string;
}

export interface ServicePort {
  name: string;
  port: number;
  /** The container port it sends to: "http" (Coder's plain HTTP, 8080) or "https" (8443, TLS). */
  target: string;
  /** Coder serves TLS behind this port. */
  tls: boolean;
  nodePort: number | null;
}

export interface FrontDoorService {
  name: string;
  type: string;
  ports: ServicePort[];
  annotations: string[];
}

export interface FrontDoorIngress {
  name: string;
  className: string | null;
  /** Rule hosts ("" routes every host). */
  hosts: string[];
  tls: { hosts: string[]; secretName: string | null }[];
  annotations: string[];
  /** An annotation that sends requests through an authenticating proxy first (nginx auth-url, traefik forward auth middlewares…). */
  authAnnotation: string | null;
  /** ingress-nginx's ssl-redirect/force-ssl-redirect as set (null: the controller's default, on for TLS hosts). */
  sslRedirect: boolean | null;
}

export interface FrontDoor {
  /** Where this was read from. */
  source: string;
  services: FrontDoorService[];
  ingresses: FrontDoorIngress[];
  /** Coder terminates TLS itself (v2 coder.tls.secretNames: CODER_TLS_ENABLE; v1 coderd.tls.hostSecretName). */
  coderTls: { enabled: boolean; secrets: string[] };
  /** CA bundles mounted into Coder (v2 coder.certs.secrets, v1 certs.secret), by Secret name. */
  caSecrets: string[];
  /** Objects coder.envFrom reads every key of ("Secret coder-env"), which may hold the URLs too. */
  envFrom: string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : null);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

const AUTH_ANNOTATIONS = [
  'nginx.ingress.kubernetes.io/auth-url',
  'nginx.ingress.kubernetes.io/auth-signin',
  'traefik.ingress.kubernetes.io/router.middlewares',
  'ingress.kubernetes.io/auth-url',
  'haproxy.org/auth-type',
  'konghq.com/plugins',
  'alb.ingress.kubernetes.io/auth-type',
];

function annotationsOf(meta: Obj | undefined): Record<string, string> {
  const a = meta && isObj(meta.annotations) ? meta.annotations : {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(a)) out[k] = str(v) ?? '';
  return out;
}

function ingressOf(o: K8sObject): FrontDoorIngress {
  const spec = isObj(o.spec) ? o.spec : {};
  const ann = annotationsOf(o.metadata as Obj);
  const redirect = ann['nginx.ingress.kubernetes.io/force-ssl-redirect'] ?? ann['nginx.ingress.kubernetes.io/ssl-redirect'];
  const auth = AUTH_ANNOTATIONS.find((k) => k in ann && (k !== 'alb.ingress.kubernetes.io/auth-type' || ann[k] !== 'none'));
  return {
    name: o.metadata.name,
    className: str(spec.ingressClassName) ?? ann['kubernetes.io/ingress.class'] ?? null,
    hosts: arr(spec.rules).filter(isObj).map((r) => str(r.host) ?? ''),
    tls: arr(spec.tls).filter(isObj).map((t) => ({ hosts: arr(t.hosts).map((h) => str(h) ?? '').filter((h) => h !== ''), secretName: str(t.secretName) || null })),
    annotations: Object.keys(ann),
    authAnnotation: auth ?? null,
    sslRedirect: redirect === undefined ? null : redirect === 'true',
  };
}

function serviceOf(o: K8sObject, tlsTargets: Set<string>): FrontDoorService {
  const spec = isObj(o.spec) ? o.spec : {};
  return {
    name: o.metadata.name,
    type: str(spec.type) ?? 'ClusterIP',
    ports: arr(spec.ports).filter(isObj).map((p) => {
      const target = str(p.targetPort) ?? str(p.port) ?? '';
      return { name: str(p.name) ?? '', port: num(p.port) ?? 0, target, tls: tlsTargets.has(target), nodePort: num(p.nodePort) };
    }),
    annotations: Object.keys(annotationsOf(o.metadata as Obj)),
  };
}

/** The env entry a container ends up with for `name` (the last one wins). */
function envSetting(env: Obj[], name: string, namespace: string, defaultUrl: string): UrlSetting | undefined {
  const e = [...env].reverse().find((x) => x.name === name);
  if (!e) return undefined;
  const value = str(e.value);
  if (value !== undefined && !isObj(e.valueFrom)) {
    if (name === 'CODER_ACCESS_URL' && value === defaultUrl) return { value, kind: 'chart-default', where: 'the chart\'s default CODER_ACCESS_URL (coder.envUseClusterAccessURL, no CODER_ACCESS_URL in coder.env)' };
    return { value, kind: 'values', where: `values coder.env ${name}` };
  }
  const vf = isObj(e.valueFrom) ? e.valueFrom : {};
  for (const [field, kind] of [['secretKeyRef', 'Secret'], ['configMapKeyRef', 'ConfigMap']] as const) {
    const r = vf[field];
    if (isObj(r)) return { value: null, kind: 'reference', where: `values coder.env ${name} (${kind} ${namespace}/${str(r.name) ?? '?'} key "${str(r.key) ?? '?'}")` };
  }
  return { value: null, kind: 'reference', where: `values coder.env ${name} (valueFrom)` };
}

export interface ChartAccess {
  frontDoor: FrontDoor;
  accessUrl: UrlSetting;
  wildcard: UrlSetting | null;
}

/** From the chart's objects (rendered from the values, or --manifests). */
export function accessFromObjects(objects: readonly K8sObject[], namespace: string, source: string): ChartAccess {
  const podSpecOf = (o: K8sObject): Obj => {
    const tpl = isObj(o.spec) && isObj(o.spec.template) ? o.spec.template : {};
    return isObj(tpl.spec) ? tpl.spec : {};
  };
  const coderContainer = (o: K8sObject) => arr(podSpecOf(o).containers).filter(isObj).find((c) => c.name === 'coder');
  const deployment = objects.find((o) => o.kind === 'Deployment' && coderContainer(o));
  const podSpec = deployment ? podSpecOf(deployment) : {};
  const container: Obj = (deployment && coderContainer(deployment)) ?? {};
  const env = arr(container.env).filter(isObj);
  const tlsOn = env.some((e) => e.name === 'CODER_TLS_ENABLE' && str(e.value) === 'true');
  const volumes = arr(podSpec.volumes).filter(isObj);
  const secretOf = (v: Obj) => (isObj(v.secret) ? str(v.secret.secretName) : undefined);
  const tlsSecrets = volumes.filter((v) => String(v.name).startsWith('tls-')).map(secretOf).filter((s): s is string => !!s);
  const caSecrets = volumes.filter((v) => String(v.name).startsWith('ca-cert-')).map(secretOf).filter((s): s is string => !!s);
  const envFrom = arr(container.envFrom).filter(isObj).flatMap((e) => {
    const s = isObj(e.secretRef) ? `Secret ${str(e.secretRef.name)}` : isObj(e.configMapRef) ? `ConfigMap ${str(e.configMapRef.name)}` : undefined;
    return s ? [`${s}${str(e.prefix) ? ` (prefix ${str(e.prefix)})` : ''}`] : [];
  });
  // Container port names carrying TLS: "https" when Coder serves TLS (8443).
  const tlsTargets = new Set<string>();
  for (const p of arr(container.ports).filter(isObj)) if (tlsOn && (num(p.containerPort) === 8443 || p.name === 'https')) tlsTargets.add(str(p.name) ?? '').add('8443');
  const frontDoor: FrontDoor = {
    source,
    services: objects.filter((o) => o.kind === 'Service').map((o) => serviceOf(o, tlsTargets)),
    ingresses: objects.filter((o) => o.kind === 'Ingress').map(ingressOf),
    coderTls: { enabled: tlsOn, secrets: tlsSecrets },
    caSecrets,
    envFrom,
  };
  const defaultUrl = chartDefaultAccessUrl(namespace, tlsOn);
  const accessUrl: UrlSetting = deployment
    ? (envSetting(env, 'CODER_ACCESS_URL', namespace, defaultUrl) ?? {
        value: null,
        kind: 'none',
        where: envFrom.length
          ? `not in the container's env (coder.envUseClusterAccessURL is false); coder.envFrom (${envFrom.join(', ')}) may set it`
          : 'not set: no CODER_ACCESS_URL in coder.env, and coder.envUseClusterAccessURL is false',
      })
    : { value: null, kind: 'none', where: `${source} has no Deployment with a coder container` };
  return { frontDoor, accessUrl, wildcard: envSetting(env, 'CODER_WILDCARD_ACCESS_URL', namespace, defaultUrl) ?? null };
}

/** The v1 chart's keys (coder/enterprise-helm templates/coderd.yaml and ingress.yaml at b096a36). */
export interface V1AccessValues {
  ingress: { enable: boolean; host: string; className: string; tls: boolean; annotations: Record<string, string> };
  devurlsHost: string;
  hostSecretName: string;
  devurlsHostSecretName: string;
  satellite: { enable: boolean; accessURL: string };
  serviceType: string;
  nodePorts: { http: number | null; https: number | null };
  serviceAnnotations: string[];
  caSecret: string;
}

/** From the v1 values: its Service always has 80 → 8080 and 443 → 8443; coderd serves TLS with coderd.tls.hostSecretName. */
export function accessFromV1(v: V1AccessValues, source: string): ChartAccess {
  const tls = v.hostSecretName !== '';
  const ingresses: FrontDoorIngress[] = [];
  if (v.ingress.enable) {
    const fake: K8sObject = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'coderd-ingress', annotations: v.ingress.annotations },
      spec: {
        ...(v.ingress.className ? { ingressClassName: v.ingress.className } : {}),
        rules: [{ host: v.ingress.host }, { host: v.devurlsHost.replace(/\*[^.]*(\..*)/, '*$1') }],
        ...(v.ingress.tls
          ? {
              tls: [
                ...(v.ingress.host && v.hostSecretName ? [{ hosts: [v.ingress.host], secretName: v.hostSecretName }] : []),
                ...(v.devurlsHost && v.devurlsHostSecretName ? [{ hosts: [v.devurlsHost], secretName: v.devurlsHostSecretName }] : []),
              ],
            }
          : {}),
      },
    };
    ingresses.push(ingressOf(fake));
  }
  const frontDoor: FrontDoor = {
    source,
    services: [
      {
        name: 'coderd',
        type: v.serviceType,
        ports: [
          { name: 'tcp-coderd', port: 80, target: '8080', tls: false, nodePort: v.nodePorts.http },
          { name: 'tcp-coderd-https', port: 443, target: '8443', tls, nodePort: v.nodePorts.https },
        ],
        annotations: v.serviceAnnotations,
      },
    ],
    ingresses,
    coderTls: { enabled: tls, secrets: tls ? [v.hostSecretName] : [] },
    caSecrets: v.caSecret ? [v.caSecret] : [],
    envFrom: [],
  };
  const scheme = v.ingress.tls || tls ? 'https' : 'http';
  const accessUrl: UrlSetting =
    v.satellite.enable && v.satellite.accessURL
      ? { value: v.satellite.accessURL, kind: 'values', where: 'values coderd.satellite.accessURL' }
      : v.ingress.host
        ? { value: `${scheme}://${v.ingress.host}`, kind: 'v1-derived', where: `values ingress.host, ${scheme} by ${v.ingress.tls ? 'ingress.tls.enable' : tls ? 'coderd.tls.hostSecretName' : 'no TLS setting'} (the v1 chart has no access URL key: Coder v1 keeps it in its admin settings)` }
        : { value: null, kind: 'none', where: 'the v1 chart has no access URL key (Coder v1 keeps it in its admin settings), and ingress.host is empty' };
  const wildcard: UrlSetting | null = v.devurlsHost ? { value: v.devurlsHost, kind: 'values', where: 'values coderd.devurlsHost' } : null;
  return { frontDoor, accessUrl, wildcard };
}

/** A hostname as an Ingress rule matches it: exact, "" for every host, or "*.domain" for exactly one more label. */
export function ruleMatches(rule: string, host: string): boolean {
  const r = rule.toLowerCase().replace(/\.$/, '');
  const h = host.toLowerCase().replace(/\.$/, '');
  if (r === '' || r === h) return true;
  if (!r.startsWith('*.')) return false;
  const dot = h.indexOf('.');
  return dot > 0 && h.slice(dot + 1) === r.slice(2);
}

/** What carries a request for `host` to Coder: an Ingress rule for it, else the Service. */
export function routeFor(fd: FrontDoor, host: string): { kind: 'ingress'; ingress: FrontDoorIngress } | { kind: 'service'; service: FrontDoorService } | { kind: 'none' } {
  const ingress = fd.ingresses.find((i) => i.hosts.some((h) => ruleMatches(h, host)));
  if (ingress) return { kind: 'ingress', ingress };
  const service = fd.services.find((s) => s.name === 'coder' || s.name === 'coderd') ?? fd.services[0];
  return service ? { kind: 'service', service } : { kind: 'none' };
}
