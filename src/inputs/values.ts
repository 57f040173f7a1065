// Read a Coder Helm values file: which chart it is for (v1 `coderd.*`/`postgres.*`, v2 `coder.*`),
// how many replicas, and where the database settings come from (literal or a Secret reference).
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ConfigError, errorMessage, fileProblem } from '../errors.ts';
import { cpuMillis, mebibytes } from '../kubernetes/quantity.ts';
import type { NodeSelectorRequirement, Placement, Toleration } from '../kubernetes/scheduling.ts';
import type { ServiceSettings } from '../engine/types.ts';

export interface SecretRef {
  namespace?: string;
  name: string;
  key: string;
}

export type PgSource =
  | { kind: 'none' }
  | { kind: 'url'; url: string; where: string }
  | { kind: 'url-secret'; ref: SecretRef; where: string }
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
    };

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
  const coderd = doc.coderd;
  if (isObj(coder)) {
    const replicas = Number(coder.replicaCount ?? 1);
    const pool = envNumber(coder.env, 'CODER_PG_CONN_MAX_OPEN', 'values coder.env CODER_PG_CONN_MAX_OPEN');
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
    return { path, shape: 'v2', replicas: Number.isFinite(replicas) ? replicas : 1, ...(pool ? { poolPerReplica: pool } : {}), ...(placement ? { placement } : {}), ...(requests ? { requests } : {}), service, postgres: v2Postgres(coder) };
  }
  if (isObj(coderd) || isObj(doc.postgres)) {
    const replicas = Number((isObj(coderd) ? coderd.replicas : undefined) ?? 1);
    const pool = envNumber(isObj(coderd) ? coderd.extraEnvs : undefined, 'CODER_MAX_DB_CONNECTIONS', 'values coderd.extraEnvs CODER_MAX_DB_CONNECTIONS');
    const services = isObj(doc.services) ? doc.services : {};
    const placement = placementOf(services.nodeSelector, undefined, services.tolerations, 'values services.nodeSelector/tolerations');
    const requests = requestsOf(isObj(coderd) ? coderd.resources : undefined, 'values coderd.resources');
    const spec = isObj(coderd) && isObj(coderd.serviceSpec) ? coderd.serviceSpec : {};
    const service: ServiceSettings = {
      enabled: true,
      type: str(spec.type) ?? 'LoadBalancer',
      sessionAffinity: 'None',
      loadBalancerClass: '',
      annotations: isObj(coderd) && isObj(coderd.serviceAnnotations) ? Object.keys(coderd.serviceAnnotations) : [],
      where: 'values coderd.serviceSpec (chart default: LoadBalancer)',
    };
    return { path, shape: 'v1', replicas: Number.isFinite(replicas) ? replicas : 1, ...(pool ? { poolPerReplica: pool } : {}), ...(placement ? { placement } : {}), ...(requests ? { requests } : {}), service, postgres: v1Postgres(doc) };
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

/** A literal numeric env entry ({name, value}) from a chart's env list. */
function envNumber(env: unknown, name: string, where: string): { value: number; where: string } | undefined {
  if (!Array.isArray(env)) return undefined;
  const e = env.find((x) => isObj(x) && x.name === name) as Obj | undefined;
  const n = Number(e?.value);
  return e && Number.isInteger(n) && n > 0 ? { value: n, where } : undefined;
}

function v2Postgres(coder: Obj): PgSource {
  const env = Array.isArray(coder.env) ? coder.env : [];
  for (const e of env) {
    if (!isObj(e) || e.name !== 'CODER_PG_CONNECTION_URL') continue;
    const where = 'values coder.env CODER_PG_CONNECTION_URL';
    const literal = str(e.value);
    if (literal) return { kind: 'url', url: literal, where };
    const ref = isObj(e.valueFrom) && isObj(e.valueFrom.secretKeyRef) ? e.valueFrom.secretKeyRef : undefined;
    const name = str(ref?.name);
    const key = str(ref?.key);
    if (name && key) return { kind: 'url-secret', ref: { name, key }, where };
  }
  return { kind: 'none' };
}

function v1Postgres(doc: Obj): PgSource {
  const pg = isObj(doc.postgres) ? doc.postgres : {};
  const host = str(pg.host);
  if (!host) return { kind: 'none' }; // built-in TimescaleDB, nothing external to check
  const secret = str(pg.passwordSecret);
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
  };
}
