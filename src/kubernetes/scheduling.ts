// The scheduler's rules that decide whether a pod may land on a node: nodeSelector, required node
// affinity (matchExpressions), and taints with tolerations. Pure functions over plain data.

export interface Toleration {
  key?: string;
  operator?: 'Equal' | 'Exists';
  value?: string;
  effect?: string;
}

export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

export interface NodeSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';
  values?: string[];
}

/** Where a pod may go: nodeSelector, required nodeAffinity terms (any one term must match), tolerations. */
export interface Placement {
  nodeSelector: Record<string, string>;
  /** requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[].matchExpressions */
  affinityTerms: NodeSelectorRequirement[][];
  tolerations: Toleration[];
  /** Where these came from (values file keys or flags), for the report. */
  source: string;
}

export const NO_PLACEMENT: Placement = { nodeSelector: {}, affinityTerms: [], tolerations: [], source: 'none: the scheduler may use any node' };

export const isPinned = (p: Placement) => Object.keys(p.nodeSelector).length > 0 || p.affinityTerms.length > 0;

function requirementMatches(r: NodeSelectorRequirement, labels: Record<string, string>): boolean {
  const v = labels[r.key];
  switch (r.operator) {
    case 'In':
      return v !== undefined && (r.values ?? []).includes(v);
    case 'NotIn':
      return v === undefined || !(r.values ?? []).includes(v);
    case 'Exists':
      return v !== undefined;
    case 'DoesNotExist':
      return v === undefined;
    case 'Gt':
    case 'Lt': {
      const n = Number(v);
      const bound = Number(r.values?.[0]);
      return v !== undefined && Number.isInteger(n) && (r.operator === 'Gt' ? n > bound : n < bound);
    }
  }
}

/** nodeSelector and required node affinity (labels only). */
export function selects(p: Placement, labels: Record<string, string>): boolean {
  if (!Object.entries(p.nodeSelector).every(([k, v]) => labels[k] === v)) return false;
  return p.affinityTerms.length === 0 || p.affinityTerms.some((term) => term.every((r) => requirementMatches(r, labels)));
}

export function tolerates(tolerations: readonly Toleration[], t: Taint): boolean {
  return tolerations.some((tol) => {
    if (tol.effect && tol.effect !== t.effect) return false;
    if (!tol.key) return tol.operator === 'Exists';
    if (tol.key !== t.key) return false;
    return tol.operator === 'Exists' || (tol.value ?? '') === (t.value ?? '');
  });
}

/** The taints that keep the pod off the node (PreferNoSchedule only discourages). */
export function blockingTaints(tolerations: readonly Toleration[], taints: readonly Taint[]): Taint[] {
  return taints.filter((t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerates(tolerations, t));
}

/** "k=v,k2=v2" (a --*-selector flag) as a nodeSelector; undefined when malformed. */
export function parseSelector(s: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const part of s.split(',').map((x) => x.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return Object.keys(out).length ? out : undefined;
}

/** The node facts scheduling needs (a subset of kubernetes.nodes' NodeFact). */
export interface SchedulableNode {
  name: string;
  labels: Record<string, string>;
  taints: Taint[];
  unschedulable: boolean;
  ready: boolean;
  allocatable: { cpuMillis: number; memoryMi: number };
}

/** Ready, not cordoned, and no taint the pod does not tolerate. */
export const usableFor = (n: SchedulableNode, p: Placement): boolean => n.ready && !n.unschedulable && blockingTaints(p.tolerations, n.taints).length === 0;

/** How many pods with these requests fit on the node by its allocatable resources. */
export const podSlots = (n: SchedulableNode, cpuMillis: number, memoryMi: number): number =>
  Math.min(Math.floor(n.allocatable.cpuMillis / cpuMillis), Math.floor(n.allocatable.memoryMi / memoryMi));

/** The well-known zone label (and the deprecated one older clusters still set), or undefined. */
export function zoneOf(labels: Record<string, string>): string | undefined {
  return labels['topology.kubernetes.io/zone'] ?? labels['failure-domain.beta.kubernetes.io/zone'];
}
