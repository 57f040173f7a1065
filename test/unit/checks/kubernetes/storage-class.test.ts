import { describe, expect, it } from 'vitest';
import check from '../../../../checks/kubernetes/storage-class.ts';
import type { StorageClassFact } from '../../../../src/facts/types.ts';
import { BASELINE_PROFILE, THRESHOLDS } from '../../../../src/target/profile.ts';
import { ONE_REPLICA } from '../../../helpers/context.ts';

const ctx = { profile: BASELINE_PROFILE, thresholds: THRESHOLDS.baseline, vantage: 'here', deployment: ONE_REPLICA };
const sc = (name: string, provisioner: string, isDefault = false): StorageClassFact => ({ name, provisioner, isDefault, volumeBindingMode: 'WaitForFirstConsumer', reclaimPolicy: 'Delete', allowVolumeExpansion: true });
const run = (items: StorageClassFact[]) => check.evaluate({ 'kubernetes.storageclasses': { ok: true, value: { items }, durationMs: 1 } }, ctx);

describe('kubernetes.storage-class', () => {
  it('passes with exactly one default class backed by a CSI driver', async () => {
    const r = await run([sc('gp3', 'ebs.csi.aws.com', true), sc('io2', 'ebs.csi.aws.com')]);
    expect(r).toMatchObject({ status: 'pass', evidence: { defaults: ['gp3'], provisioner: 'ebs.csi.aws.com', volumeBindingMode: 'WaitForFirstConsumer' } });
  });
  it('fails with no class at all, and with no default class (naming the classes and the patch)', async () => {
    expect((await run([])).status).toBe('fail');
    const r = await run([sc('standard', 'pd.csi.storage.gke.io')]);
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/None of the 1 StorageClasses \(standard \(pd\.csi\.storage\.gke\.io, WaitForFirstConsumer\)\) is the default/);
    expect(r.remediation).toMatch(/is-default-class/);
  });
  it('warns with several defaults', async () => {
    const r = await run([sc('a', 'ebs.csi.aws.com', true), sc('b', 'efs.csi.aws.com', true)]);
    expect(r).toMatchObject({ status: 'warn', evidence: { defaults: ['a', 'b'] } });
  });
  it('fails when the default has no provisioner', async () => {
    expect((await run([sc('local', 'kubernetes.io/no-provisioner', true)])).status).toBe('fail');
  });
  it('warns when the default keeps volumes on one node', async () => {
    const r = await run([sc('local-path', 'rancher.io/local-path', true)]);
    expect(r.status).toBe('warn');
    expect(r.summary).toMatch(/one node's disk/);
  });
  it('is an error when StorageClasses may not be listed, a skip without a cluster', async () => {
    expect((await check.evaluate({ 'kubernetes.storageclasses': { ok: false, reason: 'forbidden', message: 'm', durationMs: 0 } }, ctx)).status).toBe('error');
    expect((await check.evaluate({ 'kubernetes.storageclasses': { ok: false, reason: 'not-configured', message: 'm', hint: 'h', durationMs: 0 } }, ctx)).status).toBe('skip');
  });
});
