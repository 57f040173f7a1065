// What the cluster's admission says about what `helm install` will create: every object of
// chart.objects, the Pod each of its workloads would create (Pod Security, ResourceQuota and
// LimitRange judge Pods, not Deployments), and a sample workspace Pod and PVC shaped like Coder's
// example Kubernetes template, each sent to the API server with a server-side dry-run (dryRun=All,
// fieldValidation=Strict: nothing is persisted, every admission plugin, policy and webhook runs).
import type { KubeConfig, KubernetesObject, KubernetesObjectApi } from '@kubernetes/client-node';
import type { K8sObject } from '../../chart/types.ts';
import type { K8sModule } from '../../kubernetes/client.ts';
import { parseQuantity } from '../../kubernetes/quantity.ts';
import { withKube } from '../../kubernetes/with-kube.ts';
import { defineCollector } from '../collector.ts';
import { requireInstallerIdentity } from '../../kubernetes/installer.ts';

export type AdmissionOutcome =
  /** The API server would create it. */
  | 'admitted'
  /** Admission (or validation) refuses it: `mechanism` says which. */
  | 'denied'
  /** The user may not do this (RBAC): `permission` says what is missing. Not admission. */
  | 'forbidden'
  /** Not sent: the namespace does not exist (helm --create-namespace would create it). */
  | 'namespace-missing'
  /** The cluster serves no such apiVersion/kind (a CRD that is not installed). */
  | 'kind-not-served'
  /** A dry-run cannot tell (it depends on an object the same install creates first, or a webhook that refuses dry-runs). */
  | 'undecidable'
  /** The API server failed to answer for this object (5xx, unexpected status). */
  | 'error';

export type AdmissionMechanism =
  | 'pod-security'
  | 'resource-quota'
  | 'limit-range'
  | 'validating-admission-policy'
  | 'webhook'
  /** Strict field validation: a field the API does not know (helm's schema validation refuses it too). */
  | 'schema'
  /** The API's own validation (422 Invalid). */
  | 'validation'
  /** The ServiceAccount the Pod runs as exists nowhere. */
  | 'service-account'
  | 'namespace-lifecycle'
  /** The object exists already and belongs to no Helm release of this name: helm install refuses to adopt it. */
  | 'helm-ownership'
  | 'other';

export interface AdmissionCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface AdmissionObjectFact {
  apiVersion: string;
  kind: string;
  name: string;
  /** null for a cluster-scoped object. */
  namespace: string | null;
  /** chart: an object of chart.objects; pod: the Pod one of its workloads creates; workspace: the sample workspace Pod/PVC. */
  origin: 'chart' | 'pod' | 'workspace';
  /** For origin pod: the workload whose template it is ("Deployment coder/coder"). */
  of?: string;
  outcome: AdmissionOutcome;
  /** The API server's answer (absent when not sent). */
  httpStatus?: number;
  /** Status.reason (Forbidden, Invalid, NotFound, BadRequest…). */
  reason?: string;
  /** Status.message, verbatim. */
  message?: string;
  /** Status.details.causes. */
  causes?: AdmissionCause[];
  mechanism?: AdmissionMechanism;
  /** The policy that decided: PSA level ("restricted:latest"), quota, ValidatingAdmissionPolicy or webhook name. */
  policy?: string;
  /** A ValidatingAdmissionPolicy's binding. */
  binding?: string;
  /** For forbidden: what the user may not do. */
  permission?: { verb: string; group: string; resource: string; namespace?: string };
  /** Warning headers of the answer (PSA warn/audit on workloads, deprecated APIs…). */
  warnings?: string[];
  /** What was done differently from a plain create, and why. */
  notes?: string[];
  /** For a workload's Pod: the workload's replicas (absent for a DaemonSet/Job: not a fixed count). */
  replicas?: number;
  /** For an admitted workload Pod: what one Pod counts against a ResourceQuota, as admitted (after LimitRange defaults): requests.cpu in cores, requests.memory in bytes… */
  quotaUsage?: Record<string, number>;
  /** For a chart object that already exists: dry-run as an update (server-side apply), as helm upgrade would change it. */
  exists?: boolean;
}

export interface ResourceQuotaFact {
  name: string;
  /** status.hard (else spec.hard). */
  hard: Record<string, string>;
  used: Record<string, string>;
  /** Scopes or a scopeSelector: only some Pods count (not summed here). */
  scoped: boolean;
}

