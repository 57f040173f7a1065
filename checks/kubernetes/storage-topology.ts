// A StorageClass with allowedTopologies provisions volumes only in those zones; a workspace whose
// node is elsewhere never gets its volume (WaitForFirstConsumer: "no topology matches"; Immediate:
// the volume lands where the pod cannot follow). Coder's docs: multi-zone clusters need nodes in
// each zone (coder-requirements.md §1e).
import { defineCheck } from '../../src/engine/define.ts';
import type { NodeFact } from '../../src/facts/kubernetes/nodes.ts';
import type { StorageClassFact } from '../../src/facts/kubernetes/storageclasses.ts';
import { isPinned, NO_PLACEMENT, selects } from '../../src/kubernetes/scheduling.ts';

/** The workspace nodes: --workspace-selector, else those outside Coder's pinned group, else all. */
function workspaceNodes(nodes: readonly NodeFact[], deployment: { controlPlane?: Parameters<typeof selects>[0]; workspaces?: Parameters<typeof selects>[0] }): { nodes: NodeFact[]; from: string } {
  const schedulable = nodes.filter((n) => n.ready && !n.unschedulable);
  if (deployment.workspaces) return { nodes: schedulable.filter((n) => selects(deployment.workspaces!, n.labels)), from: deployment.workspaces.source };
  const cp = deployment.controlPlane ?? NO_PLACEMENT;
  if (isPinned(cp)) return { nodes: schedulable.filter((n) => !selects(cp, n.labels)), from: 'the nodes outside the control-plane selection' };
  return { nodes: schedulable, from: 'every schedulable node' };
}

/** Whether a node's labels satisfy one allowedTopologies term (every expression: label value in values). */
const inTerm = (n: NodeFact, term: StorageClassFact['allowedTopologies'][number]) => term.every((e) => e.values.includes(n.labels[e.key] ?? ''));

export default defineCheck({
  id: 'kubernetes.storage-topology',
  title: 'Workspace volumes can be provisioned where workspaces run',
  category: 'kubernetes',
  facts: ['kubernetes.storageclasses', 'kubernetes.nodes'],
  docs: 'https://kubernetes.io/docs/concepts/storage/storage-classes/#allowed-topologies',
  explain: {
    what: 'For the StorageClass workspace volumes use (the values\' class, else the default), compares its allowedTopologies with the labels of the workspace nodes (--workspace-selector, else the nodes outside Coder\'s own group): how many of them can get a volume from that class.',
    why: 'A class restricted to some zones cannot provision volumes for a workspace scheduled in another: the PersistentVolumeClaim stays Pending ("no topology matches") and the workspace never starts, or, with Immediate binding, the volume is made where the pod cannot follow it.',
    fix: 'Add the workspace zones to the class\'s allowedTopologies (StorageClasses are immutable: recreate it), or pin workspaces to the zones it allows (the template\'s nodeSelector / --workspace-selector here).',
  },
  evaluate({ 'kubernetes.storageclasses': sc, 'kubernetes.nodes': nodes }, { deployment }) {
    const named = deployment.storageClass;
    const defaults = sc.items.filter((c) => c.isDefault);
    const cls = named ? sc.items.find((c) => c.name === named.name) : defaults.length === 1 ? defaults[0] : undefined;
    if (!cls) {
      return { status: 'skip', summary: named ? `StorageClass ${named.name} does not exist (see kubernetes.storage-class)` : 'No single default StorageClass to judge (see kubernetes.storage-class)', evidence: { defaults: defaults.map((c) => c.name) } };
    }
    const ws = workspaceNodes(nodes.items, deployment);
    const terms = cls.allowedTopologies;
    const describeTerms = terms.map((t) => t.map((e) => `${e.key} in [${e.values.join(', ')}]`).join(' and ')).join(' or ');
    const evidence = { storageClass: cls.name, allowedTopologies: describeTerms || 'anywhere', workspaceNodes: ws.nodes.length, workspaceNodesFrom: ws.from };
    if (!terms.length) return { status: 'pass', summary: `StorageClass ${cls.name} may provision volumes anywhere (no allowedTopologies)`, evidence };
    if (!ws.nodes.length) return { status: 'skip', summary: `No schedulable workspace node (${ws.from}) to compare with ${cls.name}'s allowedTopologies (${describeTerms})`, evidence };
    const ok = ws.nodes.filter((n) => terms.some((t) => inTerm(n, t)));
    const keys = [...new Set(terms.flatMap((t) => t.map((e) => e.key)))];
    const where = (list: NodeFact[]) => [...new Set(list.map((n) => keys.map((k) => n.labels[k] ?? '(unlabelled)').join('/')))].join(', ');
    const out = ws.nodes.filter((n) => !ok.includes(n));
    const ev = { ...evidence, nodesItAllows: ok.length, outsideAt: out.length ? where(out) : 'none' };
    if (!ok.length) {
      return {
        status: 'fail',
        summary: `StorageClass ${cls.name} provisions only where ${describeTerms}, but the ${ws.nodes.length} workspace nodes are at ${where(ws.nodes)}: every workspace volume would stay Pending`,
        remediation: `recreate ${cls.name} with the workspace zones in allowedTopologies (StorageClasses are immutable), or run workspaces in the zones it allows`,
        evidence: ev,
      };
    }
    if (out.length) {
      return {
        status: 'warn',
        summary: `StorageClass ${cls.name} provisions only where ${describeTerms}: ${out.length} of ${ws.nodes.length} workspace nodes (at ${where(out)}) cannot get its volumes`,
        remediation: `add those zones to ${cls.name}'s allowedTopologies, or keep workspaces to the zones it allows (a nodeSelector in the templates)`,
        evidence: ev,
      };
    }
    return { status: 'pass', summary: `StorageClass ${cls.name} may provision volumes for all ${ws.nodes.length} workspace nodes (${describeTerms})`, evidence: ev };
  },
});
