// Coder v1's chart isolates workspaces with NetworkPolicies (ingress-deny-all on workspace pods),
// which only a CNI that enforces them makes real; for Coder 2.x they are the recommended way to
// isolate workspaces (coder-requirements.md §1g, §5; peers.md §4.2 for the markers used here).
import { defineCheck } from '../../src/engine/define.ts';
import type { CheckOutcome } from '../../src/engine/types.ts';
import type { CniFact, DaemonSetFact } from '../../src/facts/kubernetes/cni.ts';

/** `unknown`: a setting that can switch enforcement off could not be read. */
type Enforcement = 'on' | 'off' | 'partial' | 'unknown';
interface Detection {
  cni: string;
  daemonSet: string;
  enforcement: Enforcement;
  why: string;
  ready: string;
  allReady: boolean;
}

const arg = (ds: DaemonSetFact, container: string, flag: string): string | undefined => {
  for (const a of ds.containers.find((c) => c.name === container)?.args ?? []) {
    if (a === flag) return 'true';
    if (a.startsWith(`${flag}=`)) return a.slice(flag.length + 1);
  }
  return undefined;
};

/** A setting that could not be read, as a verdict: never assume its default. */
function unreadable(c: CniFact['config'], configMap: string, key: string, off: string): [Enforcement, string] | undefined {
  const u = c.unreadable?.find((x) => x.configMap === configMap && x.key === key);
  return u ? ['unknown', `could not read ${configMap} (${u.reason}), whose ${key} ${off}`] : undefined;
}

/** The markers of peers.md §4.2: DaemonSet names as the installers create them. */
const RULES: { cni: string; matches(ds: DaemonSetFact): boolean; enforcement(ds: DaemonSetFact, config: CniFact['config']): [Enforcement, string] }[] = [
  { cni: 'Calico', matches: (d) => d.name === 'calico-node', enforcement: () => ['on', 'Calico enforces NetworkPolicy'] },
  { cni: 'Canal (flannel + Calico policy)', matches: (d) => d.name === 'canal' || d.name === 'rke2-canal', enforcement: () => ['on', 'Canal enforces NetworkPolicy with Calico'] },
  { cni: 'GKE Dataplane V2', matches: (d) => d.name === 'anetd', enforcement: () => ['on', 'Dataplane V2 always enforces NetworkPolicy'] },
  {
    cni: 'Cilium',
    matches: (d) => d.name === 'cilium',
    enforcement: (_d, c) =>
      unreadable(c, 'kube-system/cilium-config', 'enable-policy', '"never" switches enforcement off') ??
      (c.ciliumEnablePolicy === 'never' ? ['off', 'cilium-config enable-policy=never switches enforcement off'] : ['on', `Cilium enforces NetworkPolicy (enable-policy=${c.ciliumEnablePolicy ?? 'default'})`]),
  },
  { cni: 'Antrea', matches: (d) => d.name === 'antrea-agent', enforcement: () => ['on', 'Antrea enforces NetworkPolicy'] },
  { cni: 'Weave Net', matches: (d) => d.name === 'weave-net', enforcement: (d) => (d.containers.some((c) => c.name === 'weave-npc') ? ['on', 'weave-npc enforces NetworkPolicy'] : ['off', 'the weave-npc container is missing']) },
  { cni: 'Azure Network Policy Manager', matches: (d) => d.name === 'azure-npm', enforcement: () => ['on', 'Azure NPM enforces NetworkPolicy'] },
  { cni: 'kube-network-policies', matches: (d) => d.name === 'kube-network-policies', enforcement: () => ['on', 'kube-network-policies enforces NetworkPolicy'] },
  {
    cni: 'kube-router',
    matches: (d) => d.name === 'kube-router',
    enforcement: (d) => (arg(d, 'kube-router', '--run-firewall') === 'false' ? ['off', 'kube-router runs with --run-firewall=false'] : ['on', 'kube-router\'s firewall enforces NetworkPolicy']),
  },
  {
    cni: 'Amazon VPC CNI',
    matches: (d) => d.name === 'aws-node',
    enforcement: (d, c) => {
      const agent = d.containers.some((x) => x.name === 'aws-eks-nodeagent');
      if (!agent || arg(d, 'aws-eks-nodeagent', '--enable-network-policy') !== 'true') return ['off', 'the VPC CNI enforces NetworkPolicy only with its node agent started with --enable-network-policy=true'];
      const hidden = unreadable(c, 'kube-system/amazon-vpc-cni', 'enable-network-policy-controller', 'must be "true" for the policy controller to run');
      if (hidden) return hidden;
      if (c.awsNetworkPolicyController !== 'true') return ['partial', 'the node agent has --enable-network-policy=true, but the amazon-vpc-cni ConfigMap does not show enable-network-policy-controller=true (on EKS the controller may be switched on outside the cluster)'];
      return ['on', 'the VPC CNI node agent and network policy controller are enabled'];
    },
  },
  { cni: 'flannel', matches: (d) => /^(kube-)?flannel(-ds)?$/.test(d.name), enforcement: () => ['off', 'flannel alone does not enforce NetworkPolicy'] },
  { cni: 'kindnet', matches: (d) => d.name === 'kindnet', enforcement: () => ['partial', 'kindnet enforces NetworkPolicy only in recent releases (kind ≥ 0.24)'] },
];

