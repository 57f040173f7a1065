import check from '../../../../checks/kubernetes/storage-topology.ts';
import type { NodeFact } from '../../../../src/facts/kubernetes/nodes.ts';
import type { StorageClassFact } from '../../../../src/facts/kubernetes/storageclasses.ts';
import { NO_PLACEMENT } from '../../../../src/kubernetes/scheduling.ts';
import { ONE_REPLICA, failed, testCheck } from '../../../helpers/check-tester.ts';

const ZONE = 'topology.kubernetes.io/zone';
const EKS = 'eks.amazonaws.com/nodegroup';
const node = (name: string, group: string, zone: string): NodeFact => ({ name, labels: { [EKS]: group, [ZONE]: zone }, taints: [], unschedulable: false, ready: true, allocatable: { cpuMillis: 4000, memoryMi: 16000, pods: 110 }, provider: 'aws' });
const sc = (zones?: string[]): StorageClassFact => ({ name: 'gp3', provisioner: 'ebs.csi.aws.com', isDefault: true, volumeBindingMode: 'WaitForFirstConsumer', reclaimPolicy: 'Delete', allowVolumeExpansion: true, allowedTopologies: zones ? [[{ key: ZONE, values: zones }]] : [] });
const facts = (cls: StorageClassFact, ...nodes: NodeFact[]) => ({ 'kubernetes.storageclasses': { items: [cls], csiDrivers: [] }, 'kubernetes.nodes': { items: nodes } });
const cluster = [node('cp-1', 'coder', 'us-east-1a'), node('ws-1', 'ws', 'us-east-1a'), node('ws-2', 'ws', 'us-east-1b')];
const pinned = { ...ONE_REPLICA, controlPlane: { ...NO_PLACEMENT, nodeSelector: { [EKS]: 'coder' }, source: 'values' } };

testCheck(check, {
  pass: [
    { name: 'no allowedTopologies', facts: facts(sc(), ...cluster), summary: 'StorageClass gp3 may provision volumes anywhere (no allowedTopologies)' },
    { name: 'every workspace zone allowed', facts: facts(sc(['us-east-1a', 'us-east-1b']), ...cluster), deployment: pinned, summary: 'StorageClass gp3 may provision volumes for all 2 workspace nodes (topology.kubernetes.io/zone in [us-east-1a, us-east-1b])' },
  ],
  warn: [{ name: 'one workspace zone left out', facts: facts(sc(['us-east-1a']), ...cluster), deployment: pinned, summary: '1 of 2 workspace nodes (at us-east-1b) cannot get its volumes' }],
  fail: [
    {
      name: 'the class excludes every workspace zone',
      facts: facts(sc(['us-east-1c']), ...cluster),
      deployment: { ...ONE_REPLICA, workspaces: { ...NO_PLACEMENT, nodeSelector: { [EKS]: 'ws' }, source: '--workspace-selector' } },
      summary: 'StorageClass gp3 provisions only where topology.kubernetes.io/zone in [us-east-1c], but the 2 workspace nodes are at us-east-1a, us-east-1b: every workspace volume would stay Pending',
      remediation: /allowedTopologies/,
    },
  ],
  skip: [
    { name: 'no default class', facts: { 'kubernetes.storageclasses': { items: [{ ...sc(), isDefault: false }], csiDrivers: [] }, 'kubernetes.nodes': { items: cluster } }, summary: 'No single default StorageClass to judge (see kubernetes.storage-class)' },
    { name: 'no cluster', facts: { 'kubernetes.storageclasses': failed('not-configured', 'No Kubernetes cluster configured'), 'kubernetes.nodes': failed('not-configured', 'No Kubernetes cluster configured') }, summary: /No Kubernetes cluster configured/ },
  ],
  error: [{ name: 'nodes may not be listed', facts: { 'kubernetes.storageclasses': { items: [sc(['us-east-1a'])], csiDrivers: [] }, 'kubernetes.nodes': failed('forbidden', 'forbidden (403)') }, summary: /forbidden/ }],
});
