// Turn flags, environment and the values file into a Target: what to check, nothing judged.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Deployment } from '../engine/types.ts';
import type { FailureReason } from '../errors.ts';
import type { Redactor } from '../redact.ts';
import { resolveKube, type KubeResolution } from './kubeconfig.ts';
import { parsePgConnString, passwordCandidates, URL_FACT, type PgSettings, type PgSyntax } from './pgurl.ts';
import { BASELINE_PROFILE, profileFromVersion, type Profile } from './profile.ts';
import { ConfigError, fileProblem } from '../errors.ts';
import { readHelmValues, type HelmValues, type KeyRef, type PgSource, type SecretRef } from './values.ts';
import { resolveAccess, type AccessOptions, type AccessTarget } from './access-url.ts';
import { inspectSecretValue, type SecretValueReport } from './secret-value.ts';
import { NO_PLACEMENT } from '../kubernetes/scheduling.ts';
import { registerObjectSecrets, registerPgClientKey, registerValuesSecrets, SECRET_ENV_NAME, watchKubeCredentials } from './secrets.ts';
import type { K8sObject } from '../chart/types.ts';
import { parse as parseYaml } from 'yaml';

/** The values file as YAML (already read and validated by readHelmValues), for its literal secrets. */
function readValuesDoc(path: string): unknown {
  try {
    return parseYaml(readFileSync(path, 'utf8'), { prettyErrors: false });
  } catch {
    return undefined;
  }
}

export type PgResolution =
  | { state: 'configured'; settings: PgSettings; secret?: SecretValueReport; /** Where the chart takes it from, when not the URL itself (a Secret, a ConfigMap). */ from?: string }
  | { state: 'absent'; hint: string }
  | {
      state: 'unresolved';
      reason: FailureReason;
      message: string;
      hint: string;
      /** The fact whose check tells this cause (values.pg-wiring for a Secret or key the values point at that is missing). */
      causedBy?: string;
      /** A connection string Coder refuses: what is wrong and where (postgres.url tells it). */
      syntax?: PgSyntax;
      /** Where the chart takes the refused string from (a Secret, a ConfigMap), as for 'configured'. */
      from?: string;
    };

/** The fact that owns failures of the values file's database wiring. */
export const WIRING_FACT = 'values.pg-wiring';

export interface Target {
  kube: KubeResolution;
  postgres: PgResolution;
  profile: Profile;
  namespace: string;
  values?: Pick<HelmValues, 'path' | 'shape' | 'replicas' | 'wiring' | 'postgres' | 'v1Access'>;
  /**
   * The database settings exactly as the values file gives them to Coder, even when --postgres-url
   * or CODER_PG_CONNECTION_URL overrides them for this run (values.pg-url-wired judges these).
   */
  valuesPostgres?: PgResolution;
  /** How Coder authenticates to the database: "password" or "awsiamrds" (CODER_PG_AUTH, v1 postgres.connector). */
  pgAuth: { value: string; where: string };
  /** What the chart will create: rendered from the values, or --manifests (helm template output). */
  chart: { releaseName: string; manifests?: { file: string; objects: K8sObject[] } };
  /** Replicas and pool size Coder will run with (sizing checks need them). */
  deployment: Deployment;
  /** Where this process runs: every measurement taken here names it. */
  vantage: string;
  /** --access-url/$CODER_ACCESS_URL, the wildcard, --ca-bundle (the values' own are read from the chart). */
  access?: AccessTarget;
}

export interface TargetOptions {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  postgresUrl?: string;
  values?: string;
  coderVersion?: string;
  /** --replicas: overrides the values file. */
  replicas?: number;
  /** --control-plane-selector: where Coder's pods go (overrides the values' nodeSelector/affinity). */
  controlPlaneSelector?: Record<string, string>;
  /** --workspace-selector: the workspace node group. */
  workspaceSelector?: Record<string, string>;
  /** --manifests: `helm template` output to judge instead of rendering the chart from the values. */
  manifests?: string;
  /** --release-name: the Helm release (names the chart's objects). Default coder. */
  releaseName?: string;
  /** --password-file: the database password, as Coder v1 reads it from DB_PASSWORD_PATH. */
  passwordFile?: string;
  /** Ask for a password (hidden) when the settings have none; only on an interactive terminal. */
  askPassword?: (question: string) => Promise<string | undefined>;
  /** --access-url, --wildcard-access-url, --ca-bundle. */
  access?: AccessOptions;
  env?: NodeJS.ProcessEnv;
  redactor: Redactor;
  signal?: AbortSignal;
}