export function detectCni(f: CniFact): Detection[] {
  const found: Detection[] = [];
  for (const ds of f.daemonSets) {
    const rule = RULES.find((r) => r.matches(ds));
    if (!rule) continue;
    const [enforcement, why] = rule.enforcement(ds, f.config);
    found.push({ cni: rule.cni, daemonSet: `${ds.namespace}/${ds.name}`, enforcement, why, ready: `${ds.ready}/${ds.desired} ready`, allReady: ds.desired > 0 && ds.ready === ds.desired });
  }
  return found;
}

export default defineCheck({
  id: 'kubernetes.cni',
  title: 'The CNI enforces NetworkPolicy',
  category: 'kubernetes',
  facts: ['kubernetes.cni'],
  docs: 'https://coder.com/docs/v1/setup/requirements',
  explain: {
    what: 'Identifies the network plugin from its DaemonSet (Calico, Canal, Cilium, GKE Dataplane V2, Antrea, Weave, Azure NPM, kube-router, Amazon VPC CNI, flannel, kindnet), reads the settings that switch enforcement off (Cilium enable-policy, kube-router --run-firewall, the VPC CNI network policy agent and controller), and whether its pods are ready. This is detection with evidence: it does not create pods or policies, so it cannot prove that policies are enforced. When the network-policy probe runs in the same run (--probe network-policy or --active), its verdict is shown beside the detection and decides: enforced passes, a deny-all policy that blocks nothing fails, whatever the DaemonSets suggest.',
    why: 'Coder v1\'s chart puts a deny-all ingress NetworkPolicy on workspace pods, and Coder 2.x recommends NetworkPolicies to keep workspaces apart. A plugin that ignores NetworkPolicy (flannel alone, the VPC CNI without its policy agent) accepts the policies and silently enforces nothing, so every workspace can reach every other one.',
    fix: 'Install or enable a policy engine: Calico (also alongside flannel, as Canal), Cilium, or your platform\'s option (EKS: enableNetworkPolicy on the VPC CNI add-on; GKE: Dataplane V2 or network policy enforcement; AKS: --network-policy azure|calico|cilium).',
  },
  evaluate({ 'kubernetes.cni': f }, { profile }) {
    const detected = detection(f, profile.name);
    const p = f.probe;
    if (!p) return detected;
    // The probe ran: its proof outranks the detection, which stays beside it.
    const seen = detected.summary.replace(/; detected, not yet proved by a probe: see kubernetes\.network-policy-enforcement/, '');
    const evidence = { ...detected.evidence, confidence: `the network-policy probe ran (${p.verdict}); the detection is from DaemonSets`, probe: `network-policy probe: ${p.verdict}${p.node ? ` on node ${p.node}` : ''}${p.reason ? ` (${p.reason})` : ''}`, detection: `${detected.status}: ${seen}` };
    if (p.verdict === 'enforced') return { status: 'pass', summary: `NetworkPolicy is enforced on node ${p.node ?? '?'}: proved by the network-policy probe (a deny-all policy blocked, an allow rule restored); detected: ${seen}`, evidence };
    if (p.verdict === 'not-enforced') {
      return {
        status: 'fail',
        summary: `NetworkPolicy is not enforced on node ${p.node ?? '?'}: the network-policy probe's deny-all policy blocked nothing; detected: ${seen}`,
        remediation: 'see kubernetes.network-policy-enforcement: install or enable a policy engine whose agent runs on the workspace nodes',
        evidence,
      };
    }
    return { ...detected, summary: `${detected.summary}; the network-policy probe was inconclusive${p.reason ? `: ${p.reason}` : ''}`, evidence };
  },
});

