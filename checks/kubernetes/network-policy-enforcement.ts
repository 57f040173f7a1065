// Coder v1's chart isolates workspaces with a deny-all ingress NetworkPolicy and Coder 2.x
// recommends NetworkPolicies between workspaces (coder-requirements.md §1g, §5); a CNI that
// ignores them accepts the policies and isolates nothing (peers.md §4: cilium's connectivity test
// proves this only on Cilium). Detection (kubernetes.cni) names the plugin; this proves it.
import { defineCheck } from '../../src/engine/define.ts';
import type { NetpolPhase, NetworkPolicyProbeResult } from '../../src/facts/probe/network-policy.ts';
import type { ProbeRan } from '../../src/probes/define.ts';
import { notRun, ranEvidence } from '../../src/probes/outcome.ts';

const phase = (name: string, p: NetpolPhase | undefined) =>
  p ? `${name}: ${p.met ? 'met' : 'not met'} after ${p.attempts} attempts${p.metAtMs !== undefined ? ` (at ${p.metAtMs} ms)` : ''}, ${p.timeline || '-'}${p.errors.length ? ` [${p.errors.join(', ')}]` : ''}${p.problem ? `; ${p.problem}` : ''}` : `${name}: not run`;

export default defineCheck({
  id: 'kubernetes.network-policy-enforcement',
  title: 'NetworkPolicies are enforced (a deny-all policy really blocks traffic)',
  category: 'kubernetes',
  facts: ['probe.network-policy'],
  docs: 'https://coder.com/docs/admin/networking',
  tags: ['probe'],
  explain: {
    what: 'With --probe network-policy (or --active): starts a small TCP server pod on the workspace nodes and client pods pinned to the same node. First a positive control (the client must reach the server, else nothing can be concluded), then a deny-all ingress NetworkPolicy on the server and up to 10 s for the client to be blocked, then an allow rule for the client that must restore traffic. Passes only on blocked-then-restored; every answer counted carries the server\'s token, so a client never counts another listener. Everything is removed at the end of the run. kubernetes.cni names the plugin; this proves what it does.',
    why: 'Coder v1\'s chart puts a deny-all ingress policy on workspace pods and Coder 2.x recommends policies to keep workspaces apart. A network plugin that does not enforce NetworkPolicy (flannel alone, the VPC CNI without its policy agent, a policy engine that is not running on that node) accepts the policies silently: every workspace can then reach every other workspace and Coder\'s own pods.',
    fix: 'Install or enable a policy engine and make sure its agent runs on the workspace nodes: Calico (also alongside flannel, as Canal), Cilium, or the platform\'s option (EKS: enableNetworkPolicy on the VPC CNI add-on; GKE: Dataplane V2 or network policy enforcement; AKS: --network-policy azure|calico|cilium). Then rerun with --probe network-policy.',
  },
  evaluate({ 'probe.network-policy': f }) {
    const skipped = notRun(f);
    if (skipped) return skipped;
    const r = f as ProbeRan & NetworkPolicyProbeResult;
    const evidence = {
      ...ranEvidence(r),
      verdict: r.verdict,
      node: r.node ?? null,
      ...(r.zone ? { zone: r.zone } : {}),
      server: r.server ?? null,
      placement: r.placement,
      phases: [phase('control', r.phases.control), phase('deny-all', r.phases.deny), phase('allow', r.phases.allow)],
      windowsMs: [r.windowsMs.control, r.windowsMs.deny, r.windowsMs.allow],
    };
    const vantage = r.node ? `probe pods on node ${r.node}` : undefined;
    if (r.verdict === 'enforced') {
      return {
        status: 'pass',
        summary: `NetworkPolicy is enforced on node ${r.node}: a deny-all ingress policy blocked the client (within ${r.phases.deny?.metAtMs ?? '?'} ms of its first try) and an allow rule restored it`,
        evidence,
        ...(vantage ? { vantage } : {}),
      };
    }
    if (r.verdict === 'not-enforced') {
      const d = r.phases.deny!;
      return {
        status: 'fail',
        summary: `NetworkPolicy is not enforced on node ${r.node}: with a deny-all ingress policy on the server, the client still reached it ${d.counts.reached}/${d.attempts} times over ${r.windowsMs.deny / 1000} s — workspace isolation would not be real`,
        remediation: 'install or enable a NetworkPolicy engine on the workspace nodes (Calico, Cilium, or your platform\'s network policy option; coder-preflight explain kubernetes.network-policy-enforcement), then rerun with --probe network-policy',
        evidence,
        ...(vantage ? { vantage } : {}),
      };
    }
    return {
      status: 'warn',
      summary: `Inconclusive: ${r.reason ?? 'the probe did not get an answer'}`,
      remediation: 'see what was seen in the evidence; a probe pod that cannot pull its image needs --probe-image/--probe-registry (and --probe-pull-secret) pointing at a registry this cluster can reach',
      evidence,
      ...(vantage ? { vantage } : {}),
    };
  },
});