export interface AdmissionNamespaceFact {
  name: string;
  /** Why objects go there: the release namespace and/or a workspace namespace. */
  purposes: ('release' | 'workspace')[];
  /** false: the dry-run said `namespaces "x" not found`; null: no answer told. */
  exists: boolean | null;
  /** The manifests create this namespace (a Namespace object). */
  createdByManifests?: boolean;
  /** The namespace's ResourceQuotas, for the sum over replicas (a dry-run judges one Pod); null when they could not be read. */
  quotas: ResourceQuotaFact[] | null;
  quotaError?: string;
}

export interface AdmissionFact {
  source: 'values' | 'manifests';
  file: string;
  releaseName: string;
  releaseNamespace: string;
  workspaceNamespaces: string[];
  /** Where the workspace namespaces came from. */
  workspaceNamespacesFrom: string;
  namespaces: AdmissionNamespaceFact[];
  objects: AdmissionObjectFact[];
  /** Objects of the manifests not sent, and why (helm test hooks). */
  skipped: string[];
}

declare module '../types.ts' {
  interface FactMap {
    'kubernetes.admission': AdmissionFact;
  }
}

/** Coder's example template examples/templates/kubernetes/main.tf (coder/coder v2.30.0), with its parameter defaults (2 cores, 2 GB, 10 GB home). */
export const SAMPLE_WORKSPACE = {
  name: 'coder-preflight-sample-workspace',
  source: "Coder's example template examples/templates/kubernetes/main.tf (v2.30.0; parameter defaults cpu 2, memory 2 GB, home disk 10 GB)",
  labels: { 'app.kubernetes.io/name': 'coder-workspace', 'app.kubernetes.io/instance': 'coder-workspace-coder-preflight-sample', 'app.kubernetes.io/part-of': 'coder', 'com.coder.resource': 'true' },
};

export function samplePvc(namespace: string): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: `${SAMPLE_WORKSPACE.name}-home`, namespace, labels: { 'app.kubernetes.io/name': 'coder-pvc', 'app.kubernetes.io/instance': 'coder-pvc-coder-preflight-sample', 'app.kubernetes.io/part-of': 'coder', 'com.coder.resource': 'true' } },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } },
  };
}

export function samplePod(namespace: string): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: SAMPLE_WORKSPACE.name, namespace, labels: { ...SAMPLE_WORKSPACE.labels } },
    spec: {
      securityContext: { runAsUser: 1000, fsGroup: 1000, runAsNonRoot: true },
      containers: [
        {
          name: 'dev',
          image: 'codercom/enterprise-base:ubuntu',
          imagePullPolicy: 'Always',
          command: ['sh', '-c', 'exit 0'],
          securityContext: { runAsUser: 1000 },
          resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '2', memory: '2Gi' } },
          volumeMounts: [{ mountPath: '/home/coder', name: 'home', readOnly: false }],
        },
      ],
      volumes: [{ name: 'home', persistentVolumeClaim: { claimName: `${SAMPLE_WORKSPACE.name}-home`, readOnly: false } }],
      affinity: {
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 1, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In', values: ['coder-workspace'] }] } } },
          ],
        },
      },
    },
  };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Workload kinds and where their Pod template is. */
const POD_TEMPLATES: Record<string, string[]> = {
  'apps/v1 Deployment': ['spec', 'template'],
  'apps/v1 StatefulSet': ['spec', 'template'],
  'apps/v1 DaemonSet': ['spec', 'template'],
  'apps/v1 ReplicaSet': ['spec', 'template'],
  'v1 ReplicationController': ['spec', 'template'],
  'batch/v1 Job': ['spec', 'template'],
  'batch/v1 CronJob': ['spec', 'jobTemplate', 'spec', 'template'],
};
const FIXED_REPLICAS = new Set(['Deployment', 'StatefulSet', 'ReplicaSet', 'ReplicationController']);

function at(o: unknown, path: string[]): unknown {
  let v = o;
  for (const k of path) v = isObj(v) ? v[k] : undefined;
  return v;
}