const NO_DB_HINT = 'no database given: pass --postgres-url, set CODER_PG_CONNECTION_URL, or --values with the database settings';

export async function resolveTarget(o: TargetOptions): Promise<Target> {
  const env = o.env ?? process.env;
  const values = o.values ? readHelmValues(o.values) : undefined;
  const profile = o.coderVersion
    ? profileFromVersion(o.coderVersion)
    : values
      ? { name: values.shape, source: `values file shape (${values.shape === 'v2' ? 'coder.*' : 'coderd.*/postgres.*'}) of ${values.path}` }
      : BASELINE_PROFILE;
  const kube = resolveKube({ kubeconfig: o.kubeconfig, context: o.context, env, redactor: o.redactor });
  if (values) registerValuesSecrets(o.redactor, readValuesDoc(values.path), values.path);
  const namespace = o.namespace ?? 'coder';

  const fromFlag = o.postgresUrl ?? undefined;
  const fromEnv = env.CODER_PG_CONNECTION_URL;
  const valuesPostgres = values ? await fromValues(values.postgres, kube, namespace, o.redactor) : undefined;
  let postgres: PgResolution;
  if (fromFlag) postgres = configured(fromFlag, '--postgres-url', o.redactor);
  else if (fromEnv) postgres = configured(fromEnv, 'CODER_PG_CONNECTION_URL', o.redactor);
  else if (valuesPostgres) postgres = valuesPostgres;
  else postgres = { state: 'absent', hint: NO_DB_HINT };
  const pgAuth = env.CODER_PG_AUTH ? { value: env.CODER_PG_AUTH, where: 'CODER_PG_AUTH' } : (values?.pgAuth ?? { value: 'password', where: 'default (CODER_PG_AUTH unset)' });
  postgres = await withPassword(postgres, pgAuth, o);

  const deployment: Deployment =
    o.replicas !== undefined
      ? { replicas: o.replicas, replicasSource: '--replicas' }
      : values
        ? { replicas: values.replicas, replicasSource: `values ${values.shape === 'v2' ? 'coder.replicaCount' : 'coderd.replicas'} (${values.path})` }
        : { replicas: 1, replicasSource: 'default: 1 replica (pass --values or --replicas)' };
  if (values?.poolPerReplica) deployment.poolPerReplica = values.poolPerReplica;
  if (values?.requests) deployment.requests = values.requests;
  if (values?.service) deployment.service = values.service;
  if (values?.ha) deployment.ha = values.ha;
  if (values?.storageClass) deployment.storageClass = values.storageClass;
  if (o.controlPlaneSelector) deployment.controlPlane = { ...NO_PLACEMENT, ...(values?.placement ? { tolerations: values.placement.tolerations } : {}), nodeSelector: o.controlPlaneSelector, source: '--control-plane-selector' };
  else if (values?.placement) deployment.controlPlane = values.placement;
  if (o.workspaceSelector) deployment.workspaces = { ...NO_PLACEMENT, nodeSelector: o.workspaceSelector, source: '--workspace-selector' };
  // Read and parsed here, like the values file: an unreadable or malformed file is a usage error (exit 2).
  const manifests = o.manifests ? { file: o.manifests, objects: (await import('../chart/manifests.ts')).readManifests(o.manifests) } : undefined;
  if (manifests) registerObjectSecrets(o.redactor, manifests.objects, `--manifests ${manifests.file}`);
  return {
    kube,
    postgres,
    deployment,
    profile,
    namespace,
    pgAuth,
    chart: { releaseName: o.releaseName ?? 'coder', ...(manifests ? { manifests } : {}) },
    ...(values ? { values: { path: values.path, shape: values.shape, replicas: values.replicas, wiring: values.wiring, postgres: values.postgres, ...(values.v1Access ? { v1Access: values.v1Access } : {}) }, ...(valuesPostgres ? { valuesPostgres } : {}) } : {}),
    access: resolveAccess(o.access ?? {}, env),
    // Inside a pod (the in-cluster service account): every measurement is from the cluster, where Coder runs.
    vantage: kube.configured && kube.target.inCluster ? `in the cluster (pod ${env.POD_NAMESPACE ? `${env.POD_NAMESPACE}/` : ''}${hostname()})` : `this machine (${hostname()})`,
  };
}

