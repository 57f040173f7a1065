// kubernetes.storage-class against the real kube-apiserver: the world's classes (none default),
// then real StorageClass objects made default one way or another; removed afterwards.
import { afterEach, describe, expect, inject, it } from 'vitest';
import { kubeConfig } from '../world/kube/kube.ts';
import { createStorageClass, resetScenario } from '../world/kube/scenario.ts';
import { runCheck } from '../helpers/cli.ts';

const kube = inject('kube');
const kc = kubeConfig(kube, 'admin');
const SCENARIO = `sc-${process.pid}`;
const run = (kubeconfig = kube.kubeconfig) => runCheck('kubernetes.storage-class', ['--kubeconfig', kubeconfig]);
afterEach(async () => {
  await resetScenario(kc, SCENARIO);
});

describe('kubernetes.storage-class against a real kube-apiserver', () => {
  it('fails while no class is the default, naming the classes it saw', async () => {
    const { code, res } = await run();
    expect(code).toBe(3);
    expect(res.status).toBe('fail');
    expect(res.evidence.storageClasses).toEqual(expect.arrayContaining([kube.storageClasses.immediate, kube.storageClasses.wffc]));
    expect(res.evidence.defaults).toEqual([]);
  });

  it('passes once one class with a dynamic provisioner is the default', async () => {
    await createStorageClass(kc, SCENARIO, { name: `${SCENARIO}-fast`, provisioner: 'preflight.test/hostpath', isDefault: true, volumeBindingMode: 'WaitForFirstConsumer' });
    const { code, res } = await run();
    expect(code).toBe(0);
    expect(res).toMatchObject({ status: 'pass', evidence: { defaults: [`${SCENARIO}-fast`], provisioner: 'preflight.test/hostpath', volumeBindingMode: 'WaitForFirstConsumer' } });
  });

  it('warns with two defaults and fails with a no-provisioner default', async () => {
    await createStorageClass(kc, SCENARIO, { name: `${SCENARIO}-a`, provisioner: 'preflight.test/hostpath', isDefault: true });
    await createStorageClass(kc, SCENARIO, { name: `${SCENARIO}-b`, provisioner: 'preflight.test/hostpath', isDefault: true });
    expect((await run()).res).toMatchObject({ status: 'warn', evidence: { defaults: [`${SCENARIO}-a`, `${SCENARIO}-b`] } });
    await resetScenario(kc, SCENARIO);
    await createStorageClass(kc, SCENARIO, { name: `${SCENARIO}-static`, provisioner: 'kubernetes.io/no-provisioner', isDefault: true });
    expect((await run()).res.status).toBe('fail');
  });

  it('is an error for a view-only user (StorageClasses are cluster-scoped, not in `view`)', async () => {
    const { code, res } = await run(kube.viewerKubeconfig);
    expect(code).toBe(1);
    expect(res).toMatchObject({ status: 'error', evidence: { reason: 'forbidden' } });
  });
});