/** The Pod a workload's controller would create from its template (named here; controllers add a hash). */
export function podOfWorkload(w: K8sObject, namespace: string): { pod: K8sObject; replicas?: number } | undefined {
  const path = POD_TEMPLATES[`${w.apiVersion} ${w.kind}`];
  if (!path) return undefined;
  const template = at(w, path);
  if (!isObj(template) || !isObj(template.spec)) return undefined;
  const meta = isObj(template.metadata) ? template.metadata : {};
  const name = `${w.metadata.name}-preflight-dry-run`.slice(0, 253);
  const pod: K8sObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, ...(isObj(meta.labels) ? { labels: meta.labels } : {}), ...(isObj(meta.annotations) ? { annotations: meta.annotations } : {}) },
    spec: template.spec,
  };
  const r = at(w, ['spec', 'replicas']);
  const replicas = FIXED_REPLICAS.has(w.kind) ? (typeof r === 'number' ? r : r === undefined || r === null ? 1 : undefined) : undefined;
  return { pod, ...(replicas !== undefined ? { replicas } : {}) };
}

/**
 * Workspace namespaces: those the chart's rendered RBAC gives Coder's ServiceAccount a Role in
 * (coder.serviceAccount.workspaceNamespaces and the release namespace with workspacePerms); else the release namespace.
 */
export function workspaceNamespacesOf(objects: readonly K8sObject[], releaseNamespace: string): { namespaces: string[]; from: string } {
  const roles = objects.filter((o) => o.kind === 'Role' && o.apiVersion.startsWith('rbac.authorization.k8s.io/') && /-workspace-perms$/.test(o.metadata.name));
  const ns = [...new Set(roles.map((r) => str(r.metadata.namespace) ?? releaseNamespace))];
  if (ns.length) return { namespaces: ns, from: `the chart's workspace Roles (${roles.map((r) => `${str(r.metadata.namespace) ?? releaseNamespace}/${r.metadata.name}`).join(', ')})` };
  return { namespaces: [releaseNamespace], from: 'the release namespace (the chart renders no workspace Role)' };
}

/** A pod's usage as ResourceQuota counts it: requests.X/limits.X (sum of containers, at least the largest init container, plus overhead), pods. */
export function podQuotaUsage(spec: unknown): Record<string, number> {
  const out: Record<string, number> = { pods: 1, 'count/pods': 1 };
  if (!isObj(spec)) return out;
  const sum = (list: unknown, kind: 'requests' | 'limits') => {
    const acc: Record<string, number> = {};
    for (const c of Array.isArray(list) ? list : []) {
      const r = at(c, ['resources', kind]);
      if (!isObj(r)) continue;
      for (const [k, v] of Object.entries(r)) {
        const q = parseQuantity(v as string);
        if (Number.isFinite(q)) acc[k] = (acc[k] ?? 0) + q;
      }
    }
    return acc;
  };
  const maxInit = (kind: 'requests' | 'limits') => {
    const acc: Record<string, number> = {};
    for (const c of Array.isArray(spec.initContainers) ? spec.initContainers : []) {
      const r = at(c, ['resources', kind]);
      if (!isObj(r)) continue;
      for (const [k, v] of Object.entries(r)) {
        const q = parseQuantity(v as string);
        if (Number.isFinite(q)) acc[k] = Math.max(acc[k] ?? 0, q);
      }
    }
    return acc;
  };
  const overhead = isObj(spec.overhead) ? spec.overhead : {};
  for (const kind of ['requests', 'limits'] as const) {
    const main = sum(spec.containers, kind);
    const init = maxInit(kind);
    for (const k of new Set([...Object.keys(main), ...Object.keys(init)])) {
      const o = parseQuantity(overhead[k] as string);
      out[`${kind}.${k}`] = Math.max(main[k] ?? 0, init[k] ?? 0) + (Number.isFinite(o) ? o : 0);
    }
  }
  return out;
}

/** The Warning headers of an answer: `299 - "text"`, several joined by ", ". */
export function parseWarnings(header: unknown): string[] {
  const text = Array.isArray(header) ? header.join(', ') : typeof header === 'string' ? header : '';
  const out: string[] = [];
  for (const m of text.matchAll(/\d{3} \S+ "((?:[^"\\]|\\.)*)"/g)) out.push(m[1]!.replace(/\\(.)/g, '$1'));
  return out;
}

interface ApiStatus {
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; kind?: string; group?: string; causes?: { reason?: string; message?: string; field?: string }[] };
}

function parseStatus(body: unknown): ApiStatus {
  if (isObj(body)) return body as ApiStatus;
  if (typeof body === 'string') {
    try {
      const v = JSON.parse(body) as unknown;
      if (isObj(v)) return v as ApiStatus;
    } catch {
      /* not JSON: a proxy's or the mux's plain text */
    }
    return { message: body.trim().slice(0, 2000) };
  }
  return {};
}

