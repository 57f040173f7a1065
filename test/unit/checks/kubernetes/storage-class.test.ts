import check from '../../../../checks/kubernetes/storage-class.ts';
import type { StorageClassFact } from '../../../../src/facts/kubernetes/storageclasses.ts';
import { failed, testCheck } from '../../../helpers/check-tester.ts';

const sc = (name: string, provisioner: string, isDefault = false): StorageClassFact => ({ name, provisioner, isDefault, volumeBindingMode: 'WaitForFirstConsumer', reclaimPolicy: 'Delete', allowVolumeExpansion: true });
const classes = (items: StorageClassFact[]): { 'kubernetes.storageclasses': { items: StorageClassFact[] } } => ({ 'kubernetes.storageclasses': { items } });

testCheck(check, {
  pass: [
    {
      name: 'exactly one default class backed by a CSI driver',
      facts: classes([sc('gp3', 'ebs.csi.aws.com', true), sc('io2', 'ebs.csi.aws.com')]),
      summary: 'Default StorageClass gp3 (ebs.csi.aws.com, WaitForFirstConsumer)',
      evidence: { defaults: ['gp3'], provisioner: 'ebs.csi.aws.com', volumeBindingMode: 'WaitForFirstConsumer' },
    },
  ],
  warn: [
    { name: 'several defaults', facts: classes([sc('a', 'ebs.csi.aws.com', true), sc('b', 'efs.csi.aws.com', true)]), summary: '2 StorageClasses are marked default', evidence: { defaults: ['a', 'b'] } },
    { name: 'the default keeps volumes on one node', facts: classes([sc('local-path', 'rancher.io/local-path', true)]), summary: /one node's disk/ },
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
  ],
  skip: [{ name: 'no cluster', facts: { 'kubernetes.storageclasses': failed('not-configured', 'm', { hint: 'h' }) }, summary: 'm', remediation: 'h' }],
  error: [{ name: 'StorageClasses may not be listed', facts: { 'kubernetes.storageclasses': failed('forbidden', 'm') }, summary: 'Could not gather kubernetes.storageclasses: m' }],
});
