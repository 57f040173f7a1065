// kubernetes.storage-class against the real kube-apiserver: the world's classes (none default),
// then real StorageClass objects made default one way or another; removed afterwards.
import { afterEach, describe, expect, inject, it } from 'vitest';
import { kubeConfig } from '../world/kube/kube.ts';
import { applyManifests, createFakeNodes, createStorageClass, resetScenario, waitForNodesReady } from '../world/kube/scenario.ts';
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

describe('kubernetes.storage-class: CSI drivers, and kubernetes.storage-topology', () => {
  it('warns on a CSI provisioner without its CSIDriver object, and passes once the driver is registered', async () => {
    await createStorageClass(kc, SCENARIO, { name: `${SCENARIO}-ebs`, provisioner: 'ebs.csi.aws.com', isDefault: true, volumeBindingMode: 'WaitForFirstConsumer', allowVolumeExpansion: true });
    expect((await run()).res).toMatchObject({ status: 'warn', summary: /names the CSI driver ebs\.csi\.aws\.com, but the cluster has no CSIDriver object for it/ });
    await applyManifests(kc, SCENARIO, [{ apiVersion: 'storage.k8s.io/v1', kind: 'CSIDriver', metadata: { name: 'ebs.csi.aws.com' }, spec: { attachRequired: true, podInfoOnMount: false } } as never]);
    expect((await run()).res).toMatchObject({ status: 'pass', evidence: { csiDriver: 'CSIDriver ebs.csi.aws.com is registered', allowVolumeExpansion: true } });
  });

  it('fails when the default class\'s allowedTopologies exclude every workspace zone', async () => {
    const ZONE = 'topology.kubernetes.io/zone';
    const nodes = ['us-east-1a', 'us-east-1b'].map((zone, i) => ({ name: `${SCENARIO}-ws-${i}`, group: { kind: 'eks' as const, name: `${SCENARIO}-ws` }, zone }));
    await createFakeNodes(kc, SCENARIO, nodes);
    await waitForNodesReady(kc, nodes.map((n) => n.name));
    await createStorageClass(kc, SCENARIO, { name: `${SCENARIO}-zonal`, provisioner: 'preflight.test/hostpath', isDefault: true, volumeBindingMode: 'WaitForFirstConsumer', allowedTopologies: [{ key: ZONE, values: ['us-east-1c'] }] });
    const sel = ['--workspace-selector', `eks.amazonaws.com/nodegroup=${SCENARIO}-ws`];
    const topo = await runCheck('kubernetes.storage-topology', ['--kubeconfig', kube.kubeconfig, ...sel]);
    expect(topo.res).toMatchObject({ status: 'fail', summary: `StorageClass ${SCENARIO}-zonal provisions only where ${ZONE} in [us-east-1c], but the 2 workspace nodes are at us-east-1a, us-east-1b: every workspace volume would stay Pending` });
    expect(topo.code).toBe(3);
  });
});