type Verdict = Pick<AdmissionObjectFact, 'outcome' | 'mechanism' | 'policy' | 'binding' | 'permission'>;

/** What an error answer means: RBAC (the user's permission) or which admission mechanism. */
export function classifyDenial(httpStatus: number, status: ApiStatus, obj: { kind: string; namespace: string | null }): Verdict {
  const msg = status.message ?? '';
  const rbac = /User "([^"]*)" cannot (\S+) resource "([^"]+)" in API group "([^"]*)"(?: in the namespace "([^"]+)")?/.exec(msg);
  if (httpStatus === 403 && rbac) {
    const [, , verb, resource, group, namespace] = rbac;
    return { outcome: 'forbidden', permission: { verb: verb!, group: group!, resource: resource!, ...(namespace ? { namespace } : {}) } };
  }
  if (httpStatus === 403 && /is attempting to grant RBAC permissions not currently held/.test(msg)) {
    const clusterRole = /^ClusterRole/.test(obj.kind);
    const verb = /Binding$/.test(obj.kind) ? 'bind' : 'escalate';
    return { outcome: 'forbidden', permission: { verb, group: 'rbac.authorization.k8s.io', resource: clusterRole ? 'clusterroles' : 'roles', ...(obj.namespace && !clusterRole ? { namespace: obj.namespace } : {}) } };
  }
  const psa = /violates PodSecurity "([^"]+)"/.exec(msg);
  if (psa) return { outcome: 'denied', mechanism: 'pod-security', policy: psa[1]! };
  const vap = /ValidatingAdmissionPolicy '([^']+)' with binding '([^']+)' denied request/.exec(msg);
  if (vap) return { outcome: 'denied', mechanism: 'validating-admission-policy', policy: vap[1]!, binding: vap[2]! };
  const noDryRun = /admission webhook "([^"]+)" does not support dry run/.exec(msg);
  if (noDryRun) return { outcome: 'undecidable', mechanism: 'webhook', policy: noDryRun[1]! };
  const hook = /admission webhook "([^"]+)" denied the request/.exec(msg) ?? /failed calling webhook "([^"]+)"/.exec(msg);
  if (hook) return { outcome: 'denied', mechanism: 'webhook', policy: hook[1]! };
  const quota = /exceeded quota: ([^,\s]+)/.exec(msg) ?? /failed quota: ([^:\s]+): must specify/.exec(msg) ?? /status unknown for quota: ([^,\s]+)/.exec(msg);
  if (quota) return { outcome: 'denied', mechanism: 'resource-quota', policy: quota[1]! };
  if (/(maximum|minimum) \S+ usage per (Container|Pod|PersistentVolumeClaim)|max limit to request ratio per/.test(msg)) return { outcome: 'denied', mechanism: 'limit-range' };
  if (/error looking up service account|serviceaccount "[^"]+" not found/.test(msg)) return { outcome: 'denied', mechanism: 'service-account' };
  if (/because it is being terminated/.test(msg)) return { outcome: 'denied', mechanism: 'namespace-lifecycle' };
  if (httpStatus === 400 && /strict decoding error|unknown field|duplicate field/.test(msg)) return { outcome: 'denied', mechanism: 'schema' };
  if (httpStatus === 422 || status.reason === 'Invalid') return { outcome: 'denied', mechanism: 'validation' };
  if (httpStatus === 400 || httpStatus === 403) return { outcome: 'denied', mechanism: 'other' };
  return { outcome: 'error' };
}

/**
 * Why helm install would refuse an object that exists already (helm's "exists and cannot be imported
 * into the current release: invalid ownership metadata"), or undefined when it belongs to this release.
 */
export function helmOwnership(existing: unknown, releaseName: string, namespace: string | null): string | undefined {
  const ann = (at(existing, ['metadata', 'annotations']) ?? {}) as Record<string, unknown>;
  const problems: string[] = [];
  const want = (key: string, value: string) => {
    if (ann[key] === undefined) problems.push(`annotation ${key} is missing (must be ${value})`);
    else if (ann[key] !== value) problems.push(`annotation ${key} is ${JSON.stringify(ann[key])} (must be ${value})`);
  };
  want('meta.helm.sh/release-name', releaseName);
  if (namespace) want('meta.helm.sh/release-namespace', namespace);
  if (!problems.length) return undefined;
  const kind = String(at(existing, ['kind']) ?? 'the object');
  const name = String(at(existing, ['metadata', 'name']) ?? '');
  return `${kind} "${name}"${namespace ? ` in namespace "${namespace}"` : ''} exists and cannot be imported into release ${releaseName}: ${problems.join('; ')}`;
}

interface Item {
  obj: K8sObject;
  origin: AdmissionObjectFact['origin'];
  of?: string;
  replicas?: number;
  /** The object's namespace, or null for a cluster-scoped one (after discovery). */
  namespace: string | null;
}

const CONCURRENCY = 6;

async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (i < items.length) await fn(items[i++]!);
  }));
}

