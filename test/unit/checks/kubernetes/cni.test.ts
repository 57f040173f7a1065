import { describe, expect, it } from 'vitest';
import check from '../../../../checks/kubernetes/cni.ts';
import type { CniFact, DaemonSetFact } from '../../../../src/facts/types.ts';
import { BASELINE_PROFILE, THRESHOLDS, type Profile } from '../../../../src/target/profile.ts';
import { ONE_REPLICA } from '../../../helpers/context.ts';

const ds = (namespace: string, name: string, containers: DaemonSetFact['containers'] = [{ name, image: `${name}:1`, args: [] }], ready = 3, desired = 3): DaemonSetFact => ({ namespace, name, labels: {}, containers, desired, ready });
const proxy = ds('kube-system', 'kube-proxy');
const run = (daemonSets: DaemonSetFact[], config: CniFact['config'] = {}, profile: Profile = BASELINE_PROFILE) =>
  check.evaluate({ 'kubernetes.cni': { ok: true, value: { daemonSets, config }, durationMs: 1 } }, { profile, thresholds: THRESHOLDS[profile.name], vantage: 'here', deployment: ONE_REPLICA });

describe('kubernetes.cni', () => {
  it.each([
    ['calico-node', 'kube-system', 'Calico'],
    ['calico-node', 'calico-system', 'Calico'],
    ['cilium', 'kube-system', 'Cilium'],
    ['anetd', 'kube-system', 'GKE Dataplane V2'],
    ['antrea-agent', 'kube-system', 'Antrea'],
    ['azure-npm', 'kube-system', 'Azure Network Policy Manager'],
    ['canal', 'kube-system', 'Canal (flannel + Calico policy)'],
  ])('passes on %s in %s (detected, not proved)', async (name, ns, cni) => {
    const r = await run([proxy, ds(ns, name)]);
    expect(r.status).toBe('pass');
    expect(r.summary).toContain(cni);
    expect(r.summary).toMatch(/not yet proved by a probe/);
  });

  it('fails on flannel alone for the default/v1 profile, warns for Coder 2.x', async () => {
    const flannel = ds('kube-flannel', 'kube-flannel-ds');
    const r = await run([proxy, flannel]);
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/flannel alone does not enforce/);
    expect((await run([flannel], {}, { name: 'v2', source: 't' })).status).toBe('warn');
  });

  it('passes on flannel with Calico next to it', async () => {
    expect((await run([ds('kube-flannel', 'kube-flannel-ds'), ds('kube-system', 'calico-node')])).status).toBe('pass');
  });

  it('reads the switches that turn enforcement off', async () => {
    expect((await run([ds('kube-system', 'cilium')], { ciliumEnablePolicy: 'never' })).status).toBe('fail');
    const kr = (args: string[]) => ds('kube-system', 'kube-router', [{ name: 'kube-router', image: 'kube-router:2', args }]);
    expect((await run([kr(['--run-router=true', '--run-firewall=false'])])).status).toBe('fail');
    expect((await run([kr(['--run-router=true'])])).status).toBe('pass');
  });

  it('Amazon VPC CNI: off without the policy agent, uncertain without the controller switch, on with both', async () => {
    const aws = (agentArgs?: string[]) =>
      ds('kube-system', 'aws-node', [{ name: 'aws-node', image: 'cni', args: [] }, ...(agentArgs ? [{ name: 'aws-eks-nodeagent', image: 'agent', args: agentArgs }] : [])]);
    expect((await run([aws()])).status).toBe('fail');
    expect((await run([aws(['--enable-network-policy=false'])])).status).toBe('fail');
    const partial = await run([aws(['--enable-network-policy=true'])]);
    expect(partial.status).toBe('warn');
    expect(partial.summary).toMatch(/enable-network-policy-controller/);
    expect((await run([aws(['--enable-network-policy=true'])], { awsNetworkPolicyController: 'true' })).status).toBe('pass');
  });

  it('warns when the enforcer is not ready everywhere, and when nothing is recognised', async () => {
    const notReady = await run([ds('kube-system', 'calico-node', undefined, 1, 3)]);
    expect(notReady.status).toBe('warn');
    expect(notReady.summary).toMatch(/1\/3 ready/);
    const unknown = await run([proxy]);
    expect(unknown.status).toBe('warn');
    expect(unknown.summary).toMatch(/Could not identify the network plugin/);
  });

  it('is an error when DaemonSets may not be listed', async () => {
    const ctx = { profile: BASELINE_PROFILE, thresholds: THRESHOLDS.baseline, vantage: 'here', deployment: ONE_REPLICA };
    expect((await check.evaluate({ 'kubernetes.cni': { ok: false, reason: 'forbidden', message: 'm', durationMs: 0 } }, ctx)).status).toBe('error');
  });
});
