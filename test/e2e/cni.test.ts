// kubernetes.cni against the real kube-apiserver: CNI DaemonSets as real installs name them,
// scheduled onto kwok nodes by the real controllers, with their real readiness.
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubeConfig } from '../world/kube/kube.ts';
import { applyCni, createFakeNodes, resetScenario, waitForDaemonSet, waitForNodesReady } from '../world/kube/scenario.ts';
import { runCheck } from '../helpers/cli.ts';

const kube = inject('kube');
const kc = kubeConfig(kube, 'admin');
const NODES = `cni-nodes-${process.pid}`;
const SCENARIO = `cni-${process.pid}`;
const run = (...args: string[]) => runCheck('kubernetes.cni', ['--kubeconfig', kube.kubeconfig, ...args]);

beforeAll(async () => {
  const nodes = await createFakeNodes(kc, NODES, [{ name: `${NODES}-0`, group: { kind: 'eks', name: 'workspaces' } }, { name: `${NODES}-1`, group: { kind: 'eks', name: 'workspaces' } }]);
  await waitForNodesReady(kc, nodes.map((n) => n.metadata!.name!));
});
afterEach(async () => {
  await resetScenario(kc, SCENARIO);
});
afterAll(async () => {
  await resetScenario(kc, NODES);
});

describe('kubernetes.cni against a real kube-apiserver', () => {
  it('warns when no network plugin can be identified', async () => {
    const { code, res } = await run();
    expect(code).toBe(0);
    expect(res.status).toBe('warn');
    expect(res.summary).toMatch(/Could not identify the network plugin/);
  });

  it('passes on Calico once its DaemonSet pods are ready, citing the DaemonSet', async () => {
    await applyCni(kc, SCENARIO, 'calico');
    await waitForDaemonSet(kc, 'kube-system', 'calico-node');
    const { code, res } = await run();
    expect(code).toBe(0);
    expect(res.status).toBe('pass');
    expect(String(res.evidence.detected)).toMatch(/Calico \(kube-system\/calico-node, \d+\/\d+ ready\): enforcement on/);
  });

  it('fails on flannel alone (v1 profile), and reads the VPC CNI agent flag from the real DaemonSet', async () => {
    await applyCni(kc, SCENARIO, 'flannel');
    await waitForDaemonSet(kc, 'kube-flannel', 'kube-flannel-ds');
    const flannel = await run('--coder-version', '1.44.3');
    expect(flannel.code).toBe(3);
    expect(flannel.res.status).toBe('fail');
    await applyCni(kc, SCENARIO, 'aws-node'); // agent with --enable-network-policy=true, no controller ConfigMap
    await waitForDaemonSet(kc, 'kube-system', 'aws-node');
    const aws = await run('--coder-version', '1.44.3');
    expect(aws.res.status).toBe('warn');
    expect(aws.res.summary).toMatch(/Amazon VPC CNI: the node agent has --enable-network-policy=true/);
  });

  it('works for a view-only user too (`view` covers DaemonSets and ConfigMaps): same verdict as admin', async () => {
    await applyCni(kc, SCENARIO, 'cilium');
    await waitForDaemonSet(kc, 'kube-system', 'cilium');
    const { code, res } = await runCheck('kubernetes.cni', ['--kubeconfig', kube.viewerKubeconfig]);
    expect(code).toBe(0);
    expect(res.status).toBe('pass');
    expect(String(res.evidence.detected)).toMatch(/Cilium \(kube-system\/cilium, .*\): enforcement on/);
  });
});
