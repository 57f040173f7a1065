// Access questions as the API server answers them: SelfSubjectAccessReview ("may I?") and
// SubjectAccessReview ("may this service account?"), asked concurrently, one answer per question.
import type { KubeConfig } from '@kubernetes/client-node';
import type { K8sModule } from './client.ts';

export interface AccessQuestion {
  verb: string;
  /** API group ("" for the core group). */
  group: string;
  resource: string;
  /** "" for cluster-scoped resources. */
  namespace: string;
  name?: string;
}

export interface AccessAnswer extends AccessQuestion {
  allowed: boolean;
  /** The authorizer's reason, when it gives one. */
  reason?: string;
}

/** Kind → resource and group, for the kinds a Helm chart creates (else a lower-case plural). */
const RESOURCES: Record<string, { group: string; resource: string; cluster?: boolean }> = {
  Deployment: { group: 'apps', resource: 'deployments' },
  StatefulSet: { group: 'apps', resource: 'statefulsets' },
  DaemonSet: { group: 'apps', resource: 'daemonsets' },
  Service: { group: '', resource: 'services' },
  ServiceAccount: { group: '', resource: 'serviceaccounts' },
  Secret: { group: '', resource: 'secrets' },
  ConfigMap: { group: '', resource: 'configmaps' },
  Pod: { group: '', resource: 'pods' },
  PersistentVolumeClaim: { group: '', resource: 'persistentvolumeclaims' },
  Namespace: { group: '', resource: 'namespaces', cluster: true },
  Role: { group: 'rbac.authorization.k8s.io', resource: 'roles' },
  RoleBinding: { group: 'rbac.authorization.k8s.io', resource: 'rolebindings' },
  ClusterRole: { group: 'rbac.authorization.k8s.io', resource: 'clusterroles', cluster: true },
  ClusterRoleBinding: { group: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings', cluster: true },
  Ingress: { group: 'networking.k8s.io', resource: 'ingresses' },
  NetworkPolicy: { group: 'networking.k8s.io', resource: 'networkpolicies' },
  PodDisruptionBudget: { group: 'policy', resource: 'poddisruptionbudgets' },
  HorizontalPodAutoscaler: { group: 'autoscaling', resource: 'horizontalpodautoscalers' },
  Job: { group: 'batch', resource: 'jobs' },
  CronJob: { group: 'batch', resource: 'cronjobs' },
  HTTPRoute: { group: 'gateway.networking.k8s.io', resource: 'httproutes' },
};

export function resourceOf(apiVersion: string, kind: string): { group: string; resource: string; cluster: boolean } {
  const known = RESOURCES[kind];
  if (known) return { group: known.group, resource: known.resource, cluster: known.cluster === true };
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
  const lower = kind.toLowerCase();
  const resource = /(s|x|ch|sh)$/.test(lower) ? `${lower}es` : /[^aeiou]y$/.test(lower) ? `${lower.slice(0, -1)}ies` : `${lower}s`;
  return { group, resource, cluster: false };
}

/** "create apps/deployments in coder" */
export function describeAccess(q: AccessQuestion): string {
  const res = `${q.group ? `${q.group}/` : ''}${q.resource}${q.name ? ` "${q.name}"` : ''}`;
  return `${q.verb} ${res}${q.namespace ? ` in ${q.namespace}` : ' (cluster-wide)'}`;
}

/** The Role rule that would grant these (for remediations). */
export function ruleFor(qs: readonly AccessQuestion[]): string {
  const groups = [...new Set(qs.map((q) => JSON.stringify(q.group)))].join(', ');
  const resources = [...new Set(qs.map((q) => q.resource))].join(', ');
  const verbs = [...new Set(qs.map((q) => q.verb))].join(', ');
  return `{apiGroups: [${groups}], resources: [${resources}], verbs: [${verbs}]}`;
}

const key = (q: AccessQuestion) => `${q.verb}|${q.group}|${q.resource}|${q.namespace}|${q.name ?? ''}`;

/** Drop repeated questions, keeping the first. */
export function unique(qs: readonly AccessQuestion[]): AccessQuestion[] {
  const seen = new Set<string>();
  return qs.filter((q) => !seen.has(key(q)) && (seen.add(key(q)), true));
}

async function pool<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

const attrs = (q: AccessQuestion) => ({ verb: q.verb, group: q.group, resource: q.resource, ...(q.namespace ? { namespace: q.namespace } : {}), ...(q.name ? { name: q.name } : {}) });

/** May the kubeconfig's user do each of these? (SelfSubjectAccessReview: every user may ask.) */
export async function selfAccess(k8s: K8sModule, kc: KubeConfig, qs: readonly AccessQuestion[]): Promise<AccessAnswer[]> {
  const api = kc.makeApiClient(k8s.AuthorizationV1Api);
  return pool(unique(qs), 16, async (q) => {
    const r = await api.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: attrs(q) } } });
    return { ...q, allowed: r.status?.allowed === true, ...(r.status?.reason ? { reason: r.status.reason } : {}) };
  });
}

/** May this user (e.g. system:serviceaccount:ns:name) do each of these? Needs create subjectaccessreviews. */
export async function subjectAccess(k8s: K8sModule, kc: KubeConfig, user: string, groups: string[], qs: readonly AccessQuestion[]): Promise<AccessAnswer[]> {
  const api = kc.makeApiClient(k8s.AuthorizationV1Api);
  return pool(unique(qs), 16, async (q) => {
    const r = await api.createSubjectAccessReview({ body: { spec: { user, groups, resourceAttributes: attrs(q) } } });
    return { ...q, allowed: r.status?.allowed === true, ...(r.status?.reason ? { reason: r.status.reason } : {}) };
  });
}

/** The access questions a Role's rules stand for (apiGroups × resources × verbs; "*" kept as is). */
export function rulesAsQuestions(rules: unknown, namespace: string): AccessQuestion[] {
  const out: AccessQuestion[] = [];
  for (const r of Array.isArray(rules) ? rules : []) {
    const rule = r as { apiGroups?: string[]; resources?: string[]; verbs?: string[]; resourceNames?: string[] };
    for (const group of rule.apiGroups ?? ['']) {
      for (const resource of rule.resources ?? []) {
        for (const verb of rule.verbs ?? []) {
          const names = rule.resourceNames?.length ? rule.resourceNames : [undefined];
          for (const name of names) out.push({ verb, group, resource, namespace, ...(name ? { name } : {}) });
        }
      }
    }
  }
  return out;
}