/**
 * Read a connection string as Coder will. One Coder refuses is not a usage error: it is the
 * finding of postgres.url-syntax (fact postgres.url), so it shows in every report format; the
 * resolution carries what is wrong and where (no secret), and every check that needs the
 * database points there. Whatever may be its password is registered with the redactor first.
 */
function configured(url: string, source: string, redactor: Redactor, secret?: SecretValueReport): Extract<PgResolution, { state: 'configured' | 'unresolved' }> {
  for (const candidate of passwordCandidates(url)) redactor.add(candidate, `password from ${source}`);
  const parsed = parsePgConnString(url, source);
  if (!parsed.ok) {
    redactor.add(url, `connection string from ${source} (refused, so masked whole)`);
    redactor.add(url.trim(), `connection string from ${source} (refused, so masked whole)`);
    return { state: 'unresolved', reason: 'invalid-config', message: parsed.message, hint: parsed.hint, causedBy: URL_FACT, syntax: parsed.syntax };
  }
  redactor.add(parsed.settings.password, `password from ${source}`);
  registerPgClientKey(redactor, parsed.settings, source);
  return { state: 'configured', settings: parsed.settings, ...(secret ? { secret } : {}) };
}

/** The password from --password-file, else asked for on a terminal, when the settings carry none. */
async function withPassword(pg: PgResolution, auth: { value: string; where: string }, o: TargetOptions): Promise<PgResolution> {
  if (pg.state !== 'configured') return pg;
  const s = pg.settings;
  if (o.passwordFile !== undefined) {
    if (s.password !== undefined) {
      throw new ConfigError(`both ${s.source} and --password-file give a database password`, 'give the password one way: drop it from the URL, or drop --password-file');
    }
    let text: string;
    try {
      text = readFileSync(o.passwordFile, 'utf8');
    } catch (e) {
      throw new ConfigError(`cannot read --password-file ${o.passwordFile}: ${fileProblem(e)}`, 'give a file that holds only the password');
    }
    // One trailing line break is the file's, not the password's (echo, editors); say nothing else changes.
    const password = text.replace(/\r?\n$/, '');
    o.redactor.add(password, 'password from --password-file');
    return { ...pg, settings: { ...s, password, source: `${s.source}, password from --password-file` } };
  }
  // IAM authentication signs a token per connection; we cannot sign one (no AWS credentials, no SDK).
  if (auth.value === 'awsiamrds' && s.password === undefined) {
    return {
      state: 'unresolved',
      reason: 'not-configured',
      message: `Coder logs in to the database with AWS IAM (${auth.where} = awsiamrds): coder-preflight cannot sign an IAM token, so it does not log in, and the database checks do not run`,
      hint: 'give it a token as the password: aws rds generate-db-auth-token --hostname <host> --port <port> --username <user> > token && coder-preflight … --password-file token (valid 15 minutes), or a password role with the same grants via --postgres-url',
    };
  }
  if (s.password !== undefined || s.sslcert || auth.value === 'awsiamrds' || !o.askPassword) return pg;
  const answer = await o.askPassword(`Password for ${s.user} at ${s.host}:${s.port} (Enter for none): `);
  if (!answer) return pg;
  o.redactor.add(answer, 'password typed at the prompt');
  return { ...pg, settings: { ...s, password: answer, source: `${s.source}, password typed at the prompt` } };
}

