import { expect } from 'vitest';
import check from '../../../../checks/kubernetes/node-groups.ts';
import type { Deployment } from '../../../../src/engine/types.ts';
import type { NodeFact } from '../../../../src/facts/kubernetes/nodes.ts';
import { NO_PLACEMENT, type Placement } from '../../../../src/kubernetes/scheduling.ts';
import { failed, testCheck } from '../../../helpers/check-tester.ts';

const EKS = 'eks.amazonaws.com/nodegroup';
const node = (name: string, group: string | undefined, over: Partial<NodeFact> = {}): NodeFact => ({
  name,
  labels: { 'kubernetes.io/hostname': name, ...(group ? { [EKS]: group } : {}) },
  taints: [],
  unschedulable: false,
  ready: true,
  allocatable: { cpuMillis: 3920, memoryMi: 15000, pods: 110 },
  provider: 'aws',
  ...over,
});
const cluster = (...items: NodeFact[]) => ({ 'kubernetes.nodes': { items } });
const cpGroup = [1, 2, 3].map((i) => node(`cp-${i}`, 'coder'));
const wsGroup = [1, 2].map((i) => node(`ws-${i}`, 'workspaces'));
const big = [1, 2, 3, 4].map((i) => node(`big-${i}`, 'coder', { allocatable: { cpuMillis: 7910, memoryMi: 30000, pods: 110 } }));
const pin = (nodeSelector: Record<string, string>, over: Partial<Placement> = {}): Placement => ({ ...NO_PLACEMENT, nodeSelector, source: 'values coder.nodeSelector/affinity/tolerations', ...over });
const deploy = (replicas: number, over: Partial<Deployment> = {}): Deployment => ({ replicas, replicasSource: 'values coder.replicaCount', controlPlane: pin({ [EKS]: 'coder' }), ...over });

