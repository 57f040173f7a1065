import { expect } from 'vitest';
import check from '../../../../checks/kubernetes/cni.ts';
import type { CniFact, DaemonSetFact } from '../../../../src/facts/kubernetes/cni.ts';
import { failed, testCheck, type CheckCase } from '../../../helpers/check-tester.ts';

const ds = (namespace: string, name: string, containers: DaemonSetFact['containers'] = [{ name, image: `${name}:1`, args: [] }], ready = 3, desired = 3): DaemonSetFact => ({ namespace, name, labels: {}, containers, desired, ready });
const proxy = ds('kube-system', 'kube-proxy');
const flannel = ds('kube-flannel', 'kube-flannel-ds');
const cni = (daemonSets: DaemonSetFact[], config: CniFact['config'] = {}): { 'kubernetes.cni': CniFact } => ({ 'kubernetes.cni': { daemonSets, config } });
const kr = (args: string[]) => ds('kube-system', 'kube-router', [{ name: 'kube-router', image: 'kube-router:2', args }]);
const aws = (agentArgs?: string[]) =>
  ds('kube-system', 'aws-node', [{ name: 'aws-node', image: 'cni', args: [] }, ...(agentArgs ? [{ name: 'aws-eks-nodeagent', image: 'agent', args: agentArgs }] : [])]);

const detected = ([name, ns, plugin]: [string, string, string]): CheckCase => ({
  name: `${name} in ${ns} (detected, not proved)`,
  facts: cni([proxy, ds(ns, name)]),
  summary: plugin,
  check: (r) => expect(r.summary).toMatch(/not yet proved by a probe/),
});

const probed = (daemonSets: DaemonSetFact[], probe: NonNullable<CniFact['probe']>): { 'kubernetes.cni': CniFact } => ({ 'kubernetes.cni': { daemonSets, config: {}, probe } });

