// Coder's validated architectures ask for two node groups: a static one for the control plane
// (coderd, pinned with the chart's nodeSelector/affinity/tolerations) and an autoscaling one for
// workspaces, with room for every replica's requests (coder-requirements.md §4c, §5).
import { defineCheck } from '../../src/engine/define.ts';
import { CHART_DEFAULT_REQUESTS } from '../../src/inputs/chart-defaults.ts';
import { size, tierFor, TIERS_SOURCE } from '../../src/kubernetes/sizing.ts';
import type { NodeFact } from '../../src/facts/kubernetes/nodes.ts';
import { blockingTaints, isPinned, NO_PLACEMENT, podSlots, selects, usableFor, type Placement } from '../../src/kubernetes/scheduling.ts';

/** Labels that name a node's group, by platform (the first one a node has wins). */
const GROUP_LABELS = ['eks.amazonaws.com/nodegroup', 'cloud.google.com/gke-nodepool', 'kubernetes.azure.com/agentpool', 'agentpool', 'karpenter.sh/nodepool', 'kops.k8s.io/instancegroup'];
const ROLE = 'node-role.kubernetes.io/';

export function groupOf(n: NodeFact): string {
  for (const l of GROUP_LABELS) if (n.labels[l]) return `${l}=${n.labels[l]}`;
  const role = Object.keys(n.labels).find((k) => k.startsWith(ROLE));
  return role ? `${role.slice(ROLE.length) || 'role'} (${role})` : '(no group label)';
}

/** A nodeSelector line for the nodes' group label, or a placeholder when they have none. */
function selectorExample(nodes: readonly NodeFact[]): string {
  for (const n of nodes) for (const l of GROUP_LABELS) if (n.labels[l]) return `${l}: ${n.labels[l]}`;
  return 'node-group.example.com/name: coder, after labelling the group';
}

const usable = usableFor;
const describePlacement = (p: Placement) =>
  [Object.keys(p.nodeSelector).length ? `nodeSelector ${Object.entries(p.nodeSelector).map(([k, v]) => `${k}=${v}`).join(',')}` : '', p.affinityTerms.length ? `required node affinity (${p.affinityTerms.length} term${p.affinityTerms.length > 1 ? 's' : ''})` : ''].filter(Boolean).join(' and ') || 'no constraint';

function whyNot(n: NodeFact, p: Placement): string {
  if (!n.ready) return `${n.name}: not Ready`;
  if (n.unschedulable) return `${n.name}: cordoned`;
  const t = blockingTaints(p.tolerations, n.taints);
  return `${n.name}: taint ${t.map((x) => `${x.key}${x.value ? `=${x.value}` : ''}:${x.effect}`).join(', ')} not tolerated`;
}

const slots = podSlots;

function groups(nodes: readonly NodeFact[]): string[] {
  const by = new Map<string, NodeFact[]>();
  for (const n of nodes) by.set(groupOf(n), [...(by.get(groupOf(n)) ?? []), n]);
  return [...by].map(([g, ns]) => `${g}: ${ns.length} node${ns.length > 1 ? 's' : ''} (${ns.filter((n) => n.ready && !n.unschedulable).length} schedulable), ${Math.min(...ns.map((n) => n.allocatable.cpuMillis))}m CPU / ${Math.min(...ns.map((n) => n.allocatable.memoryMi))}Mi allocatable each at least`);
}

