// Read a Coder Helm values file: which chart it is for (v1 `coderd.*`/`postgres.*`, v2 `coder.*`),
// how many replicas, and where the database settings come from (literal or a Secret reference).
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ConfigError, errorMessage, fileProblem } from '../errors.ts';
import { cpuMillis, mebibytes } from '../kubernetes/quantity.ts';
import type { NodeSelectorRequirement, Placement, Toleration } from '../kubernetes/scheduling.ts';
import type { HaSettings, ServiceSettings } from '../engine/types.ts';
import type { V1AccessValues } from '../access/front-door.ts';

export interface SecretRef {
  namespace?: string;
  name: string;
  key: string;
}

/** One key of a Secret or a ConfigMap (`valueFrom.secretKeyRef` / `configMapKeyRef`). */
export interface KeyRef extends SecretRef {
  from: 'secret' | 'configmap';
  /** `optional: true`: a missing object or key leaves the variable unset instead of failing the pod. */
  optional?: boolean;
}

/** One `coder.envFrom` entry: every key of the Secret or ConfigMap becomes a variable (`prefix` + key). */
export interface EnvFromRef {
  from: 'secret' | 'configmap';
  name: string;
  prefix: string;
  optional: boolean;
  /** Position in coder.envFrom (a later entry wins over an earlier one for the same key). */
  index: number;
}

/** The mTLS files of a v1 values file (`postgres.ssl.*Secret`), each a Secret key. */
export interface V1TlsRefs {
  cert?: SecretRef;
  key?: SecretRef;
  rootCert?: SecretRef;
}

export type PgSource =
  | { kind: 'none' }
  | { kind: 'url'; url: string; where: string }
  | { kind: 'url-ref'; ref: KeyRef; where: string }
  /** No coder.env entry: CODER_PG_CONNECTION_URL may come from one of the envFrom objects. */
  | { kind: 'env-from'; refs: EnvFromRef[]; where: string }
  | {
      kind: 'v1';
      where: string;
      host: string;
      port?: string;
      user?: string;
      database?: string;
      sslMode?: string;
      searchPath?: string;
      passwordSecret?: SecretRef;
      /** postgres.noPasswordEnv: Coder reads the password from DB_PASSWORD_PATH (the same Secret, mounted). */
      noPasswordEnv?: boolean;
      /** postgres.connector: "postgres" (default) or "awsiamrds". */
      connector: string;
      tls?: V1TlsRefs;
    };

/** How the database settings reach Coder's container, for values.pg-url-wired. */
export interface PgWiring {
  /** Where the chart takes the setting from (e.g. "values coder.env CODER_PG_CONNECTION_URL"). */
  declared: string[];
  /** Places that set the database URL but that the chart never reads. */
  misplaced: { where: string; why: string }[];
  /** Pre-1.21 keys of the v1 chart that were read (charts 1.27 and later ignore them). */
  legacyKeys: string[];
  /** A literal URL in the values carries a password (it ends up in the Deployment spec). */
  literalPassword: boolean;
  /** coder.env sets CODER_PG_CONNECTION_URL to an empty value. */
  emptyValue: boolean;
}

export interface HelmValues {
  path: string;
  shape: 'v1' | 'v2';
  replicas: number;
  /** Connections per replica when the values set it (v2 CODER_PG_CONN_MAX_OPEN, v1 CODER_MAX_DB_CONNECTIONS). */
  poolPerReplica?: { value: number; where: string };
  /** Where Coder's pods may run, when the values constrain it. */
  placement?: Placement;
  /** Coder's resource requests per replica, when the values set them. */
  requests?: { cpuMillis: number; memoryMi: number; where: string };
  /** The Service the chart creates (its defaults filled in). */
  service: ServiceSettings;
  postgres: PgSource;
  /** Anti-affinity, spread constraints and the relay URL (v2). */
  ha?: HaSettings;
  /** The StorageClass the chart's own volumes use, when the values name one (v1 built-in database). */
  storageClass?: { name: string; where: string };
  /** The v1 chart's keys that decide how the access URL reaches Coder (ingress.*, coderd.tls.*, coderd.devurlsHost); v2 reads them from the rendered chart. */
  v1Access?: V1AccessValues;
  /** CODER_PG_AUTH (v2) or postgres.connector (v1): "password" (default) or "awsiamrds". */
  pgAuth: { value: string; where: string };
  /** Idle connections per replica (v2 CODER_PG_CONN_MAX_IDLE), when set. */
  poolIdlePerReplica?: { value: number; where: string };
  wiring: PgWiring;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);