testCheck(check, {
  pass: [
    {
      name: '--users 1000 with the 1k tier\'s replicas and requests',
      facts: cluster(...big, ...wsGroup),
      deployment: deploy(3, { users: 1000, requests: { cpuMillis: 2000, memoryMi: 8192, where: 'values coder.resources.requests' } }),
      summary: '; sized for the 1k tier (1000 users)',
      evidence: { sizing: expect.arrayContaining(['1000 users → the 1k tier', 'control-plane nodes hold 12 replicas of the tier\'s size']) },
    },
    {
      name: 'Coder pinned to its own group, with room for 3 replicas; workspaces on the other',
      facts: cluster(...cpGroup, ...wsGroup),
      deployment: deploy(3),
      summary: "Coder's 3 replicas fit on 3 nodes of their own (nodeSelector eks.amazonaws.com/nodegroup=coder); 2 other nodes for workspaces",
      threshold: { value: '3 replicas × 2000m CPU / 4096Mi', source: /chart default resources/ },
      evidence: { nodesFittingOneReplica: 3, workspaceNodes: 2, groups: [expect.stringMatching(/^eks\.amazonaws\.com\/nodegroup=coder: 3 nodes \(3 schedulable\)/), expect.stringMatching(/^eks\.amazonaws\.com\/nodegroup=workspaces: 2 nodes/)] },
    },
    {
      name: 'a required node affinity instead of a nodeSelector',
      facts: cluster(...cpGroup, ...wsGroup),
      deployment: deploy(2, { controlPlane: pin({}, { affinityTerms: [[{ key: EKS, operator: 'In', values: ['coder'] }]] }) }),
      summary: 'required node affinity (1 term)',
    },
    {
      name: 'a tainted control-plane group that the values tolerate',
      facts: cluster(...cpGroup.map((n) => ({ ...n, taints: [{ key: 'dedicated', value: 'coder', effect: 'NoSchedule' }] })), ...wsGroup),
      deployment: deploy(3, { controlPlane: pin({ [EKS]: 'coder' }, { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'coder', effect: 'NoSchedule' }] }) }),
      summary: "Coder's 3 replicas fit on 3 nodes",
    },
    {
      name: 'the workspace group given with --workspace-selector',
      facts: cluster(...cpGroup, ...wsGroup, node('other', 'batch')),
      deployment: deploy(1, { workspaces: pin({ [EKS]: 'workspaces' }, { source: '--workspace-selector' }) }),
      summary: '2 other nodes for workspaces',
      evidence: { workspacesFrom: '--workspace-selector' },
    },
    {
      name: 'Coder v1\'s smaller requests fit small nodes',
      facts: cluster(node('cp-1', 'coder', { allocatable: { cpuMillis: 900, memoryMi: 1800, pods: 110 } }), ...wsGroup),
      profile: 'v1',
      deployment: deploy(1),
      summary: "Coder's 1 replica fits on 1 node",
      threshold: { value: '1 replica × 250m CPU / 512Mi', source: /Coder v1 chart/ },
    },
    {
      name: 'the values file\'s requests replace the defaults',
      facts: cluster(node('cp-1', 'coder', { allocatable: { cpuMillis: 1500, memoryMi: 3000, pods: 110 } }), ...wsGroup),
      deployment: deploy(1, { requests: { cpuMillis: 1000, memoryMi: 2048, where: 'values coder.resources.requests' } }),
      summary: 'fits on 1 node',
      threshold: { value: '1 replica × 1000m CPU / 2048Mi', source: 'values coder.resources.requests' },
    },
  ],
  warn: [
    {
      name: '--users 2000: fewer and smaller replicas than the 2k tier, with the arithmetic',
      facts: cluster(...cpGroup, ...wsGroup),
      deployment: deploy(2, { users: 2000 }),
      summary: 'for 2000 users the validated 2k architecture runs 3 coderd replicas, this deployment 2; each replica requests 2 vCPU / 4 GB, below the tier\'s 4 vCPU / 12 GB; the control-plane nodes hold 0 of the tier\'s 3 replicas of 4 vCPU / 12 GB (the largest has 3.92 vCPU / 14.6 GB allocatable)',
      remediation: 'size for the 2k tier: coder.replicaCount 3, coder.resources.requests 4000m / 12288Mi (and limits the same), and control-plane nodes with room for them',
      evidence: {
        sizing: [
          '2000 users → the 2k tier',
          'coderd: 3 replicas × 4 vCPU / 12 GB (you run 2 × 2 vCPU / 4 GB)',
          'control-plane nodes hold 0 replicas of the tier\'s size',
          'workspaces: 1200 concurrent (60% of 2000) × 0.1 vCPU / 128 MB = 120 vCPU / 150 GB at the agent\'s minimum; the workspace nodes have 7.84 vCPU / 29.3 GB allocatable on 2 nodes now',
        ],
      },
      threshold: { source: /chart default resources/ },
    },
    {
      name: '--users 12000: beyond the largest validated tier',
      facts: cluster(...big, ...wsGroup),
      deployment: deploy(4, { users: 12000, requests: { cpuMillis: 4000, memoryMi: 12288, where: 'values coder.resources.requests' } }),
      summary: /the control-plane nodes hold 4 of the tier's 10 replicas/,
      evidence: { sizing: expect.arrayContaining(['12000 users → the 10k tier (the largest validated; 12000 is beyond it)']) },
    },
    {
      name: 'Coder not pinned to any group',
      facts: cluster(...cpGroup, ...wsGroup),
      deployment: { replicas: 1, replicasSource: 'default' },
      summary: "Coder's pods are not pinned to a node group",
      remediation: /coder\.nodeSelector \(e\.g\. eks\.amazonaws\.com\/nodegroup: coder;/,
    },
    { name: 'one group only: workspaces beside Coder', facts: cluster(...cpGroup), deployment: deploy(1), summary: 'every schedulable node is in the control-plane selection', remediation: /give workspaces their own node group/ },
    {
      name: 'the workspace selection overlaps the control plane',
      facts: cluster(...cpGroup, ...wsGroup),
      deployment: deploy(1, { workspaces: pin({ 'kubernetes.io/hostname': 'cp-1' }, { source: '--workspace-selector' }) }),
      summary: '1 node is in both the control-plane and the workspace selection (cp-1)',
    },
    {
      name: 'room for 3 replicas, but on fewer than 3 nodes',
      facts: cluster(node('cp-1', 'coder', { allocatable: { cpuMillis: 7920, memoryMi: 31000, pods: 110 } }), ...wsGroup),
      deployment: deploy(3),
      summary: '3 replicas but only 1 node can hold one: replicas would share a node',
      remediation: 'run at least 3 nodes that each fit one replica in the control-plane group',
    },
  ],
  fail: [
    { name: 'no nodes', facts: cluster(), deployment: deploy(1), summary: 'The cluster has no nodes' },
    {
      name: 'a nodeSelector that matches no node',
      facts: cluster(...cpGroup, ...wsGroup),
      deployment: deploy(1, { controlPlane: pin({ [EKS]: 'cdoer' }) }),
      summary: "Coder's nodeSelector eks.amazonaws.com/nodegroup=cdoer (values coder.nodeSelector/affinity/tolerations) matches none of the 5 nodes",
      remediation: /eks\.amazonaws\.com\/nodegroup=coder; eks\.amazonaws\.com\/nodegroup=workspaces/,
    },
    {
      name: 'a tainted group without the toleration',
      facts: cluster(...cpGroup.map((n) => ({ ...n, taints: [{ key: 'dedicated', value: 'coder', effect: 'NoSchedule' }] })), ...wsGroup),
      deployment: deploy(1),
      summary: "No node Coder's pods may run on: cp-1: taint dedicated=coder:NoSchedule not tolerated",
      remediation: /coder\.tolerations/,
    },
    { name: 'cordoned and not Ready nodes', facts: cluster(node('cp-1', 'coder', { unschedulable: true }), node('cp-2', 'coder', { ready: false }), ...wsGroup), deployment: deploy(1), summary: 'cp-1: cordoned; cp-2: not Ready' },
    {
      name: 'nodes too small for one replica',
      facts: cluster(node('cp-1', 'coder', { allocatable: { cpuMillis: 1920, memoryMi: 3500, pods: 110 } }), ...wsGroup),
      deployment: deploy(1),
      summary: 'No node Coder may use has room for one replica (2000m CPU / 4096Mi requested; the largest, cp-1, has 1920m / 3500Mi allocatable)',
      remediation: /larger instances/,
    },
    { name: 'room for fewer replicas than will run', facts: cluster(...cpGroup.slice(0, 2), ...wsGroup), deployment: deploy(3), summary: 'The 2 nodes Coder may use hold 2 of the 3 replicas' },
  ],
  error: [{ name: 'nodes may not be listed', facts: { 'kubernetes.nodes': failed('forbidden', 'forbidden (403)', { hint: 'the user may not list nodes' }) }, summary: 'Could not gather kubernetes.nodes: forbidden (403)', remediation: 'the user may not list nodes' }],
  skip: [{ name: 'no cluster', facts: { 'kubernetes.nodes': failed('not-configured', 'No Kubernetes cluster configured', { hint: 'pass --kubeconfig' }) }, summary: 'No Kubernetes cluster configured' }],
});