function detection(f: CniFact, profileName: string): CheckOutcome & { evidence: Record<string, unknown> } {
  const found = detectCni(f);
  const evidence = {
    detected: found.map((d) => `${d.cni} (${d.daemonSet}, ${d.ready}): enforcement ${d.enforcement}`),
    daemonSets: f.daemonSets.length,
    confidence: 'detected from DaemonSets; not proved by a probe: kubernetes.network-policy-enforcement proves it (--probe network-policy)',
  };
  const on = found.filter((d) => d.enforcement === 'on');
  const onReady = on.filter((d) => d.allReady);
  if (onReady.length) {
    const d = onReady[0]!;
    return { status: 'pass', summary: `${d.cni} enforces NetworkPolicy (DaemonSet ${d.daemonSet}, ${d.ready}; detected, not yet proved by a probe: see kubernetes.network-policy-enforcement)`, evidence };
  }
  if (on.length) {
    return {
      status: 'warn',
      summary: `${on.map((d) => `${d.cni} (${d.daemonSet})`).join(', ')} would enforce NetworkPolicy, but not all of its pods are ready (${on.map((d) => d.ready).join(', ')})`,
      remediation: `check the policy agent's pods: kubectl -n ${on[0]!.daemonSet.split('/')[0]} get pods; nodes without a ready agent do not enforce policies`,
      evidence,
    };
  }
  const unknown = found.filter((d) => d.enforcement === 'unknown');
  if (unknown.length) {
    const maps = (f.config.unreadable ?? []).map((u) => u.configMap.split('/')[1]!);
    return {
      status: 'warn',
      summary: `Enforcement not known: ${unknown.map((d) => `${d.cni}: ${d.why}`).join('; ')}`,
      remediation: `run with a kubeconfig that may read it, or grant get on configmaps in kube-system (Role rule: apiGroups [""], resources [configmaps], resourceNames [${maps.join(', ')}], verbs [get])`,
      evidence: { ...evidence, unreadable: (f.config.unreadable ?? []).map((u) => `${u.configMap} ${u.key}: ${u.message}`) },
    };
  }
  const partial = found.filter((d) => d.enforcement === 'partial');
  if (partial.length) {
    return { status: 'warn', summary: `Enforcement not certain: ${partial.map((d) => `${d.cni}: ${d.why}`).join('; ')}`, remediation: 'confirm the policy engine is enabled (coder-preflight explain kubernetes.cni lists each platform\'s switch)', evidence };
  }
  if (found.length) {
    const strict = profileName !== 'v2';
    return {
      status: strict ? 'fail' : 'warn',
      summary: `No plugin here enforces NetworkPolicy: ${found.map((d) => `${d.cni} (${d.daemonSet}): ${d.why}`).join('; ')}`,
      remediation: 'add a policy engine (Calico alongside flannel as Canal, Cilium) or enable your platform\'s network policy option; until then NetworkPolicies are accepted and ignored',
      evidence,
    };
  }
  return {
    status: 'warn',
    summary: `Could not identify the network plugin from the ${f.daemonSets.length} DaemonSets (k3s and some managed platforms run it outside DaemonSets)`,
    remediation: 'check your platform\'s documentation for NetworkPolicy support (coder-preflight explain kubernetes.cni lists the usual options)',
    evidence,
  };
}
