// What installing the chart asks of the user running helm: get and create every object the chart
// renders (patch and delete for upgrades and uninstall), Helm's release Secrets, and — for the Roles
// and RoleBindings it creates — either every permission they grant or the escalate/bind verbs
// (Kubernetes refuses to let anyone grant what they do not hold).
import { describeAccess, resourceOf, rulesAsQuestions, selfAccess, type AccessAnswer, type AccessQuestion } from '../../kubernetes/access.ts';
import { withKube } from '../../kubernetes/with-kube.ts';
import { defineCollector } from '../collector.ts';
import { requireInstallerIdentity } from '../../kubernetes/installer.ts';

export type AccessPurpose = 'install' | 'upgrade' | 'grant' | 'escalate' | 'bind';

export interface PurposedAnswer extends AccessAnswer {
  purpose: AccessPurpose;
  /** The chart object (kind/name) the question is for. */
  for: string;
}

export interface InstallAccessFact {
  namespace: string;
  releaseName: string;
  /** Where the objects came from (the values file rendered here, or --manifests). */
  source: string;
  objects: string[];
  answers: PurposedAnswer[];
}

declare module '../types.ts' {
  interface FactMap {
    'kubernetes.install-access': InstallAccessFact;
  }
}

export default defineCollector({
  id: 'kubernetes.install-access',
  timeoutMs: 15_000,
  async collect(ctx) {
    requireInstallerIdentity(ctx, 'the install\'s permissions');
    const chart = await ctx.need('chart.objects');
    const ns = chart.namespace;
    const asks: { q: AccessQuestion; purpose: AccessPurpose; for: string }[] = [];
    const ask = (qs: AccessQuestion[], purpose: AccessPurpose, what: string) => qs.forEach((q) => asks.push({ q, purpose, for: what }));
    // Helm 3 keeps each release revision in a Secret of the release namespace.
    const storage = (verbs: string[]) => verbs.map((verb) => ({ verb, group: '', resource: 'secrets', namespace: ns }));
    ask(storage(['get', 'list', 'create', 'update']), 'install', 'Helm release Secret');
    ask(storage(['delete']), 'upgrade', 'Helm release Secret');
    for (const o of chart.objects) {
      const r = resourceOf(o.apiVersion, o.kind);
      const where = r.cluster ? '' : (o.metadata.namespace ?? ns);
      const what = `${o.kind}/${o.metadata.name}`;
      const on = (verbs: string[]) => verbs.map((verb) => ({ verb, group: r.group, resource: r.resource, namespace: where }));
      ask(on(['get', 'create']), 'install', what);
      ask(on(['patch', 'delete']), 'upgrade', what);
      if (o.kind === 'Role' || o.kind === 'ClusterRole') {
        ask([{ verb: 'escalate', group: r.group, resource: r.resource, namespace: where, name: o.metadata.name }], 'escalate', what);
        ask(rulesAsQuestions(o.rules, where), 'grant', what);
      }
      if (o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding') {
        const ref = (o.roleRef ?? {}) as { kind?: string; name?: string };
        const roleRes = ref.kind === 'ClusterRole' ? 'clusterroles' : 'roles';
        ask([{ verb: 'bind', group: 'rbac.authorization.k8s.io', resource: roleRes, namespace: where, ...(ref.name ? { name: ref.name } : {}) }], 'bind', what);
      }
    }
    const answers = await withKube(ctx, 'create selfsubjectaccessreviews (every authenticated user may)', (k8s, kc) => selfAccess(k8s, kc, asks.map((a) => a.q)));
    const byKey = new Map(answers.map((a) => [describeAccess(a), a]));
    return {
      namespace: ns,
      releaseName: chart.releaseName,
      source: `${chart.source === 'values' ? 'rendered from' : 'read from'} ${chart.file}`,
      objects: chart.objects.map((o) => `${o.kind}/${o.metadata.name}${o.metadata.namespace && o.metadata.namespace !== ns ? ` (in ${o.metadata.namespace})` : ''}`),
      answers: asks.map((a) => ({ ...byKey.get(describeAccess(a.q))!, purpose: a.purpose, for: a.for })),
    };
  },
});
