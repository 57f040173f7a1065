// kubernetes.cni against the real kube-apiserver: CNI DaemonSets as real installs name them,
// scheduled onto kwok nodes by the real controllers, with their real readiness; the settings in
// their ConfigMaps, as read (or not) by users with the view role and with less.
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubeConfig } from '../world/kube/kube.ts';
import type { KubernetesObject } from '@kubernetes/client-node';
import { applyCni, applyManifests, createFakeNodes, resetScenario, waitForDaemonSet, waitForNodesReady } from '../world/kube/scenario.ts';
import { createTokenUser } from '../world/kube/users.ts';
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

  it('the view-only user reads cilium-config: enable-policy=never fails, where the fallback would pass', async () => {
    // "never" differs from the check's fallback ("default"): only a ConfigMap that was really read says it.
    await applyManifests(kc, SCENARIO, [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cilium-config', namespace: 'kube-system' }, data: { 'enable-policy': 'never', 'routing-mode': 'tunnel' } } as KubernetesObject]);
    await applyCni(kc, SCENARIO, 'cilium'); // keeps the ConfigMap above (it only creates a missing one)
    await waitForDaemonSet(kc, 'kube-system', 'cilium');
    const { code, res } = await runCheck('kubernetes.cni', ['--kubeconfig', kube.viewerKubeconfig]);
    expect(code).toBe(3);
    expect(res.status).toBe('fail');
    expect(res.summary).toContain('Cilium (kube-system/cilium): cilium-config enable-policy=never switches enforcement off');
    expect(String(res.evidence.detected)).toMatch(/Cilium \(kube-system\/cilium, \d+\/\d+ ready\): enforcement off/);
  });

  it('warns "Enforcement not known" (never passes) for a user who may list DaemonSets but not read cilium-config', async () => {
    await applyCni(kc, SCENARIO, 'cilium'); // cilium-config enable-policy: default — a pass, had it been read
    await waitForDaemonSet(kc, 'kube-system', 'cilium');
    const user = await createTokenUser(kc, kube, SCENARIO, { name: `cni-ds-only-${process.pid}`, rules: [{ apiGroups: ['apps'], resources: ['daemonsets'], verbs: ['list'] }] });
    const { code, res } = await runCheck('kubernetes.cni', ['--kubeconfig', user.kubeconfig]);
    expect(code).toBe(0);
    expect(res.status).toBe('warn');
    expect(res.summary).toMatch(/^Enforcement not known: Cilium: could not read kube-system\/cilium-config \(forbidden\), whose enable-policy "never" switches enforcement off/);
    expect(res.remediation).toContain('Role rule: apiGroups [""], resources [configmaps], resourceNames [cilium-config], verbs [get]');
    expect(String(res.evidence.unreadable)).toMatch(/^kube-system\/cilium-config enable-policy: forbidden \(403\): .*system:serviceaccount:default:cni-ds-only-/);
    // The same cluster read by admin passes: the warning is the missing permission, nothing else.
    const admin = await run();
    expect(admin.res.status).toBe('pass');
  });

  it('Amazon VPC CNI: passes with the agent flag and the amazon-vpc-cni controller setting; warns without the setting', async () => {
    await applyManifests(kc, SCENARIO, [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'amazon-vpc-cni', namespace: 'kube-system' }, data: { 'enable-network-policy-controller': 'true', 'enable-windows-ipam': 'false' } } as KubernetesObject]);
    await applyCni(kc, SCENARIO, 'aws-node'); // aws-eks-nodeagent with --enable-network-policy=true
    await waitForDaemonSet(kc, 'kube-system', 'aws-node');
    const on = await runCheck('kubernetes.cni', ['--kubeconfig', kube.viewerKubeconfig]);
    expect(on.code).toBe(0);
    expect(on.res.status).toBe('pass');
    expect(on.res.summary).toMatch(/^Amazon VPC CNI enforces NetworkPolicy \(DaemonSet kube-system\/aws-node, \d+\/\d+ ready/);
    expect(String(on.res.evidence.detected)).toContain('enforcement on');

    // The ConfigMap without the key (as the add-on writes it before network policy is switched on).
    await applyManifests(kc, SCENARIO, [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'amazon-vpc-cni', namespace: 'kube-system' }, data: { 'enable-windows-ipam': 'false' } } as KubernetesObject]);
    const partial = await runCheck('kubernetes.cni', ['--kubeconfig', kube.viewerKubeconfig]);
    expect(partial.res.status).toBe('warn');
    expect(partial.res.summary).toMatch(/^Enforcement not certain: Amazon VPC CNI: the node agent has --enable-network-policy=true, but the amazon-vpc-cni ConfigMap does not show enable-network-policy-controller=true/);
  });
});
