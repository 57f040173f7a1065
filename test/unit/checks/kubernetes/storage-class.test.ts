import check from '../../../../checks/kubernetes/storage-class.ts';
import type { StorageClassesFact, StorageClassFact } from '../../../../src/facts/kubernetes/storageclasses.ts';
import { ONE_REPLICA, failed, testCheck } from '../../../helpers/check-tester.ts';

const sc = (name: string, provisioner: string, isDefault = false, over: Partial<StorageClassFact> = {}): StorageClassFact => ({ name, provisioner, isDefault, volumeBindingMode: 'WaitForFirstConsumer', reclaimPolicy: 'Delete', allowVolumeExpansion: true, allowedTopologies: [], ...over });
const classes = (items: StorageClassFact[], csiDrivers: string[] | null = ['ebs.csi.aws.com', 'efs.csi.aws.com', 'pd.csi.storage.gke.io']): { 'kubernetes.storageclasses': StorageClassesFact } => ({ 'kubernetes.storageclasses': { items, csiDrivers } });
const named = (name: string) => ({ ...ONE_REPLICA, storageClass: { name, where: 'values postgres.default.storageClassName' } });

testCheck(check, {
  pass: [
    {
      name: 'exactly one default class backed by a registered CSI driver',
      facts: classes([sc('gp3', 'ebs.csi.aws.com', true, { allowedTopologies: [[{ key: 'topology.ebs.csi.aws.com/zone', values: ['us-east-1a'] }]] }), sc('io2', 'ebs.csi.aws.com')]),
      summary: 'The default StorageClass gp3: ebs.csi.aws.com, WaitForFirstConsumer, reclaim Delete, expandable',
      evidence: { defaults: ['gp3'], provisioner: 'ebs.csi.aws.com', volumeBindingMode: 'WaitForFirstConsumer', csiDriver: 'CSIDriver ebs.csi.aws.com is registered', allowedTopologies: 'topology.ebs.csi.aws.com/zone in [us-east-1a]' },
    },
    { name: 'an in-tree provisioner needs no CSIDriver', facts: classes([sc('standard', 'kubernetes.io/gce-pd', true)], []), summary: 'kubernetes.io/gce-pd', evidence: { csiDriver: 'in-tree (no CSIDriver object needed)' } },
    { name: 'the class the values name, though another is default', facts: classes([sc('fast', 'ebs.csi.aws.com'), sc('gp3', 'ebs.csi.aws.com', true)]), deployment: named('fast'), summary: 'StorageClass fast (named in values postgres.default.storageClassName): ebs.csi.aws.com' },
    { name: 'CSIDriver objects may not be listed: said, not guessed', facts: classes([sc('gp3', 'ebs.csi.aws.com', true)], null), summary: 'gp3', evidence: { csiDriver: 'unknown (CSIDriver objects could not be listed)' } },
  ],
  warn: [
    { name: 'several defaults', facts: classes([sc('a', 'ebs.csi.aws.com', true), sc('b', 'efs.csi.aws.com', true)]), summary: '2 StorageClasses are marked default', evidence: { defaults: ['a', 'b'] } },
    { name: 'the default keeps volumes on one node (not CSI: no CSIDriver expected)', facts: classes([sc('local-path', 'rancher.io/local-path', true)], []), summary: /one node's disk/, evidence: { csiDriver: 'not a registered CSI driver (an external provisioner)' } },
    { name: 'a CSI provisioner whose driver is not registered', facts: classes([sc('rbd', 'rbd.csi.ceph.com', true)]), summary: /names the CSI driver rbd\.csi\.ceph\.com, but the cluster has no CSIDriver object for it/, remediation: /kubectl get csidriver/ },
  ],
  fail: [
    { name: 'no class at all', facts: classes([]), summary: 'The cluster has no StorageClass' },
    {
      name: 'no default class (naming the classes and the patch)',
      facts: classes([sc('standard', 'pd.csi.storage.gke.io')]),
      summary: /None of the 1 StorageClasses \(standard \(pd\.csi\.storage\.gke\.io, WaitForFirstConsumer\)\) is the default/,
      remediation: /is-default-class/,
    },
    { name: 'the default has no provisioner', facts: classes([sc('local', 'kubernetes.io/no-provisioner', true)]), summary: 'The default StorageClass local uses kubernetes.io/no-provisioner' },
    { name: 'the values name a class that does not exist', facts: classes([sc('gp3', 'ebs.csi.aws.com', true)]), deployment: named('fast'), summary: 'The values name StorageClass fast (values postgres.default.storageClassName), which does not exist (classes: gp3)' },
  ],
  skip: [{ name: 'no cluster', facts: { 'kubernetes.storageclasses': failed('not-configured', 'm', { hint: 'h' }) }, summary: 'm', remediation: 'h' }],
  error: [{ name: 'StorageClasses may not be listed', facts: { 'kubernetes.storageclasses': failed('forbidden', 'm') }, summary: 'Could not gather kubernetes.storageclasses: m' }],
});