export function readHelmValues(path: string): HelmValues {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read values file ${path}: ${fileProblem(e)}`, 'pass the values.yaml you give to helm install with --values');
  }
  let doc: unknown;
  try {
    doc = parse(text, { prettyErrors: false });
  } catch (e) {
    const first = errorMessage(e).split('\n')[0];
    throw new ConfigError(`values file ${path} is not valid YAML: ${first}`, 'fix the YAML (helm would reject it too)');
  }
  if (doc === null || doc === undefined) doc = {};
  if (!isObj(doc)) throw new ConfigError(`values file ${path} is not a YAML mapping`, 'a Helm values file is a mapping of keys');
  return interpretValues(doc, path);
}

export function interpretValues(doc: Obj, path: string): HelmValues {
  const coder = doc.coder;
  // Charts before 1.21 called coderd `cemanager`; 1.21–1.26 accept both, 1.27 and later only coderd.
  const legacyKeys: string[] = [];
  const legacy = (key: string, now: string) => {
    if (doc[key] !== undefined) legacyKeys.push(`${key} (now ${now})`);
    return doc[key];
  };
  const coderd = isObj(doc.coderd) ? doc.coderd : isObj(legacy('cemanager', 'coderd')) ? (doc.cemanager as Obj) : undefined;
  if (isObj(coder)) {
    const replicas = Number(coder.replicaCount ?? 1);
    const pool = envNumber(coder.env, 'CODER_PG_CONN_MAX_OPEN', 'values coder.env CODER_PG_CONN_MAX_OPEN');
    const idle = envNumber(coder.env, 'CODER_PG_CONN_MAX_IDLE', 'values coder.env CODER_PG_CONN_MAX_IDLE');
    const placement = placementOf(coder.nodeSelector, coder.affinity, coder.tolerations, 'values coder.nodeSelector/affinity/tolerations');
    const requests = requestsOf(coder.resources, 'values coder.resources');
    const svc = isObj(coder.service) ? coder.service : {};
    const service: ServiceSettings = {
      enabled: svc.enable !== false,
      type: str(svc.type) ?? 'LoadBalancer',
      sessionAffinity: str(svc.sessionAffinity) ?? 'None',
      loadBalancerClass: str(svc.loadBalancerClass) ?? '',
      annotations: isObj(svc.annotations) ? Object.keys(svc.annotations) : [],
      where: 'values coder.service (chart defaults: LoadBalancer, sessionAffinity None)',
    };
    const { postgres, wiring } = v2Postgres(doc, coder);
    const ha = haOf(coder);
    const auth = envEntry(coder.env, 'CODER_PG_AUTH');
    return {
      path,
      shape: 'v2',
      replicas: Number.isFinite(replicas) ? replicas : 1,
      ...(pool ? { poolPerReplica: pool } : {}),
      ...(idle ? { poolIdlePerReplica: idle } : {}),
      ...(placement ? { placement } : {}),
      ...(requests ? { requests } : {}),
      service,
      ha,
      postgres,
      pgAuth: str(auth?.value) ? { value: str(auth!.value)!, where: 'values coder.env CODER_PG_AUTH' } : { value: 'password', where: 'default (CODER_PG_AUTH unset)' },
      wiring,
    };
  }
  if (coderd || isObj(doc.postgres)) {
    const cd = coderd ?? {};
    const cdName = isObj(doc.coderd) ? 'coderd' : 'cemanager';
    const replicas = Number(cd.replicas ?? 1);
    const pool = envNumber(cd.extraEnvs, 'CODER_MAX_DB_CONNECTIONS', `values ${cdName}.extraEnvs CODER_MAX_DB_CONNECTIONS`);
    const services = isObj(doc.services) ? doc.services : {};
    const tolerations = services.tolerations ?? legacy('serviceTolerations', 'services.tolerations');
    const placement = placementOf(services.nodeSelector, undefined, tolerations, 'values services.nodeSelector/tolerations');
    const requests = requestsOf(cd.resources, `values ${cdName}.resources`);
    const spec = isObj(cd.serviceSpec) ? cd.serviceSpec : {};
    const service: ServiceSettings = {
      enabled: true,
      type: str(spec.type) ?? str(legacy('serviceType', 'services.type')) ?? 'LoadBalancer',
      sessionAffinity: 'None',
      loadBalancerClass: '',
      annotations: isObj(cd.serviceAnnotations) ? Object.keys(cd.serviceAnnotations) : [],
      where: `values ${cdName}.serviceSpec (chart default: LoadBalancer)`,
    };
    const pg = isObj(doc.postgres) ? doc.postgres : {};
    if (pg.useDefault !== undefined) legacyKeys.push('postgres.useDefault (now postgres.default.enable)');
    for (const k of ['timescale', 'storageClassName', 'clusterDomainSuffix', 'serviceAccount']) if (doc[k] !== undefined) legacyKeys.push(`${k} (renamed in 1.21)`);
    const postgres = v1Postgres(pg);
    // The built-in TimescaleDB's volume (used when no external host is set).
    const builtIn = isObj(pg.default) ? pg.default : {};
    const scName = str(builtIn.storageClassName) ?? str(doc.storageClassName);
    const storageClass = postgres.kind === 'none' && builtIn.enable !== false && scName ? { name: scName, where: str(builtIn.storageClassName) ? 'values postgres.default.storageClassName' : 'values storageClassName (before 1.21)' } : undefined;
    return {
      path,
      shape: 'v1',
      replicas: Number.isFinite(replicas) ? replicas : 1,
      ...(pool ? { poolPerReplica: pool } : {}),
      ...(placement ? { placement } : {}),
      ...(requests ? { requests } : {}),
      service,
      ...(storageClass ? { storageClass } : {}),
      v1Access: v1AccessOf(doc, cd),
      postgres,
      pgAuth: postgres.kind === 'v1' && postgres.connector !== 'postgres' ? { value: postgres.connector, where: 'values postgres.connector' } : { value: 'password', where: 'default (postgres.connector "postgres")' },
      wiring: {
        declared: postgres.kind === 'v1' ? ['values postgres.host'] : [],
        misplaced: [],
        legacyKeys,
        literalPassword: false,
        emptyValue: false,
      },
    };
  }
  throw new ConfigError(
    `values file ${path} has neither coder.* (Coder v2 chart) nor coderd.*/postgres.* (Coder v1 chart)`,
    'pass the values file of the Coder Helm chart, or use --coder-version and --postgres-url instead',
  );
}

/** nodeSelector, required node affinity and tolerations; undefined when none constrains anything. */
function placementOf(nodeSelector: unknown, affinity: unknown, tolerations: unknown, source: string): Placement | undefined {
  const sel: Record<string, string> = {};
  if (isObj(nodeSelector)) for (const [k, v] of Object.entries(nodeSelector)) if (str(v) !== undefined) sel[k] = str(v)!;
  const required = isObj(affinity) && isObj(affinity.nodeAffinity) ? affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution : undefined;
  const terms = isObj(required) && Array.isArray(required.nodeSelectorTerms) ? required.nodeSelectorTerms : [];
  const affinityTerms = terms
    .filter(isObj)
    .map((t) => (Array.isArray(t.matchExpressions) ? t.matchExpressions.filter(isObj) : []).map((e) => ({ key: String(e.key), operator: String(e.operator) as NodeSelectorRequirement['operator'], values: Array.isArray(e.values) ? e.values.map(String) : [] })))
    .filter((t) => t.length > 0);
  const tols = (Array.isArray(tolerations) ? tolerations.filter(isObj) : []).map((t): Toleration => ({
    ...(str(t.key) ? { key: str(t.key)! } : {}),
    ...(t.operator === 'Exists' || t.operator === 'Equal' ? { operator: t.operator as 'Exists' | 'Equal' } : {}),
    ...(str(t.value) ? { value: str(t.value)! } : {}),
    ...(str(t.effect) ? { effect: str(t.effect)! } : {}),
  }));
  if (!Object.keys(sel).length && !affinityTerms.length && !tols.length) return undefined;
  return { nodeSelector: sel, affinityTerms, tolerations: tols, source };
}

/** requests (else limits, which Kubernetes then uses as requests) for CPU and memory. */
function requestsOf(resources: unknown, where: string): { cpuMillis: number; memoryMi: number; where: string } | undefined {
  if (!isObj(resources)) return undefined;
  const pick = (k: 'cpu' | 'memory') => {
    for (const part of ['requests', 'limits'] as const) {
      const v = isObj(resources[part]) ? (resources[part] as Obj)[k] : undefined;
      if (str(v) !== undefined) return { value: str(v)!, from: `${where}.${part}.${k}` };
    }
    return undefined;
  };
  const cpu = pick('cpu');
  const memory = pick('memory');
  if (!cpu || !memory) return undefined;
  const c = cpuMillis(cpu.value);
  const m = mebibytes(memory.value);
  if (!Number.isFinite(c) || !Number.isFinite(m)) return undefined;
  const both = cpu.from.replace(/\.cpu$/, '') === memory.from.replace(/\.memory$/, '');
  return { cpuMillis: c, memoryMi: m, where: both ? cpu.from.replace(/\.cpu$/, '') : `${cpu.from}, ${memory.from}` };
}

/** What HA depends on: the chart's default anti-affinity is preferred, by host name (values.yaml coder.affinity). */
function haOf(coder: Obj): HaSettings {
  // Helm merges maps into the chart's defaults: a coder.affinity with only nodeAffinity keeps the
  // default podAntiAffinity; only `null` removes it.
  const anti = coder.affinity === null ? null : isObj(coder.affinity) ? coder.affinity.podAntiAffinity : undefined;
  const has = (k: string) => isObj(anti) && Array.isArray(anti[k]) && (anti[k] as unknown[]).length > 0;
  const antiAffinity: HaSettings['antiAffinity'] = anti === undefined ? 'preferred' : has('requiredDuringSchedulingIgnoredDuringExecution') ? 'required' : has('preferredDuringSchedulingIgnoredDuringExecution') ? 'preferred' : 'none';
  const spread = Array.isArray(coder.topologySpreadConstraints) ? coder.topologySpreadConstraints.filter(isObj) : [];
  const relay = str(envEntry(coder.env, 'CODER_DERP_SERVER_RELAY_URL')?.value);
  const access = str(envEntry(coder.env, 'CODER_ACCESS_URL')?.value);
  return {
    antiAffinity,
    hardSpreadKeys: spread.filter((c) => (c.whenUnsatisfiable ?? 'DoNotSchedule') === 'DoNotSchedule').map((c) => str(c.topologyKey) ?? '').filter(Boolean),
    ...(relay ? { relayUrl: relay } : {}),
    ...(access ? { accessUrl: access } : {}),
    where: 'values coder.affinity, coder.topologySpreadConstraints, coder.env',
  };
}

/** The entry of a chart's env list with this name. */
function envEntry(env: unknown, name: string): Obj | undefined {
  return Array.isArray(env) ? (env.find((x) => isObj(x) && x.name === name) as Obj | undefined) : undefined;
}

/** A literal numeric env entry ({name, value}) from a chart's env list. */
function envNumber(env: unknown, name: string, where: string): { value: number; where: string } | undefined {
  const e = envEntry(env, name);
  const n = Number(e?.value);
  return e && Number.isInteger(n) && n > 0 ? { value: n, where } : undefined;
}

const PG_URL = 'CODER_PG_CONNECTION_URL';

function keyRefOf(valueFrom: unknown): KeyRef | undefined {
  if (!isObj(valueFrom)) return undefined;
  for (const [field, from] of [['secretKeyRef', 'secret'], ['configMapKeyRef', 'configmap']] as const) {
    const ref = valueFrom[field];
    if (!isObj(ref)) continue;
    const name = str(ref.name);
    const key = str(ref.key);
    if (name && key) return { from, name, key, ...(ref.optional === true ? { optional: true } : {}) };
  }
  return undefined;
}

/**
 * Where CODER_PG_CONNECTION_URL is set in a v2 values file, the way the chart renders it: coder.env
 * entries go into the container's env, which wins over coder.envFrom; anywhere else is ignored.
 */
function v2Postgres(doc: Obj, coder: Obj): { postgres: PgSource; wiring: PgWiring } {
  const wiring: PgWiring = { declared: [], misplaced: findMisplaced(doc), legacyKeys: [], literalPassword: false, emptyValue: false };
  const where = `values coder.env ${PG_URL}`;
  const entry = envEntry(coder.env, PG_URL);
  let postgres: PgSource | undefined;
  if (entry) {
    const literal = str(entry.value);
    const ref = keyRefOf(entry.valueFrom);
    if (literal) {
      postgres = { kind: 'url', url: literal, where };
      wiring.literalPassword = /^postgres(ql)?:\/\/[^/@?#]*:[^@/?#]*@/i.test(literal) || /(^|\s)password=\S/.test(literal);
    } else if (ref) postgres = { kind: 'url-ref', ref, where: `${where} (${ref.from === 'secret' ? 'secretKeyRef' : 'configMapKeyRef'})` };
    else wiring.emptyValue = true;
    wiring.declared.push(where);
  }
  const refs: EnvFromRef[] = [];
  (Array.isArray(coder.envFrom) ? coder.envFrom : []).forEach((e, index) => {
    if (!isObj(e)) return;
    const prefix = str(e.prefix) ?? '';
    for (const [field, from] of [['secretRef', 'secret'], ['configMapRef', 'configmap']] as const) {
      const r = e[field];
      const name = isObj(r) ? str(r.name) : undefined;
      if (name && (prefix === '' || PG_URL.startsWith(prefix))) refs.push({ from, name, prefix, optional: isObj(r) && r.optional === true, index });
    }
  });
  if (!postgres && !wiring.emptyValue && refs.length) {
    postgres = { kind: 'env-from', refs, where: 'values coder.envFrom' };
    wiring.declared.push('values coder.envFrom');
  }
  return { postgres: postgres ?? { kind: 'none' }, wiring };
}

/** CODER_PG_CONNECTION_URL set where the v2 chart never reads it (a common copy-paste mistake). */
function findMisplaced(doc: Obj): { where: string; why: string }[] {
  const found: { where: string; why: string }[] = [];
  const walk = (v: unknown, path: string): void => {
    if (path === 'coder.env' && Array.isArray(v)) return; // the right place
    if (path === 'coder.envFrom') return;
    if (Array.isArray(v)) {
      v.forEach((x, i) => {
        if (isObj(x) && x.name === PG_URL) found.push({ where: `values ${path}[${i}]`, why: whyIgnored(path) });
        else walk(x, `${path}[${i}]`);
      });
      return;
    }
    if (!isObj(v)) return;
    for (const [k, x] of Object.entries(v)) {
      const p = path ? `${path}.${k}` : k;
      if (k === PG_URL) found.push({ where: `values ${p}`, why: whyIgnored(path) });
      else walk(x, p);
    }
  };
  walk(doc, '');
  return found;
}

function whyIgnored(path: string): string {
  if (path === '' || path === 'env') return 'a top-level key: the chart only reads coder.env';
  if (path.startsWith('coderd')) return 'coderd.* belongs to the Coder v1 chart; the v2 chart only reads coder.env';
  if (path === 'coder.env') return 'coder.env must be a list of {name, value} entries, not a mapping (helm template fails on one)';
  return `the chart does not read ${path}; set it as an entry of coder.env`;
}

function secretRefOf(v: unknown): SecretRef | undefined {
  if (!isObj(v)) return undefined;
  const name = str(v.name);
  const key = str(v.key);
  return name && key ? { name, key } : undefined;
}

function v1Postgres(pg: Obj): PgSource {
  const host = str(pg.host);
  if (!host) return { kind: 'none' }; // built-in TimescaleDB, nothing external to check
  const secret = str(pg.passwordSecret);
  const ssl = isObj(pg.ssl) ? pg.ssl : {};
  const tls: V1TlsRefs = {};
  const cert = secretRefOf(ssl.certSecret);
  const key = secretRefOf(ssl.keySecret);
  const rootCert = secretRefOf(ssl.rootCertSecret);
  if (cert) tls.cert = cert;
  if (key) tls.key = key;
  if (rootCert) tls.rootCert = rootCert;
  return {
    kind: 'v1',
    where: 'values postgres.*',
    host,
    ...(str(pg.port) ? { port: str(pg.port) } : {}),
    ...(str(pg.user) ? { user: str(pg.user) } : {}),
    ...(str(pg.database) ? { database: str(pg.database) } : {}),
    ...(str(pg.sslMode) ? { sslMode: str(pg.sslMode) } : {}),
    ...(str(pg.searchPath) ? { searchPath: str(pg.searchPath) } : {}),
    ...(secret ? { passwordSecret: { name: secret, key: 'password' } } : {}),
    ...(pg.noPasswordEnv === true ? { noPasswordEnv: true } : {}),
    connector: str(pg.connector) ?? 'postgres',
    ...(Object.keys(tls).length ? { tls } : {}),
  };
}

/** The v1 chart's access keys, with its defaults (coder-requirements.md §2). */
function v1AccessOf(doc: Obj, cd: Obj): V1AccessValues {
  const ing = isObj(doc.ingress) ? doc.ingress : {};
  const tls = isObj(cd.tls) ? cd.tls : {};
  const sat = isObj(cd.satellite) ? cd.satellite : {};
  const spec = isObj(cd.serviceSpec) ? cd.serviceSpec : {};
  const nodePorts = isObj(cd.serviceNodePorts) ? cd.serviceNodePorts : {};
  const port = (v: unknown) => (Number.isInteger(Number(v)) && Number(v) > 0 ? Number(v) : null);
  const certs = isObj(doc.certs) && isObj(doc.certs.secret) ? doc.certs.secret : {};
  const annotations: Record<string, string> = {};
  if (isObj(ing.annotations)) for (const [k, v] of Object.entries(ing.annotations)) annotations[k] = str(v) ?? '';
  return {
    ingress: { enable: ing.enable === true, host: str(ing.host) ?? '', className: str(ing.className) ?? '', tls: isObj(ing.tls) && ing.tls.enable === true, annotations },
    devurlsHost: str(cd.devurlsHost) ?? '',
    hostSecretName: str(tls.hostSecretName) ?? '',
    devurlsHostSecretName: str(tls.devurlsHostSecretName) ?? '',
    satellite: { enable: sat.enable === true, accessURL: str(sat.accessURL) ?? '' },
    serviceType: str(spec.type) ?? 'LoadBalancer',
    nodePorts: { http: port(nodePorts.http), https: port(nodePorts.https) },
    serviceAnnotations: isObj(cd.serviceAnnotations) ? Object.keys(cd.serviceAnnotations) : [],
    caSecret: str(certs.name) ?? '',
  };
}
