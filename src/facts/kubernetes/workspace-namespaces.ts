// The namespaces Coder will create workspaces in (the release namespace and the chart's
// coder.serviceAccount.workspaceNamespaces): whether each exists, and whether Coder's service
// account will be allowed to run workspaces there — from the Role the chart binds there, or, where
// the chart grants nothing, a SubjectAccessReview for the service account as it exists today.
import type { K8sObject } from '../../chart/types.ts';
import { ClassifiedError } from '../../errors.ts';
import { classifyKubeError } from '../../kubernetes/client.ts';
import { subjectAccess, type AccessQuestion } from '../../kubernetes/access.ts';
import { withKube } from '../../kubernetes/with-kube.ts';
import { defineCollector } from '../collector.ts';

/** What Coder's Kubernetes templates need (the terraform kubernetes provider: create, read, wait, delete). */
export const WORKSPACE_NEEDS: { group: string; resource: string; verbs: string[]; optional?: string }[] = [
  { group: '', resource: 'pods', verbs: ['create', 'get', 'list', 'watch', 'delete'] },
  { group: '', resource: 'persistentvolumeclaims', verbs: ['create', 'get', 'list', 'watch', 'delete'] },
  { group: 'apps', resource: 'deployments', verbs: ['create', 'get', 'list', 'watch', 'patch', 'update', 'delete'], optional: 'templates that create Deployments (Coder\'s kubernetes example does)' },
];

export interface WorkspaceNamespaceFact {
  name: string;
  /** true, false, or null when the user may not read namespaces. */
  exists: boolean | null;
  existsError?: string;
  /** How the answer was found: the chart's Role bound there, or a SubjectAccessReview. */
  how: 'chart-role' | 'subject-access-review' | 'unknown';
  /** Needed permissions the service account would lack there ("verb group/resource"). */
  missing: string[];
  /** Of those, the ones only some templates need. */
  missingOptional: string[];
  /** Why nothing could be decided (the SubjectAccessReview was forbidden, …). */
  unknownReason?: string;
}

export interface WorkspaceNamespacesFact {
  releaseNamespace: string;
  serviceAccount: string;
  namespaces: WorkspaceNamespaceFact[];
}

declare module '../types.ts' {
  interface FactMap {
    'kubernetes.workspace-namespaces': WorkspaceNamespacesFact;
  }
}

type Rule = { apiGroups?: string[]; resources?: string[]; verbs?: string[]; resourceNames?: string[] };
const covers = (rules: Rule[], group: string, resource: string, verb: string) =>
  rules.some((r) => !r.resourceNames?.length && (r.apiGroups ?? ['']).some((g) => g === group || g === '*') && (r.resources ?? []).some((x) => x === resource || x === '*') && (r.verbs ?? []).some((v) => v === verb || v === '*'));

/** The rules the chart grants `sa` (of `ns`) in namespace `where`: its RoleBindings there and the Roles they name. */
function chartRules(objects: K8sObject[], sa: string, ns: string, where: string): Rule[] | undefined {
  const bindings = objects.filter((o) => o.kind === 'RoleBinding' && (o.metadata.namespace ?? ns) === where && ((o.subjects as { kind?: string; name?: string; namespace?: string }[] | undefined) ?? []).some((s) => s.kind === 'ServiceAccount' && s.name === sa && (s.namespace ?? where) === ns));
  if (!bindings.length) return undefined;
  const rules: Rule[] = [];
  for (const b of bindings) {
    const ref = (b.roleRef ?? {}) as { kind?: string; name?: string };
    const role = objects.find((o) => o.kind === ref.kind && o.metadata.name === ref.name && (ref.kind === 'ClusterRole' || (o.metadata.namespace ?? ns) === where));
    rules.push(...(((role?.rules as Rule[] | undefined) ?? [])));
  }
  return rules;
}

export default defineCollector({
  id: 'kubernetes.workspace-namespaces',
  timeoutMs: 15_000,
  async collect(ctx) {
    const chart = await ctx.need('chart.objects');
    const ns = chart.namespace;
    const deployment = chart.objects.find((o) => o.kind === 'Deployment');
    const podSpec = ((deployment?.spec as { template?: { spec?: { serviceAccountName?: string } } } | undefined)?.template?.spec) ?? {};
    const sa = podSpec.serviceAccountName ?? 'default';
    const bound = chart.objects.filter((o) => o.kind === 'RoleBinding').map((o) => o.metadata.namespace ?? ns);
    const names = [...new Set([ns, ...(chart.workspaceNamespaces ?? []), ...bound])];
    return withKube(ctx, 'get namespaces and create subjectaccessreviews', async (k8s, kc) => {
      const core = kc.makeApiClient(k8s.CoreV1Api);
      const namespaces = await Promise.all(
        names.map(async (name): Promise<WorkspaceNamespaceFact> => {
          let exists: boolean | null = null;
          let existsError: string | undefined;
          try {
            await core.readNamespace({ name });
            exists = true;
          } catch (e) {
            if ((e as { code?: number }).code === 404) exists = false;
            else existsError = classifyKubeError(e).message;
          }
          const rules = chartRules(chart.objects, sa, ns, name);
          const needs = WORKSPACE_NEEDS.flatMap((n) => n.verbs.map((verb) => ({ ...n, verb })));
          const label = (n: { verb: string; group: string; resource: string }) => `${n.verb} ${n.group ? `${n.group}/` : ''}${n.resource}`;
          const split = (lacking: typeof needs) => ({ missing: lacking.filter((n) => !n.optional).map(label), missingOptional: lacking.filter((n) => n.optional).map(label) });
          if (rules) return { name, exists, ...(existsError ? { existsError } : {}), how: 'chart-role', ...split(needs.filter((n) => !covers(rules, n.group, n.resource, n.verb))) };
          // The chart grants nothing here: ask the API server about the service account as it is today.
          const qs: AccessQuestion[] = needs.map((n) => ({ verb: n.verb, group: n.group, resource: n.resource, namespace: name }));
          try {
            const answers = await subjectAccess(k8s, kc, `system:serviceaccount:${ns}:${sa}`, ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'], qs);
            const denied = needs.filter((n) => !answers.find((a) => a.verb === n.verb && a.resource === n.resource && a.group === n.group)?.allowed);
            return { name, exists, ...(existsError ? { existsError } : {}), how: 'subject-access-review', ...split(denied) };
          } catch (e) {
            const c = classifyKubeError(e);
            if (c.reason !== 'forbidden') throw new ClassifiedError(c.reason, c.message);
            return { name, exists, ...(existsError ? { existsError } : {}), how: 'unknown', missing: [], missingOptional: [], unknownReason: `the chart grants ${sa} nothing in ${name}, and you may not ask what it may do there (create subjectaccessreviews in authorization.k8s.io is forbidden)` };
          }
        }),
      );
      return { releaseNamespace: ns, serviceAccount: `${ns}/${sa}`, namespaces };
    });
  },
});