const keyOf = (o: { kind?: unknown; metadata?: unknown }) => `${String(o.kind)}|${String(at(o, ['metadata', 'namespace']) ?? '')}|${String(at(o, ['metadata', 'name']) ?? '')}`;
const isHelmTest = (o: K8sObject) => /(^|,)\s*test(-success|-failure)?\s*(,|$)/.test(String(o.metadata.annotations?.['helm.sh/hook'] ?? ''));

/**
 * A KubernetesObjectApi whose requests carry each object exactly as rendered (client-node's typed
 * serializer drops fields its models do not know, so a typo would pass), with strict field
 * validation (unknown fields are errors, as helm's schema validation makes them), and whose answers'
 * Warning headers are kept.
 */
function dryRunClient(k8s: K8sModule, kc: KubeConfig) {
  const api = k8s.KubernetesObjectApi.makeApiClient(kc);
  const raw = new Map<string, K8sObject>();
  const warnings = new Map<string, string[]>();
  const conf = (api as unknown as { configuration: { httpApi: { send(ctx: unknown): { toPromise(): Promise<{ headers: Record<string, string> }> } } } }).configuration;
  const inner = conf.httpApi;
  conf.httpApi = k8s.wrapHttpLibrary({
    async send(ctx) {
      let key: string | undefined;
      if ((ctx.getHttpMethod() === 'POST' || ctx.getHttpMethod() === 'PATCH') && /[?&]dryRun=All/.test(ctx.getUrl())) {
        const body = ctx.getBody();
        try {
          key = keyOf(JSON.parse(String(body)) as Obj);
        } catch {
          key = undefined;
        }
        const exact = key ? raw.get(key) : undefined;
        if (exact) ctx.setBody(JSON.stringify(exact));
        ctx.setQueryParam('fieldValidation', 'Strict');
      }
      const resp = await inner.send(ctx).toPromise();
      if (key) warnings.set(key, parseWarnings(resp.headers.warning));
      return resp as never;
    },
  }) as never;
  const discover = (apiVersion: string, kind: string) => (api as unknown as { resource(a: string, k: string): Promise<{ namespaced: boolean; name: string } | undefined> }).resource(apiVersion, kind);
  return {
    api: api as KubernetesObjectApi,
    discover,
    send(obj: K8sObject, how: 'create' | 'apply') {
      const key = keyOf(obj);
      raw.set(key, obj);
      warnings.delete(key);
      const spec = structuredClone(obj) as KubernetesObject;
      const p = how === 'create' ? api.create(spec, undefined, 'All') : api.patch(spec, undefined, 'All', 'coder-preflight', true, k8s.PatchStrategy.ServerSideApply);
      return p.finally(() => raw.delete(key));
    },
    warningsOf: (obj: K8sObject) => warnings.get(keyOf(obj)) ?? [],
  };
}

