import { expect } from 'vitest';
import check from '../../../../checks/kubernetes/dynamic-provisioning.ts';
import type { DynamicProvisioningResult } from '../../../../src/facts/probe/dynamic-provisioning.ts';
import type { ProbeFact, ProbeRan } from '../../../../src/probes/define.ts';
import { failed, testCheck } from '../../../helpers/check-tester.ts';

const ran: ProbeRan = { state: 'ran', probe: 'dynamic-provisioning', runId: 'abc12345', namespace: 'coder-preflight-abc12345', image: 'docker.io/library/node:24-slim', durationMs: 5100 };
const base: DynamicProvisioningResult = {
  verdict: 'written',
  storageClass: 'gp3',
  classSource: 'the default StorageClass',
  bindingMode: 'WaitForFirstConsumer',
  provisioner: 'ebs.csi.aws.com',
  claim: 'volume-1',
  volume: 'pvc-1234',
  reclaimPolicy: 'Delete',
  bindMs: 3200,
  totalMs: 5000,
  node: 'ip-10-0-1-5',
  zone: 'us-east-1a',
  placement: 'eks.amazonaws.com/nodegroup=workspaces (--workspace-selector)',
  write: { file: '/data/coder-preflight-x', bytes: 1048576, match: true, writeMs: 2, fsyncMs: 5, readMs: 1, uid: 65532, gid: 65532 },
  events: [],
  limitMs: 55000,
};
const fact = (over: Partial<DynamicProvisioningResult> = {}): { 'probe.dynamic-provisioning': ProbeFact<DynamicProvisioningResult> } => ({ 'probe.dynamic-provisioning': { ...ran, ...base, ...over } });
const noWrite = { write: undefined } as unknown as Partial<DynamicProvisioningResult>;

