import check from '../../../../checks/kubernetes/high-availability.ts';
import type { Deployment, HaSettings } from '../../../../src/engine/types.ts';
import type { NodeFact } from '../../../../src/facts/kubernetes/nodes.ts';
import { NO_PLACEMENT } from '../../../../src/kubernetes/scheduling.ts';
import { failed, testCheck } from '../../../helpers/check-tester.ts';

const EKS = 'eks.amazonaws.com/nodegroup';
const ZONE = 'topology.kubernetes.io/zone';
const node = (name: string, zone: string | undefined, over: Partial<NodeFact> = {}): NodeFact => ({
  name,
  labels: { [EKS]: 'coder', ...(zone ? { [ZONE]: zone } : {}) },
  taints: [],
  unschedulable: false,
  ready: true,
  allocatable: { cpuMillis: 3920, memoryMi: 15000, pods: 110 },
  provider: 'aws',
  ...over,
});
const cluster = (...items: NodeFact[]) => ({ 'kubernetes.nodes': { items } });
const chart: HaSettings = { antiAffinity: 'preferred', hardSpreadKeys: [], where: 'values' };
const deploy = (replicas: number, ha: Partial<HaSettings> = {}): Deployment => ({
  replicas,
  replicasSource: 'values coder.replicaCount',
  controlPlane: { ...NO_PLACEMENT, nodeSelector: { [EKS]: 'coder' }, source: 'values coder.nodeSelector' },
  ha: { ...chart, ...ha },
});
const threeZones = cluster(node('a', 'us-east-1a'), node('b', 'us-east-1b'), node('c', 'us-east-1c'));

testCheck(check, {
  pass: [
    {
      name: 'three replicas on three nodes in three zones, the chart\'s preferred spread',
      facts: threeZones,
      deployment: deploy(3),
      summary: '3 replicas have 3 nodes to run on across 3 zones (us-east-1a, us-east-1b, us-east-1c); the chart only prefers distinct nodes: set a required anti-affinity or topologySpreadConstraints to make it a rule',
      evidence: { nodesHoldingOneReplica: 3, zones: ['us-east-1a: 1 node', 'us-east-1b: 1 node', 'us-east-1c: 1 node'], antiAffinity: 'preferred (by host name)' },
    },
    {
      name: 'the spread required by the values',
      facts: threeZones,
      deployment: deploy(2, { antiAffinity: 'required', hardSpreadKeys: [ZONE] }),
      summary: 'the values require the spread',
    },
    { name: 'nodes without zone labels (on-premises)', facts: cluster(node('a', undefined), node('b', undefined)), deployment: deploy(2), summary: '2 replicas have 2 nodes to run on (the nodes carry no zone label)' },
    {
      name: 'a relay URL that is not the access URL',
      facts: threeZones,
      deployment: deploy(2, { relayUrl: 'http://$(KUBE_POD_IP):8080', accessUrl: 'https://coder.example.com' }),
      summary: '2 replicas have 3 nodes',
      evidence: { relayUrl: 'http://$(KUBE_POD_IP):8080' },
    },
  ],
  warn: [
    {
      name: 'fewer nodes that fit a replica than replicas',
      facts: cluster(node('a', 'z1'), node('b', 'z2', { allocatable: { cpuMillis: 1000, memoryMi: 2000, pods: 110 } }), node('c', 'z2', { unschedulable: true })),
      deployment: deploy(3),
      summary: 'only 1 node Coder may use can hold a replica, for 3 replicas: some would share a node (or stay Pending) and fail together',
      remediation: 'run at least 3 control-plane nodes that each fit 2000m CPU / 4096Mi',
    },
    {
      name: 'every node in one zone',
      facts: cluster(node('a', 'us-east-1a'), node('b', 'us-east-1a')),
      deployment: deploy(2),
      summary: 'every node Coder may use is in zone us-east-1a: a zone outage stops all 2 replicas',
      remediation: /topologySpreadConstraints \(topologyKey topology.kubernetes.io\/zone/,
    },
  ],
  fail: [
    {
      name: 'the relay URL set to the access URL',
      facts: threeZones,
      deployment: deploy(2, { relayUrl: 'https://coder.example.com', accessUrl: 'https://coder.example.com/' }),
      summary: 'CODER_DERP_SERVER_RELAY_URL is the access URL (https://coder.example.com/)',
      remediation: /remove CODER_DERP_SERVER_RELAY_URL/,
    },
  ],
  skip: [
    { name: 'one replica', facts: threeZones, deployment: deploy(1), summary: 'Coder runs 1 replica (values coder.replicaCount): nothing to spread', remediation: /coder.replicaCount to 2 or more/ },
    { name: 'no cluster', facts: { 'kubernetes.nodes': failed('not-configured', 'No Kubernetes cluster configured') }, deployment: deploy(2), summary: 'No Kubernetes cluster configured' },
  ],
  error: [{ name: 'nodes may not be listed', facts: { 'kubernetes.nodes': failed('forbidden', 'forbidden (403)') }, deployment: deploy(2), summary: /forbidden/ }],
});