export default defineCollector({
  id: 'kubernetes.admission',
  timeoutMs: 20_000,
  async collect(ctx) {
    requireInstallerIdentity(ctx, 'the admission dry-run of the chart\'s objects');
    const chart = await ctx.need('chart.objects');
    return withKube(ctx, 'create (dry-run) the objects the chart creates', async (k8s, kc) => {
      const client = dryRunClient(k8s, kc);
      const releaseNamespace = chart.namespace;
      const ws = workspaceNamespacesOf(chart.objects, releaseNamespace);
      const skipped: string[] = [];
      const objects: AdmissionObjectFact[] = [];
      const items: Item[] = [];
      const namespaces = new Map<string, AdmissionNamespaceFact>();
      const nsFact = (name: string): AdmissionNamespaceFact => {
        let n = namespaces.get(name);
        if (!n) namespaces.set(name, (n = { name, purposes: [], exists: null, quotas: null }));
        return n;
      };
      const purpose = (name: string, p: 'release' | 'workspace') => {
        const n = nsFact(name);
        if (!n.purposes.includes(p)) n.purposes.push(p);
      };
      purpose(releaseNamespace, 'release');
      for (const n of ws.namespaces) purpose(n, 'workspace');
      const createdNamespaces = new Set(chart.objects.filter((o) => o.kind === 'Namespace' && o.apiVersion === 'v1').map((o) => o.metadata.name));
      const crdKinds = new Set(
        chart.objects
          .filter((o) => o.kind === 'CustomResourceDefinition')
          .flatMap((o) => {
            const group = str(at(o, ['spec', 'group']));
            const kind = str(at(o, ['spec', 'names', 'kind']));
            return group && kind ? [`${group} ${kind}`] : [];
          }),
      );

      // What is sent: the chart's objects (with their workloads' Pods), then the workspace samples.
      const record = (it: Item, r: Omit<AdmissionObjectFact, 'apiVersion' | 'kind' | 'name' | 'namespace' | 'origin'>): AdmissionObjectFact => {
        const f: AdmissionObjectFact = {
          apiVersion: it.obj.apiVersion,
          kind: it.obj.kind,
          name: it.obj.metadata.name ?? '',
          namespace: it.namespace,
          origin: it.origin,
          ...(it.of ? { of: it.of } : {}),
          ...(it.replicas !== undefined ? { replicas: it.replicas } : {}),
          ...r,
        };
        objects.push(f);
        return f;
      };
      for (const o of chart.objects) {
        if (isHelmTest(o)) {
          skipped.push(`${o.kind} ${o.metadata.name}: a helm test hook (helm install does not create it)`);
          continue;
        }
        const base: Item = { obj: o, origin: 'chart', namespace: str(o.metadata.namespace) ?? releaseNamespace };
        let served: { namespaced: boolean } | undefined;
        try {
          served = await client.discover(o.apiVersion, o.kind);
        } catch (e) {
          const code = (e as { code?: unknown }).code;
          if (typeof code !== 'number') throw e;
          if (code !== 404) {
            record(base, { outcome: 'error', httpStatus: code, message: `discovery of ${o.apiVersion} failed: ${parseStatus((e as { body?: unknown }).body).message ?? `HTTP ${code}`}` });
            continue;
          }
        }
        if (!served) {
          const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0]! : '';
          const fromCrd = crdKinds.has(`${group} ${o.kind}`);
          record(base, {
            outcome: fromCrd ? 'undecidable' : 'kind-not-served',
            message: `the cluster serves no ${o.kind} in ${o.apiVersion}`,
            ...(fromCrd ? { notes: ['its CustomResourceDefinition is in the same manifests: it exists only once they are applied'] } : {}),
          });
          continue;
        }
        const item: Item = { ...base, namespace: served.namespaced ? base.namespace : null };
        if (item.namespace) {
          nsFact(item.namespace);
          item.obj = { ...o, metadata: { ...o.metadata, namespace: item.namespace } };
        }
        items.push(item);
        const pod = item.namespace ? podOfWorkload(item.obj, item.namespace) : undefined;
        if (pod) items.push({ obj: pod.pod, origin: 'pod', of: `${o.kind} ${item.namespace}/${o.metadata.name}`, namespace: item.namespace, ...(pod.replicas !== undefined ? { replicas: pod.replicas } : {}) });
      }
      for (const n of ws.namespaces) {
        items.push({ obj: samplePvc(n), origin: 'workspace', namespace: n });
        items.push({ obj: samplePod(n), origin: 'workspace', namespace: n });
      }
      for (const n of createdNamespaces) if (namespaces.has(n)) nsFact(n).createdByManifests = true;

      const chartServiceAccounts = new Set(chart.objects.filter((o) => o.kind === 'ServiceAccount' && o.apiVersion === 'v1').map((o) => `${str(o.metadata.namespace) ?? releaseNamespace}/${o.metadata.name}`));

      const sendOne = async (it: Item, how: 'create' | 'apply' = 'create'): Promise<AdmissionObjectFact> => {
        const notes: string[] = how === 'apply' ? ['it exists already: sent as a server-side apply (dry-run), as helm upgrade would change it'] : [];
        try {
          const answer = (await client.send(it.obj, how)) as unknown as Obj;
          const warnings = client.warningsOf(it.obj);
          if (how === 'apply') {
            const owner = helmOwnership(answer, chart.releaseName, it.namespace);
            if (owner) return record(it, { outcome: 'denied', httpStatus: 200, mechanism: 'helm-ownership', message: owner, exists: true, notes, ...(warnings.length ? { warnings } : {}) });
          }
          const usage = it.origin === 'pod' ? podQuotaUsage(answer.spec) : undefined;
          if (it.namespace) nsFact(it.namespace).exists = true;
          return record(it, { outcome: 'admitted', httpStatus: how === 'create' ? 201 : 200, ...(warnings.length ? { warnings } : {}), ...(notes.length ? { notes } : {}), ...(usage ? { quotaUsage: usage } : {}), ...(how === 'apply' ? { exists: true } : {}) });
        } catch (e) {
          const code = (e as { code?: unknown }).code;
          if (typeof code !== 'number') throw e;
          const status = parseStatus((e as { body?: unknown }).body);
          const headers = (e as { headers?: Record<string, string> }).headers;
          const warnings = parseWarnings(headers?.warning);
          const base = {
            httpStatus: code,
            ...(status.reason ? { reason: status.reason } : {}),
            ...(status.message ? { message: status.message } : {}),
            ...(status.details?.causes?.length ? { causes: status.details.causes.map((c) => ({ ...(c.reason ? { reason: c.reason } : {}), ...(c.message ? { message: c.message } : {}), ...(c.field ? { field: c.field } : {}) })) } : {}),
            ...(warnings.length ? { warnings } : {}),
          };
          // NamespaceLifecycle: the namespace does not exist.
          if (code === 404 && status.details?.kind === 'namespaces' && it.namespace && status.details.name === it.namespace) {
            nsFact(it.namespace).exists = false;
            return record(it, { ...base, outcome: 'namespace-missing', notes: [`namespace ${it.namespace} does not exist: nothing can be dry-run there until it does (helm install --create-namespace would create it)`] });
          }
          if (code === 409 && how === 'create' && it.origin === 'chart') return sendOne(it, 'apply');
          if (code === 404 && /Binding$/.test(it.obj.kind)) {
            // A binding whose role the same install creates: the dry-run cannot see the role (nothing was persisted).
            const ref = str(at(it.obj, ['roleRef', 'name']));
            const refKind = str(at(it.obj, ['roleRef', 'kind']));
            const ours = ref && chart.objects.some((o) => o.kind === refKind && o.metadata.name === ref && (refKind === 'ClusterRole' || (str(o.metadata.namespace) ?? releaseNamespace) === it.namespace));
            if (ours) return record(it, { ...base, outcome: 'undecidable', notes: [`it binds ${refKind} ${ref}, which the same install creates: the API server checks the user may grant what that ${refKind} holds, and the dry-run cannot show it the ${refKind}`] });
          }
          if (code === 404) return record(it, { ...base, outcome: 'kind-not-served' });
          const verdict = classifyDenial(code, status, { kind: it.obj.kind, namespace: it.namespace });
          if (verdict.mechanism === 'service-account' && it.obj.kind === 'Pod') {
            const sa = str(at(it.obj, ['spec', 'serviceAccountName'])) ?? str(at(it.obj, ['spec', 'serviceAccount'])) ?? 'default';
            if (sa !== 'default' && chartServiceAccounts.has(`${it.namespace}/${sa}`)) {
              // The chart creates that ServiceAccount; the dry-run cannot see it: judge the Pod as the default one.
              const again: Item = { ...it, obj: { ...it.obj, spec: { ...(it.obj.spec as Obj), serviceAccountName: 'default', serviceAccount: undefined } } };
              const r = await sendOne(again);
              (r.notes ??= []).unshift(`its ServiceAccount ${sa} is created by the chart and does not exist yet: sent as ServiceAccount default (admission sees the Pod otherwise unchanged)`);
              return r;
            }
          }
          if (verdict.outcome !== 'forbidden' && verdict.outcome !== 'error' && it.namespace) nsFact(it.namespace).exists = true;
          return record(it, { ...base, ...verdict, ...(notes.length ? { notes } : {}) });
        }
      };

      // Cluster-scoped objects first; then per namespace: one object at a time until the answer shows
      // whether the namespace exists (a missing one skips the rest), then the rest concurrently.
      const byNamespace = new Map<string | null, Item[]>();
      for (const it of items) byNamespace.set(it.namespace, [...(byNamespace.get(it.namespace) ?? []), it]);
      await Promise.all(
        [...byNamespace.entries()].map(async ([ns, list]) => {
          let i = 0;
          if (ns !== null) {
            while (i < list.length && nsFact(ns).exists === null) await sendOne(list[i++]!);
            if (nsFact(ns).exists === false) {
              for (const it of list.slice(i)) record(it, { outcome: 'namespace-missing' });
              return;
            }
          }
          await pool(list.slice(i), CONCURRENCY, async (it) => void (await sendOne(it)));
        }),
      );

      // A binding of the chart's own Role: decidable after all when the user may bind it, or holds
      // what it grants (the Role's dry-run was admitted and the user may not escalate).
      const authz = kc.makeApiClient(k8s.AuthorizationV1Api);
      const allowed = async (verb: string, resource: string, namespace: string | null, name?: string) => {
        try {
          const r = await authz.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: { verb, group: 'rbac.authorization.k8s.io', resource, ...(namespace ? { namespace } : {}), ...(name ? { name } : {}) } } } });
          return r.status?.allowed === true;
        } catch {
          return undefined;
        }
      };
      for (const b of objects.filter((o) => o.outcome === 'undecidable' && /Binding$/.test(o.kind))) {
        const src = chart.objects.find((o) => o.kind === b.kind && o.metadata.name === b.name);
        const refKind = str(at(src, ['roleRef', 'kind'])) ?? 'Role';
        const ref = str(at(src, ['roleRef', 'name'])) ?? '';
        const resource = refKind === 'ClusterRole' ? 'clusterroles' : 'roles';
        const role = objects.find((o) => o.kind === refKind && o.name === ref && o.origin === 'chart' && (refKind === 'ClusterRole' || o.namespace === b.namespace));
        const ns = refKind === 'ClusterRole' ? null : b.namespace;
        if (await allowed('bind', resource, ns, ref)) {
          Object.assign(b, { outcome: 'admitted' as const });
          (b.notes ??= []).push(`inferred: the user may bind ${refKind} ${ref} (SelfSubjectAccessReview), so the API server allows the binding once the ${refKind} exists; admission policies and webhooks on the binding were not reached`);
        } else if (role?.outcome === 'admitted' && (await allowed('escalate', resource, ns)) === false) {
          Object.assign(b, { outcome: 'admitted' as const });
          (b.notes ??= []).push(`inferred: the dry-run admitted ${refKind} ${ref} and the user may not escalate, so the user holds everything it grants and may bind it; admission policies and webhooks on the binding were not reached`);
        }
      }

      // ResourceQuotas, for the sum over replicas (each dry-run judges one Pod against what is used now).
      const core = kc.makeApiClient(k8s.CoreV1Api);
      await Promise.all(
        [...namespaces.values()]
          .filter((n) => n.exists !== false)
          .map(async (n) => {
            try {
              const list = await core.listNamespacedResourceQuota({ namespace: n.name });
              n.quotas = list.items.map((q) => ({
                name: q.metadata?.name ?? '',
                hard: { ...(q.status?.hard ?? q.spec?.hard ?? {}) },
                used: { ...(q.status?.used ?? {}) },
                scoped: !!(q.spec?.scopes?.length || q.spec?.scopeSelector),
              }));
            } catch (e) {
              if (typeof (e as { code?: unknown }).code !== 'number') throw e;
              n.quotaError = `cannot list resourcequotas in ${n.name}: ${parseStatus((e as { body?: unknown }).body).message ?? `HTTP ${(e as { code: number }).code}`}`;
            }
          }),
      );

      const order = new Map(items.map((it, i) => [`${it.origin}|${keyOf(it.obj)}`, i]));
      const rank = (o: AdmissionObjectFact) => order.get(`${o.origin}|${o.kind}|${o.namespace ?? ''}|${o.name}`) ?? 1e9;
      objects.sort((a, b) => rank(a) - rank(b));
      return {
        source: chart.source,
        file: chart.file,
        releaseName: chart.releaseName,
        releaseNamespace,
        workspaceNamespaces: ws.namespaces,
        workspaceNamespacesFrom: ws.from,
        namespaces: [...namespaces.values()],
        objects,
        skipped,
      };
    });
  },
});