async function fromValues(src: PgSource, kube: KubeResolution, namespace: string, redactor: Redactor): Promise<PgResolution> {
  switch (src.kind) {
    case 'none':
      return { state: 'absent', hint: `the values file sets no external database; ${NO_DB_HINT}` };
    case 'url':
      return configured(src.url, src.where, redactor);
    case 'url-ref': {
      const got = await readKey(src.ref, kube, namespace, redactor, 'connection URL');
      if (!('value' in got)) return got;
      const from = `${kindName(src.ref)} ${got.object} key "${src.ref.key}"`;
      return { ...configured(got.value, `${src.where} (${from})`, redactor, got.report), from };
    }
    case 'env-from':
      return fromEnvFrom(src, kube, namespace, redactor);
    case 'v1': {
      let password: string | undefined;
      let secret: SecretValueReport | undefined;
      if (src.passwordSecret) {
        const got = await readKey({ ...src.passwordSecret, from: 'secret' }, kube, namespace, redactor, 'password');
        if (!('value' in got)) return got;
        password = got.value;
        secret = got.report;
      }
      const files: Partial<Record<'sslcert' | 'sslkey' | 'sslrootcert', string>> = {};
      for (const [param, ref] of [['sslcert', src.tls?.cert], ['sslkey', src.tls?.key], ['sslrootcert', src.tls?.rootCert]] as const) {
        if (!ref) continue;
        const got = await readKey({ ...ref, from: 'secret' }, kube, namespace, redactor, param === 'sslkey' ? 'client key' : 'certificate');
        if (!('value' in got)) return got;
        files[param] = privateFile(param, got.value);
      }
      const settings: PgSettings = {
        host: src.host,
        port: src.port ? Number(src.port) : 5432,
        user: src.user ?? 'postgres',
        ...(password !== undefined ? { password } : {}),
        database: src.database ?? src.user ?? 'postgres',
        sslmodeRaw: src.sslMode ?? 'require',
        ...files,
        params: src.searchPath ? { search_path: src.searchPath } : {},
        source: src.noPasswordEnv ? `${src.where} (password from DB_PASSWORD_PATH, Secret ${src.passwordSecret?.name ?? '?'})` : src.where,
      };
      return { state: 'configured', settings, ...(secret ? { secret } : {}), ...(src.passwordSecret ? { from: `Secret ${src.passwordSecret.namespace ?? namespace}/${src.passwordSecret.name} key "password"` } : {}) };
    }
  }
}

/**
 * coder.envFrom: every key of each object becomes a variable (prefix + key); a later entry wins over
 * an earlier one, and a missing object that is not optional keeps the pod from starting.
 */
async function fromEnvFrom(src: Extract<PgSource, { kind: 'env-from' }>, kube: KubeResolution, namespace: string, redactor: Redactor): Promise<PgResolution> {
  const looked: string[] = [];
  let found: { ref: KeyRef; index: number } | undefined;
  for (const r of src.refs) {
    const obj = await readObject({ from: r.from, name: r.name, key: '' }, kube, namespace, 'connection URL', redactor);
    const label = `${r.from === 'secret' ? 'Secret' : 'ConfigMap'} ${namespace}/${r.name} (coder.envFrom[${r.index}])`;
    if ('state' in obj) {
      if (obj.missing && r.optional) {
        looked.push(`${label}: does not exist (optional)`);
        continue;
      }
      return obj;
    }
    const key = r.prefix ? 'CODER_PG_CONNECTION_URL'.slice(r.prefix.length) : 'CODER_PG_CONNECTION_URL';
    if (key in obj.data) found = { ref: { from: r.from, name: r.name, key }, index: r.index };
    looked.push(`${label}: keys ${Object.keys(obj.data).join(', ') || 'none'}`);
  }
  if (!found) {
    return {
      state: 'unresolved',
      reason: 'invalid-config',
      message: `coder.envFrom gives Coder no CODER_PG_CONNECTION_URL (${looked.join('; ')})`,
      hint: 'add the key CODER_PG_CONNECTION_URL to one of those objects, or set it in coder.env with valueFrom.secretKeyRef',
      causedBy: WIRING_FACT,
    };
  }
  const got = await readKey(found.ref, kube, namespace, redactor, 'connection URL');
  if (!('value' in got)) return got;
  const from = `${kindName(found.ref)} ${got.object} key "${found.ref.key}" (coder.envFrom[${found.index}])`;
  return { ...configured(got.value, `values coder.envFrom (${from})`, redactor, got.report), from };
}

const kindName = (r: Pick<KeyRef, 'from'>) => (r.from === 'secret' ? 'Secret' : 'ConfigMap');