testCheck(check, {
  pass: [
    {
      name: 'bound, mounted, written and read back on a WaitForFirstConsumer class: with the wait_until_bound reminder',
      facts: fact(),
      summary: 'A claim on gp3 (ebs.csi.aws.com, WaitForFirstConsumer) bound in 3.2 s as pvc-1234, and a pod on node ip-10-0-1-5 wrote and read back 1 MiB; templates on a WaitForFirstConsumer class need wait_until_bound = false',
      evidence: { verdict: 'written', storageClass: 'gp3', provisioner: 'ebs.csi.aws.com', volume: 'pvc-1234', bindMs: 3200, node: 'ip-10-0-1-5', runId: 'abc12345', note: expect.stringContaining('wait_until_bound = false') },
      check: (r) => expect(r.vantage).toBe('a probe pod on node ip-10-0-1-5'),
    },
    {
      name: 'an Immediate class: no reminder',
      facts: fact({ bindingMode: 'Immediate', bindMs: 800 }),
      summary: 'bound in 0.8 s',
      check: (r) => {
        expect(r.summary).not.toContain('wait_until_bound');
        expect(r.evidence.note).toBeUndefined();
      },
    },
  ],
  fail: [
    {
      name: 'the provisioner never acts: not bound within the limit, with its events',
      facts: fact({
        ...noWrite,
        verdict: 'not-bound',
        storageClass: 'broken',
        provisioner: 'example.com/none',
        bindingMode: 'Immediate',
        bindMs: undefined,
        volume: undefined,
        events: [
          'Warning FailedScheduling: 0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims.',
          'Warning MissingClusterDNS: kubelet does not have ClusterDNS IP configured',
          "Normal ExternalProvisioning: Waiting for a volume to be created either by the external provisioner 'example.com/none' or manually by the system administrator.",
        ],
        limitMs: 31000,
      }),
      summary: 'A claim on broken (example.com/none, Immediate) did not bind within 31 s: the provisioner example.com/none never created a volume (Warning FailedScheduling',
      threshold: { value: 'not bound after 30 s fails' },
      remediation: /make sure the provisioner example\.com\/none is installed and running/,
      check: (r) => {
        expect(r.summary).not.toContain('MissingClusterDNS');
        expect(r.evidence.events).toHaveLength(3);
      },
    },
    {
      name: 'ProvisioningFailed: the provisioner\'s own error',
      facts: fact({ ...noWrite, verdict: 'not-bound', bindMs: undefined, volume: undefined, events: ['Warning ProvisioningFailed: failed to provision volume with StorageClass "gp3": rpc error: code = Internal desc = UnauthorizedOperation'] }),
      summary: 'ProvisioningFailed: failed to provision volume',
      remediation: /fix what ProvisioningFailed says/,
    },
    {
      name: 'bound but not schedulable next to the volume',
      facts: fact({ ...noWrite, verdict: 'not-bound', bindMs: undefined, events: ['Warning FailedScheduling: 0/3 nodes are available: 3 node(s) had volume node affinity conflict.'] }),
      summary: 'volume node affinity conflict',
      remediation: /no workspace node can take the pod/,
    },
    {
      name: 'bound, but the pod cannot mount it',
      facts: fact({ ...noWrite, verdict: 'not-mounted', events: ['Warning FailedAttachVolume: AttachVolume.Attach failed for volume "pvc-1234"'] }),
      summary: 'bound in 3.2 s, but the pod on node ip-10-0-1-5 could not mount it: Warning FailedAttachVolume',
      remediation: /CSI node plugin/,
    },
    {
      name: 'written bytes do not read back the same',
      facts: fact({ verdict: 'write-failed', write: { ...base.write!, match: false } }),
      summary: 'the bytes read back differ from those written',
      remediation: /storage backend/,
    },
    {
      name: 'a read-only volume',
      facts: fact({ ...noWrite, verdict: 'write-failed', writeError: { code: 'EROFS', message: 'read-only file system' } }),
      summary: 'writing to it failed: EROFS: read-only file system',
    },
    {
      name: 'no class to provision from',
      facts: fact({ ...noWrite, verdict: 'no-class', storageClass: undefined, reason: 'no StorageClass is marked default and the values name none, so a claim without a class never binds' }),
      summary: 'No volume can be provisioned: no StorageClass is marked default',
      remediation: /kubernetes\.storage-class/,
    },
  ],
  warn: [
    {
      name: 'mounted, but a non-root pod may not write (fsGroup not applied)',
      facts: fact({ ...noWrite, verdict: 'write-failed', writeError: { code: 'EACCES', message: "EACCES: permission denied, open '/data/x'" } }),
      summary: 'could not write to it (EACCES)',
      remediation: /fsGroup/,
    },
    {
      name: 'not bound yet, but the run left too little time to tell (a short --timeout): inconclusive, not a fail',
      facts: fact({ ...noWrite, verdict: 'not-bound', bindMs: undefined, volume: undefined, limitMs: 1400, events: ["Normal ExternalProvisioning: Waiting for a volume to be created either by the external provisioner 'ebs.csi.aws.com'"] }),
      summary: 'Inconclusive: a claim on gp3 (ebs.csi.aws.com, WaitForFirstConsumer) was not bound yet after 1.4 s, too short to tell a slow provisioner from one that never acts (30 s)',
      remediation: /raise --timeout/,
    },
    {
      name: 'a threshold from the config file decides how long is long enough',
      options: { failAfterSeconds: 120 },
      facts: fact({ ...noWrite, verdict: 'not-bound', bindMs: undefined, volume: undefined, limitMs: 55000, events: [] }),
      summary: 'too short to tell a slow provisioner from one that never acts (120 s)',
    },
    {
      name: 'the writer landed on a kwok node: inconclusive, never a pass',
      facts: fact({ ...noWrite, verdict: 'inconclusive', reason: 'the writer landed on node fake-0, which fakes pods (annotation kwok.x-k8s.io/node=fake): nothing was written', node: 'fake-0' }),
      summary: 'Inconclusive: the writer landed on node fake-0, which fakes pods',
    },
    {
      name: 'the image cannot be pulled',
      facts: fact({ ...noWrite, verdict: 'inconclusive', reason: 'the claim bound in 3200 ms, but the writer did not report: phase Pending, waiting: ImagePullBackOff' }),
      summary: 'ImagePullBackOff',
      remediation: /--probe-registry/,
    },
  ],
  skip: [
    {
      name: 'not asked for: says what it would prove and how to run it',
      facts: { 'probe.dynamic-provisioning': { state: 'not-selected', probe: 'dynamic-provisioning', proves: 'that a claim binds' } },
      summary: 'Not run: the dynamic-provisioning probe would prove that a claim binds; run with --probe dynamic-provisioning (or --active)',
    },
    {
      name: 'forbidden: names the verbs, resources and the rule',
      facts: { 'probe.dynamic-provisioning': { state: 'forbidden', probe: 'dynamic-provisioning', proves: 'x', missing: ['create namespaces (cluster-wide)', 'create pods in coder-preflight-x'], rules: ['{apiGroups: [""], resources: [namespaces, pods], verbs: [create]}'] } },
      summary: 'Not run: the dynamic-provisioning probe needs permissions this user does not have: create namespaces (cluster-wide), create pods in coder-preflight-x',
      remediation: 'grant a ClusterRole with {apiGroups: [""], resources: [namespaces, pods], verbs: [create]}',
    },
  ],
  error: [{ name: 'the run was interrupted during the probe', facts: { 'probe.dynamic-provisioning': failed('aborted', 'the run was interrupted before this was gathered') }, summary: 'interrupted' }],
});
