// Turn flags, environment and the values file into a Target: what to check, nothing judged.
import { hostname } from 'node:os';
import type { Deployment } from '../engine/types.ts';
import type { FailureReason } from '../errors.ts';
import type { Redactor } from '../redact.ts';
import { resolveKube, type KubeResolution } from './kubeconfig.ts';
import { parsePostgresUrl, type PgSettings } from './pgurl.ts';
import { BASELINE_PROFILE, profileFromVersion, type Profile } from './profile.ts';
import { readHelmValues, type HelmValues, type PgSource, type SecretRef } from './values.ts';
import { inspectSecretValue, type SecretValueReport } from './secret-value.ts';
import { NO_PLACEMENT } from '../kubernetes/scheduling.ts';

export type PgResolution =
  | { state: 'configured'; settings: PgSettings; secret?: SecretValueReport }
  | { state: 'absent'; hint: string }
  | { state: 'unresolved'; reason: FailureReason; message: string; hint: string };

export interface Target {
  kube: KubeResolution;
  postgres: PgResolution;
  profile: Profile;
  namespace: string;
  values?: Pick<HelmValues, 'path' | 'shape' | 'replicas'>;
  /** Replicas and pool size Coder will run with (sizing checks need them). */
  deployment: Deployment;
  /** Where this process runs: every measurement taken here names it. */
  vantage: string;
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
  const kube = resolveKube({ kubeconfig: o.kubeconfig, context: o.context, env });
  const namespace = o.namespace ?? 'coder';

  let postgres: PgResolution;
  const fromFlag = o.postgresUrl ?? undefined;
  const fromEnv = env.CODER_PG_CONNECTION_URL;
  if (fromFlag) postgres = configured(fromFlag, '--postgres-url', o.redactor);
  else if (fromEnv) postgres = configured(fromEnv, 'CODER_PG_CONNECTION_URL', o.redactor);
  else if (values) postgres = await fromValues(values.postgres, kube, namespace, o.redactor);
  else postgres = { state: 'absent', hint: NO_DB_HINT };

  const deployment: Deployment =
    o.replicas !== undefined
      ? { replicas: o.replicas, replicasSource: '--replicas' }
      : values
        ? { replicas: values.replicas, replicasSource: `values ${values.shape === 'v2' ? 'coder.replicaCount' : 'coderd.replicas'} (${values.path})` }
        : { replicas: 1, replicasSource: 'default: 1 replica (pass --values or --replicas)' };
  if (values?.poolPerReplica) deployment.poolPerReplica = values.poolPerReplica;
  if (values?.requests) deployment.requests = values.requests;
  if (values?.service) deployment.service = values.service;
  if (o.controlPlaneSelector) deployment.controlPlane = { ...NO_PLACEMENT, ...(values?.placement ? { tolerations: values.placement.tolerations } : {}), nodeSelector: o.controlPlaneSelector, source: '--control-plane-selector' };
  else if (values?.placement) deployment.controlPlane = values.placement;
  if (o.workspaceSelector) deployment.workspaces = { ...NO_PLACEMENT, nodeSelector: o.workspaceSelector, source: '--workspace-selector' };
  return {
    kube,
    postgres,
    deployment,
    profile,
    namespace,
    ...(values ? { values: { path: values.path, shape: values.shape, replicas: values.replicas } } : {}),
    vantage: `this machine (${hostname()})`,
  };
}

function configured(url: string, source: string, redactor: Redactor, secret?: SecretValueReport): Extract<PgResolution, { state: 'configured' }> {
  const settings = parsePostgresUrl(url, source);
  redactor.add(settings.password);
  return { state: 'configured', settings, ...(secret ? { secret } : {}) };
}

async function fromValues(src: PgSource, kube: KubeResolution, namespace: string, redactor: Redactor): Promise<PgResolution> {
  switch (src.kind) {
    case 'none':
      return { state: 'absent', hint: `the values file sets no external database; ${NO_DB_HINT}` };
    case 'url':
      return configured(src.url, src.where, redactor);
    case 'url-secret': {
      const got = await readSecretKey(src.ref, kube, namespace, redactor, 'connection URL');
      return 'value' in got ? configured(got.value, `${src.where} (Secret ${src.ref.name}/${src.ref.key})`, redactor, got.report) : got;
    }
    case 'v1': {
      let password: string | undefined;
      let secret: SecretValueReport | undefined;
      if (src.passwordSecret) {
        const got = await readSecretKey(src.passwordSecret, kube, namespace, redactor, 'password');
        if (!('value' in got)) return got;
        password = got.value;
        secret = got.report;
      }
      const settings: PgSettings = {
        host: src.host,
        port: src.port ? Number(src.port) : 5432,
        user: src.user ?? 'postgres',
        ...(password !== undefined ? { password } : {}),
        database: src.database ?? src.user ?? 'postgres',
        sslmodeRaw: src.sslMode ?? 'require',
        params: src.searchPath ? { search_path: src.searchPath } : {},
        source: src.where,
      };
      return { state: 'configured', settings, ...(secret ? { secret } : {}) };
    }
  }
}

async function readSecretKey(
  ref: SecretRef,
  kube: KubeResolution,
  namespace: string,
  redactor: Redactor,
  holds: SecretValueReport['holds'],
): Promise<{ value: string; report: SecretValueReport } | Extract<PgResolution, { state: 'unresolved' }>> {
  const ns = ref.namespace ?? namespace;
  const what = `Secret ${ns}/${ref.name} key "${ref.key}"`;
  if (!kube.configured) {
    return { state: 'unresolved', reason: 'not-configured', message: `the database password is in ${what}, but no cluster is configured to read it from`, hint: kube.hint };
  }
  const { kubeConfigFor, loadK8s, classifyKubeError } = await import('../kubernetes/client.ts');
  try {
    const k8s = await loadK8s();
    const api = (await kubeConfigFor(kube.target)).makeApiClient(k8s.CoreV1Api);
    const secret = await api.readNamespacedSecret({ name: ref.name, namespace: ns });
    const b64 = secret.data?.[ref.key];
    if (b64 === undefined) {
      return { state: 'unresolved', reason: 'invalid-config', message: `${what} does not exist (the Secret has keys: ${Object.keys(secret.data ?? {}).join(', ') || 'none'})`, hint: `create the key, or fix the values file` };
    }
    const raw = Buffer.from(b64, 'base64');
    const value = raw.toString('utf8');
    redactor.add(value);
    redactor.add(value.trim());
    return { value, report: { secret: `${ns}/${ref.name}`, key: ref.key, holds, bytes: raw.length, problems: inspectSecretValue(raw) } };
  } catch (e) {
    const c = classifyKubeError(e);
    if ((e as { code?: number }).code === 404) {
      return { state: 'unresolved', reason: 'invalid-config', message: `${what}: the Secret does not exist in namespace ${ns}`, hint: `create it before helm install (kubectl -n ${ns} create secret generic ${ref.name} …), or pass --namespace` };
    }
    return { state: 'unresolved', reason: c.reason, message: `could not read ${what}: ${c.message}`, hint: c.reason === 'forbidden' ? `grant get on secrets in ${ns}, or pass --postgres-url` : 'check the cluster connection, or pass --postgres-url' };
  }
}