/** A private temp file for a certificate or key from a Secret (lib/pq wants paths), removed at exit. */
let certDir: string | undefined;
function privateFile(name: string, content: string): string {
  if (!certDir) {
    const dir = mkdtempSync(join(tmpdir(), 'coder-preflight-pg-'));
    chmodSync(dir, 0o700);
    certDir = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  const file = join(certDir, name);
  writeFileSync(file, content, { mode: 0o600 });
  return file;
}

type Unresolved = Extract<PgResolution, { state: 'unresolved' }>;

/** A Secret's or ConfigMap's data (decoded), or why it could not be read. */
async function readObject(
  ref: KeyRef,
  kube: KubeResolution,
  namespace: string,
  holds: string,
  redactor: Redactor,
): Promise<{ data: Record<string, Buffer>; object: string } | (Unresolved & { missing?: boolean })> {
  const ns = ref.namespace ?? namespace;
  const kind = kindName(ref);
  const what = `${kind} ${ns}/${ref.name}`;
  if (!kube.configured) {
    return { state: 'unresolved', reason: 'not-configured', message: `the database ${holds} is in ${what}${ref.key ? ` key "${ref.key}"` : ''}, but no cluster is configured to read it from`, hint: kube.hint };
  }
  const { kubeConfigFor, loadK8s, classifyKubeError } = await import('../kubernetes/client.ts');
  try {
    const k8s = await loadK8s();
    const api = watchKubeCredentials(await kubeConfigFor(kube.target), redactor).makeApiClient(k8s.CoreV1Api);
    const data: Record<string, Buffer> = {};
    if (ref.from === 'secret') {
      const secret = await api.readNamespacedSecret({ name: ref.name, namespace: ns });
      for (const [k, v] of Object.entries(secret.data ?? {})) {
        data[k] = Buffer.from(v, 'base64');
        // Every key of an envFrom Secret becomes a variable: the secret-looking ones are registered now (the key used, by readKey).
        if (SECRET_ENV_NAME.test(k)) redactor.add(data[k].toString('utf8'), `value of Secret ${ns}/${ref.name} key "${k}"`);
      }
    } else {
      const cm = await api.readNamespacedConfigMap({ name: ref.name, namespace: ns });
      for (const [k, v] of Object.entries(cm.data ?? {})) data[k] = Buffer.from(v, 'utf8');
      for (const [k, v] of Object.entries(cm.binaryData ?? {})) data[k] = Buffer.from(v, 'base64');
    }
    return { data, object: `${ns}/${ref.name}` };
  } catch (e) {
    if ((e as { code?: number }).code === 404) {
      return {
        state: 'unresolved',
        reason: 'invalid-config',
        message: `${what} does not exist${ref.key ? ` (the values read its key "${ref.key}")` : ''}`,
        hint: `create it before helm install (kubectl -n ${ns} create ${ref.from === 'secret' ? 'secret generic' : 'configmap'} ${ref.name} …), or fix the values file or --namespace: the pod would not start (CreateContainerConfigError)`,
        causedBy: WIRING_FACT,
        missing: true,
      };
    }
    const c = classifyKubeError(e);
    const verb = `get ${ref.from === 'secret' ? 'secrets' : 'configmaps'}`;
    return { state: 'unresolved', reason: c.reason, message: `could not read ${what}: ${c.message}`, hint: c.reason === 'forbidden' ? `grant ${verb} in ${ns} (Role rule: resources [${ref.from === 'secret' ? 'secrets' : 'configmaps'}], verbs [get]), or pass --postgres-url` : 'check the cluster connection, or pass --postgres-url', causedBy: WIRING_FACT };
  }
}

/** One key of a Secret or ConfigMap, registered with the redactor the moment it is read. */
async function readKey(
  ref: KeyRef,
  kube: KubeResolution,
  namespace: string,
  redactor: Redactor,
  holds: 'password' | 'connection URL' | 'certificate' | 'client key',
): Promise<{ value: string; report: SecretValueReport; object: string } | Unresolved> {
  const obj = await readObject(ref, kube, namespace, holds, redactor);
  if ('state' in obj) {
    const { missing: _, ...rest } = obj;
    return rest;
  }
  const raw = obj.data[ref.key];
  if (raw === undefined) {
    return {
      state: 'unresolved',
      reason: 'invalid-config',
      message: `${kindName(ref)} ${obj.object} has no key "${ref.key}" (its keys: ${Object.keys(obj.data).join(', ') || 'none'})`,
      hint: ref.optional ? 'the reference is optional, so Coder would start without the setting: add the key' : 'add the key, or fix the key name in the values file: the pod would not start (CreateContainerConfigError)',
      causedBy: WIRING_FACT,
    };
  }
  const value = raw.toString('utf8');
  const what = `${holds} from ${kindName(ref)} ${obj.object} key "${ref.key}"`;
  redactor.add(value, what);
  redactor.add(value.trim(), what);
  const report: SecretValueReport = { secret: obj.object, key: ref.key, holds: holds === 'password' ? 'password' : 'connection URL', bytes: raw.length, problems: inspectSecretValue(raw) };
  return { value, report, object: obj.object };
}