export default defineCheck({
  id: 'kubernetes.node-groups',
  title: 'Separate node groups for Coder and for workspaces, with room for every replica',
  category: 'kubernetes',
  facts: ['kubernetes.nodes'],
  docs: 'https://coder.com/docs/admin/infrastructure/validated-architectures',
  defaults: CHART_DEFAULT_REQUESTS,

  explain: {
    what: 'Groups the nodes by their platform labels (EKS node group, GKE node pool, AKS agent pool, Karpenter NodePool, kops instance group, node-role), finds the nodes Coder\'s pods may run on (the values\' nodeSelector, required node affinity and tolerations, or --control-plane-selector; Ready, not cordoned, no untolerated NoSchedule/NoExecute taint) and those left for workspaces (--workspace-selector, else the other nodes), and compares each node\'s allocatable CPU and memory with one replica\'s requests (the values\' coder.resources, else the chart\'s default). With --users N it also sizes against Coder\'s validated architecture for N users (1k/2k/3k/10k tiers: coderd replicas and requests, 0.1 vCPU / 128 MB per concurrent workspace) and shows the arithmetic.',
    why: 'Coder\'s validated architectures run the control plane on a static node group and workspaces on an autoscaling one: workspaces on the coderd nodes starve the API of CPU and memory, and an autoscaler scaling down a coderd node drops users\' connections. A replica whose requests fit no node stays Pending, and replicas that share a node fail together.',
    fix: 'With --users N, follow the validated architecture\'s tier for N users (replicas, requests, control-plane room; the arithmetic is in the evidence). Create a node group for Coder and pin the chart to it (coder.nodeSelector, e.g. eks.amazonaws.com/nodegroup: coder, plus coder.tolerations for its taint); give workspaces their own group (templates set its nodeSelector); use instances with room for coder.resources.requests, at least one node per replica.',
  },
  evaluate({ 'kubernetes.nodes': f }, { deployment, options }) {
    const nodes = f.items;
    const cp = deployment.controlPlane ?? NO_PLACEMENT;
    const pinned = isPinned(cp);
    const req = deployment.requests ?? { cpuMillis: options.cpuRequestMillis, memoryMi: options.memoryRequestMi, where: options.source };
    const r = deployment.replicas;
    const threshold = { value: `${r} replica${r > 1 ? 's' : ''} × ${req.cpuMillis}m CPU / ${req.memoryMi}Mi`, source: req.where };
    const selected = nodes.filter((n) => selects(cp, n.labels));
    const cpNodes = selected.filter((n) => usable(n, cp));
    const fit = cpNodes.filter((n) => slots(n, req.cpuMillis, req.memoryMi) >= 1);
    const ws = deployment.workspaces;
    const wsNodes = ws ? nodes.filter((n) => selects(ws, n.labels) && n.ready && !n.unschedulable) : pinned ? nodes.filter((n) => !selected.includes(n) && n.ready && !n.unschedulable) : cpNodes;
    const evidence = {
      nodes: nodes.length,
      groups: groups(nodes),
      controlPlane: `${describePlacement(cp)} (${cp.source})`,
      controlPlaneNodes: cpNodes.map((n) => n.name).slice(0, 20),
      nodesFittingOneReplica: fit.length,
      workspaceNodes: wsNodes.length,
      workspacesFrom: ws ? ws.source : pinned ? 'the nodes outside the control-plane selection' : 'every node (nothing separates them)',
      replicas: r,
      replicasFrom: deployment.replicasSource,
    };
    if (nodes.length === 0) return { status: 'fail', summary: 'The cluster has no nodes: nothing can run Coder or its workspaces', remediation: 'create the node groups (one for Coder, one for workspaces) before installing', evidence, threshold };
    if (pinned && selected.length === 0) {
      return {
        status: 'fail',
        summary: `Coder's ${describePlacement(cp)} (${cp.source}) matches none of the ${nodes.length} nodes: its pods would stay Pending`,
        remediation: `label the control-plane group to match, or fix the selector; the groups here: ${groups(nodes).map((g) => g.split(':')[0]).join('; ')}`,
        evidence,
        threshold,
      };
    }
    if (cpNodes.length === 0) {
      return {
        status: 'fail',
        summary: `No node Coder's pods may run on: ${selected.slice(0, 5).map((n) => whyNot(n, cp)).join('; ')}`,
        remediation: 'add the taints\' tolerations to the values (coder.tolerations), uncordon the nodes, or fix the nodes that are not Ready',
        evidence,
        threshold,
      };
    }
    const room = cpNodes.reduce((sum, n) => sum + slots(n, req.cpuMillis, req.memoryMi), 0);
    if (fit.length === 0 || room < r) {
      const biggest = [...cpNodes].sort((a, b) => b.allocatable.memoryMi - a.allocatable.memoryMi)[0]!;
      return {
        status: 'fail',
        summary: fit.length === 0
          ? `No node Coder may use has room for one replica (${req.cpuMillis}m CPU / ${req.memoryMi}Mi requested; the largest, ${biggest.name}, has ${biggest.allocatable.cpuMillis}m / ${biggest.allocatable.memoryMi}Mi allocatable)`
          : `The ${cpNodes.length} nodes Coder may use hold ${room} of the ${r} replicas (${req.cpuMillis}m CPU / ${req.memoryMi}Mi each): the rest would stay Pending`,
        remediation: 'use larger instances (or more nodes) for the control-plane group, or lower coder.resources.requests',
        evidence,
        threshold,
      };
    }
    const problems: string[] = [];
    if (!pinned) problems.push('Coder\'s pods are not pinned to a node group (no nodeSelector or required node affinity in the values, no --control-plane-selector): they share nodes with workspaces');
    else if (wsNodes.length === 0) problems.push(ws ? `the workspace selection (${describePlacement(ws)}) matches no schedulable node` : 'every schedulable node is in the control-plane selection: workspaces would run beside Coder');
    else {
      const both = wsNodes.filter((n) => cpNodes.includes(n));
      if (both.length) problems.push(`${both.length} node${both.length > 1 ? 's are' : ' is'} in both the control-plane and the workspace selection (${both.slice(0, 3).map((n) => n.name).join(', ')})`);
    }
    if (r > fit.length) problems.push(`${r} replicas but only ${fit.length} node${fit.length > 1 ? 's' : ''} can hold one: replicas would share a node (the chart's anti-affinity is only preferred) and fail together`);
    let sizing: ReturnType<typeof size> | undefined;
    if (deployment.users) {
      const t = tierFor(deployment.users).tier.coderd;
      sizing = size({
        users: deployment.users,
        replicas: r,
        requests: req,
        controlPlaneSlotsAtTier: cpNodes.reduce((sum, n) => sum + slots(n, t.cpuMillis, t.memoryMi), 0),
        ...(cpNodes.length ? { largestControlPlaneNode: [...cpNodes].sort((a, b) => b.allocatable.memoryMi - a.allocatable.memoryMi)[0]!.allocatable } : {}),
        workspaceAllocatable: { cpuMillis: wsNodes.reduce((a, n) => a + n.allocatable.cpuMillis, 0), memoryMi: wsNodes.reduce((a, n) => a + n.allocatable.memoryMi, 0), nodes: wsNodes.length },
      });
      Object.assign(evidence, { sizing: sizing.arithmetic, sizingSource: TIERS_SOURCE });
      problems.push(...sizing.shortfalls);
    }
    if (problems.length) {
      return {
        status: 'warn',
        summary: problems.join('; '),
        remediation: sizing?.shortfalls.length && problems.length === sizing.shortfalls.length
          ? `size for the ${sizing.tier.name} tier: coder.replicaCount ${sizing.tier.coderd.replicas}, coder.resources.requests ${sizing.tier.coderd.cpuMillis}m / ${sizing.tier.coderd.memoryMi}Mi (and limits the same), and control-plane nodes with room for them`
          : !pinned
          ? `create a node group for Coder and pin the chart to it with coder.nodeSelector (e.g. ${selectorExample(cpNodes)}; --control-plane-selector checks a selector before you set it)`
          : r > fit.length
            ? `run at least ${r} nodes that each fit one replica in the control-plane group`
            : 'give workspaces their own node group (templates set its nodeSelector) and keep it apart from the control plane\'s',
        evidence,
        threshold,
      };
    }
    return {
      status: 'pass',
      summary: `Coder's ${r} replica${r > 1 ? 's fit' : ' fits'} on ${fit.length} node${fit.length > 1 ? 's' : ''} of their own (${describePlacement(cp)}); ${wsNodes.length} other node${wsNodes.length > 1 ? 's' : ''} for workspaces${sizing ? `; sized for the ${sizing.tier.name} tier (${deployment.users} users)` : ''}`,
      evidence,
      threshold,
    };
  },
});
