// Coder's validated architectures (docs/admin/infrastructure/validated-architectures, the tables
// current since January 2026; coder-requirements.md §4a): what a deployment for N users runs.
export interface Tier {
  name: string;
  users: number;
  concurrentWorkspaces: number;
  coderd: { replicas: number; cpuMillis: number; memoryMi: number };
  /** Per workspace, the agent's minimum. */
  workspace: { cpuMillis: number; memoryMi: number };
}

export const TIERS_SOURCE = 'Coder validated architectures (1k/2k/3k/10k users, tables since 2026-01): coderd replicas and requests, 0.1 vCPU / 128 MB per concurrent workspace (60% of users)';

export const TIERS: readonly Tier[] = [
  { name: '1k', users: 1000, concurrentWorkspaces: 600, coderd: { replicas: 3, cpuMillis: 2000, memoryMi: 8192 }, workspace: { cpuMillis: 100, memoryMi: 128 } },
  { name: '2k', users: 2000, concurrentWorkspaces: 1200, coderd: { replicas: 3, cpuMillis: 4000, memoryMi: 12288 }, workspace: { cpuMillis: 100, memoryMi: 128 } },
  { name: '3k', users: 3000, concurrentWorkspaces: 1800, coderd: { replicas: 4, cpuMillis: 4000, memoryMi: 12288 }, workspace: { cpuMillis: 100, memoryMi: 128 } },
  { name: '10k', users: 10000, concurrentWorkspaces: 6000, coderd: { replicas: 10, cpuMillis: 4000, memoryMi: 12288 }, workspace: { cpuMillis: 100, memoryMi: 128 } },
];

/** The smallest validated tier that covers N users (the largest, flagged, beyond it). */
export function tierFor(users: number): { tier: Tier; beyond: boolean } {
  const tier = TIERS.find((t) => users <= t.users);
  return tier ? { tier, beyond: false } : { tier: TIERS[TIERS.length - 1]!, beyond: true };
}

const gb = (mi: number) => `${Math.round((mi / 1024) * 10) / 10} GB`;

export interface SizingInput {
  users: number;
  replicas: number;
  /** Per replica, as the values (or the chart's defaults) request. */
  requests: { cpuMillis: number; memoryMi: number };
  /** How many replicas of the tier's size the control-plane nodes hold. */
  controlPlaneSlotsAtTier: number;
  /** The control-plane node with the most allocatable memory, when there is one. */
  largestControlPlaneNode?: { cpuMillis: number; memoryMi: number };
  /** Allocatable sums of the workspace nodes today. */
  workspaceAllocatable: { cpuMillis: number; memoryMi: number; nodes: number };
}

/** The tier's numbers against the deployment: the arithmetic as lines, and what falls short. */
export function size(i: SizingInput): { tier: Tier; arithmetic: string[]; shortfalls: string[] } {
  const { tier, beyond } = tierFor(i.users);
  // Workspaces scale with users: 60% of them run at once (the tables' ratio).
  const concurrent = Math.ceil((tier.concurrentWorkspaces / tier.users) * i.users);
  const wsCpu = concurrent * tier.workspace.cpuMillis;
  const wsMem = concurrent * tier.workspace.memoryMi;
  const c = tier.coderd;
  const arithmetic = [
    `${i.users} users → the ${tier.name} tier${beyond ? ` (the largest validated; ${i.users} is beyond it)` : ''}`,
    `coderd: ${c.replicas} replicas × ${c.cpuMillis / 1000} vCPU / ${gb(c.memoryMi)} (you run ${i.replicas} × ${i.requests.cpuMillis / 1000} vCPU / ${gb(i.requests.memoryMi)})`,
    `control-plane nodes hold ${i.controlPlaneSlotsAtTier} replica${i.controlPlaneSlotsAtTier === 1 ? '' : 's'} of the tier's size`,
    `workspaces: ${concurrent} concurrent (60% of ${i.users}) × ${tier.workspace.cpuMillis / 1000} vCPU / ${tier.workspace.memoryMi} MB = ${wsCpu / 1000} vCPU / ${gb(wsMem)} at the agent's minimum; the workspace nodes have ${i.workspaceAllocatable.cpuMillis / 1000} vCPU / ${gb(i.workspaceAllocatable.memoryMi)} allocatable on ${i.workspaceAllocatable.nodes} node${i.workspaceAllocatable.nodes === 1 ? '' : 's'} now`,
  ];
  const shortfalls: string[] = [];
  if (i.replicas < c.replicas) shortfalls.push(`for ${i.users} users the validated ${tier.name} architecture runs ${c.replicas} coderd replicas, this deployment ${i.replicas}`);
  if (i.requests.cpuMillis < c.cpuMillis || i.requests.memoryMi < c.memoryMi) shortfalls.push(`each replica requests ${i.requests.cpuMillis / 1000} vCPU / ${gb(i.requests.memoryMi)}, below the tier's ${c.cpuMillis / 1000} vCPU / ${gb(c.memoryMi)}`);
  if (i.controlPlaneSlotsAtTier < c.replicas) {
    const big = i.largestControlPlaneNode;
    shortfalls.push(`the control-plane nodes hold ${i.controlPlaneSlotsAtTier} of the tier's ${c.replicas} replicas of ${c.cpuMillis / 1000} vCPU / ${gb(c.memoryMi)}${big ? ` (the largest has ${big.cpuMillis / 1000} vCPU / ${gb(big.memoryMi)} allocatable)` : ''}`);
  }
  return { tier, arithmetic, shortfalls };
}