testCheck(check, {
  pass: [
    {
      name: 'the probe proved enforcement: its verdict decides, the detection stays beside it',
      facts: probed([proxy, ds('kube-system', 'kube-router', [{ name: 'kube-router', image: 'kube-router:2', args: ['--run-firewall=true'] }])], { verdict: 'enforced', node: 'world-node-1' }),
      summary: /^NetworkPolicy is enforced on node world-node-1: proved by the network-policy probe .*; detected: kube-router/,
      evidence: { probe: 'network-policy probe: enforced on node world-node-1' },
      check: (r) => expect(r.summary).not.toMatch(/not yet proved/),
    },
    {
      name: 'a plugin the detection cannot name, proved by the probe',
      facts: probed([proxy], { verdict: 'enforced', node: 'n1' }),
      summary: /proved by the network-policy probe.*detected: Could not identify the network plugin/,
    },
    ...([
      ['calico-node', 'kube-system', 'Calico'],
      ['calico-node', 'calico-system', 'Calico'],
      ['cilium', 'kube-system', 'Cilium'],
      ['anetd', 'kube-system', 'GKE Dataplane V2'],
      ['antrea-agent', 'kube-system', 'Antrea'],
      ['azure-npm', 'kube-system', 'Azure Network Policy Manager'],
      ['canal', 'kube-system', 'Canal (flannel + Calico policy)'],
      ['rke2-canal', 'kube-system', 'Canal (flannel + Calico policy)'],
      ['kube-network-policies', 'kube-system', 'kube-network-policies'],
    ] as [string, string, string][]).map(detected),
    {
      name: 'Weave Net with its weave-npc container',
      facts: cni([ds('kube-system', 'weave-net', [{ name: 'weave', image: 'weave:2', args: [] }, { name: 'weave-npc', image: 'weave-npc:2', args: [] }])]),
      summary: 'Weave Net enforces NetworkPolicy',
    },
    { name: 'Cilium with enable-policy=always, read from its ConfigMap', facts: cni([ds('kube-system', 'cilium')], { ciliumEnablePolicy: 'always' }), summary: 'Cilium enforces NetworkPolicy', evidence: { detected: [expect.stringContaining('enforcement on')] } },
    { name: 'flannel with Calico next to it', facts: cni([flannel, ds('kube-system', 'calico-node')]), summary: 'Calico enforces NetworkPolicy (DaemonSet kube-system/calico-node' },
    { name: 'kube-router with its firewall', facts: cni([kr(['--run-router=true'])]), summary: 'kube-router enforces NetworkPolicy' },
    {
      name: 'Amazon VPC CNI: on with the policy agent and the controller switch',
      facts: cni([aws(['--enable-network-policy=true'])], { awsNetworkPolicyController: 'true' }),
      summary: 'Amazon VPC CNI enforces NetworkPolicy',
    },
  ],
  warn: [
    {
      name: 'an inconclusive probe leaves the detection\'s verdict, and says so',
      facts: probed([proxy, flannel], { verdict: 'inconclusive', reason: 'pod landed on a kwok node' }),
      profile: 'v2',
      summary: /; the network-policy probe was inconclusive: pod landed on a kwok node$/,
    },
    { name: 'Coder 2.x: flannel alone', facts: cni([flannel]), profile: 'v2', summary: /flannel alone does not enforce/ },
    {
      name: 'Amazon VPC CNI: uncertain without the controller switch',
      facts: cni([aws(['--enable-network-policy=true'])]),
      summary: /enable-network-policy-controller/,
    },
    { name: 'the enforcer is not ready everywhere', facts: cni([ds('kube-system', 'calico-node', undefined, 1, 3)]), summary: /1\/3 ready/ },
    { name: 'nothing is recognised', facts: cni([proxy]), summary: /Could not identify the network plugin/ },
    { name: 'kindnet: only recent releases enforce', facts: cni([ds('kube-system', 'kindnet')]), summary: 'kindnet enforces NetworkPolicy only in recent releases' },
    {
      // A 403 on cilium-config must not fall back to the default and pass: enable-policy=never may be in it.
      name: 'Cilium whose cilium-config may not be read',
      facts: cni([ds('kube-system', 'cilium')], { unreadable: [{ configMap: 'kube-system/cilium-config', key: 'enable-policy', reason: 'forbidden', message: 'forbidden (403): configmaps "cilium-config" is forbidden' }] }),
      summary: 'Enforcement not known: Cilium: could not read kube-system/cilium-config (forbidden), whose enable-policy "never" switches enforcement off',
      remediation: 'grant get on configmaps in kube-system (Role rule: apiGroups [""], resources [configmaps], resourceNames [cilium-config], verbs [get])',
      evidence: { unreadable: ['kube-system/cilium-config enable-policy: forbidden (403): configmaps "cilium-config" is forbidden'] },
    },
    {
      name: 'Amazon VPC CNI whose amazon-vpc-cni ConfigMap may not be read',
      facts: cni([aws(['--enable-network-policy=true'])], { unreadable: [{ configMap: 'kube-system/amazon-vpc-cni', key: 'enable-network-policy-controller', reason: 'timeout', message: 'ETIMEDOUT' }] }),
      summary: 'could not read kube-system/amazon-vpc-cni (timeout)',
      remediation: /resourceNames \[amazon-vpc-cni\]/,
    },
  ],
  fail: [
    {
      name: 'detected as enforcing, but the probe\'s deny-all policy blocked nothing',
      facts: probed([proxy, ds('kube-system', 'calico-node')], { verdict: 'not-enforced', node: 'n1' }),
      summary: /^NetworkPolicy is not enforced on node n1: the network-policy probe's deny-all policy blocked nothing; detected: Calico enforces NetworkPolicy/,
      remediation: /kubernetes.network-policy-enforcement/,
    },
    { name: 'the default profile: flannel alone', facts: cni([proxy, flannel]), summary: /flannel alone does not enforce/ },
    { name: 'Coder v1: flannel alone', facts: cni([proxy, flannel]), profile: 'v1', summary: /flannel alone does not enforce/ },
    { name: 'Weave Net without weave-npc', facts: cni([ds('kube-system', 'weave-net', [{ name: 'weave', image: 'weave:2', args: [] }])]), summary: 'the weave-npc container is missing' },
    { name: 'Cilium with enable-policy=never', facts: cni([ds('kube-system', 'cilium')], { ciliumEnablePolicy: 'never' }), summary: 'enable-policy=never switches enforcement off' },
    { name: 'kube-router with --run-firewall=false', facts: cni([kr(['--run-router=true', '--run-firewall=false'])]), summary: 'kube-router runs with --run-firewall=false' },
    { name: 'Amazon VPC CNI: off without the policy agent', facts: cni([aws()]), summary: 'Amazon VPC CNI (kube-system/aws-node): the VPC CNI enforces NetworkPolicy only with its node agent' },
    { name: 'Amazon VPC CNI: off with the policy agent switched off', facts: cni([aws(['--enable-network-policy=false'])]), summary: 'Amazon VPC CNI (kube-system/aws-node): the VPC CNI enforces NetworkPolicy only with its node agent' },
  ],
  error: [{ name: 'DaemonSets may not be listed', facts: { 'kubernetes.cni': failed('forbidden', 'm') }, summary: 'Could not gather kubernetes.cni: m' }],
});
