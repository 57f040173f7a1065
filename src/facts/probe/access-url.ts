// The access URL from where workspaces run: a probe pod in each workspace namespace (under its
// NetworkPolicies; on the workspace nodes when a placement is given) walks the same steps as this
// machine (src/access/reach.ts via the agent's access-reach mode): the cluster's DNS, TCP, TLS
// against the pod's roots plus the --ca-bundle, HTTP, Coder's /healthz and agent download. A
// namespace that does not exist yet, or where this user may not create pods, is walked from the
// scratch namespace instead, and the result says so. access-url.reachability judges it beside
// the walk from here.
import type { ReachResult } from '../../access/types.ts';
import type { AccessReachArgs } from '../../probes/agent/access-reach.ts';
import { defineProbe, type ProbeContext, type ProbeFact } from '../../probes/define.ts';
import { placementWords, runProbePod, runProblem } from '../../probes/pods.ts';
import { VERSION } from '../../version.ts';
import { walkPlan } from '../../access/walk-plan.ts';

export interface AccessUrlPodWalk {
  /** The namespace the pod ran in. */
  namespace: string;
  /** The workspace namespace it stands for (differs when walked from the scratch namespace). */
  for: string;
  /** Why not from that namespace itself. */
  fallback?: string;
  node?: string;
  /** The walk (certificate bodies dropped), when the pod reported. */
  result?: ReachResult;
  /** Why there is no walk (the pod never ran or reported). */
  problem?: string;
}

export interface AccessUrlProbeResult {
  placement: string;
  url?: string;
  /** Why nothing was walked (no URL to walk, and why). */
  notWalked?: string;
  walks: AccessUrlPodWalk[];
}

declare module '../types.ts' {
  interface FactMap {
    'probe.access-url': ProbeFact<AccessUrlProbeResult>;
  }
}

/** At most this many workspace namespaces get a pod of their own (the rest are named). */
export const MAX_NAMESPACES = 5;

export default defineProbe({
  name: 'access-url',
  fact: 'probe.access-url',
  proves: 'that pods in the workspace namespaces resolve and reach the access URL, trust its certificate and get Coder\'s agent download, as workspaces must',
  needs: () => [],
  async run(p: ProbeContext): Promise<AccessUrlProbeResult> {
    const placement = p.collect.target.deployment.workspaces;
    const base = { placement: placementWords(placement, 'workspace'), walks: [] as AccessUrlPodWalk[] };
    const s = await p.collect.need('access-url.settings');
    let plan: ReturnType<typeof walkPlan>;
    try {
      plan = walkPlan(s);
    } catch (e) {
      return { ...base, notWalked: (e as Error).message };
    }
    // Where workspaces run: the namespaces Coder will use (the release namespace when they cannot be told).
    const ws = await p.collect.fact('kubernetes.workspace-namespaces');
    const wanted = ws.ok ? ws.value.namespaces.map((n) => n.name) : [s.namespace];
    const targets: { namespace: string; for: string; fallback?: string }[] = [];
    for (const name of wanted.slice(0, MAX_NAMESPACES)) targets.push({ ...(await p.session.placeIn(name)), for: name });
    // One walk from the scratch namespace stands for every namespace that falls back to it.
    const seen = new Set<string>();
    const unique = targets.filter((t) => (seen.has(t.namespace) ? false : (seen.add(t.namespace), true)));
    const args = (nonce: string): AccessReachArgs => ({ nonce, url: plan.url, ...(plan.wildcard ? { wildcard: plan.wildcard } : {}), caPems: p.collect.target.access?.caBundle?.pems ?? [], timeoutMs: 5000, coder: s.profile !== 'v1', userAgent: `coder-preflight/${VERSION}` });
    const walks = await Promise.all(
      unique.map(async (t): Promise<AccessUrlPodWalk> => {
        const agentConfigMap = await p.session.agentIn(t.namespace);
        const nonce = p.nonce();
        const r = await runProbePod<ReachResult>(
          p,
          {
            name: `access-url-${p.nonce()}`,
            probe: 'access-url',
            role: 'client',
            mode: 'access-reach',
            namespace: t.namespace,
            agentConfigMap,
            args: args(nonce) as unknown as Record<string, unknown> & { nonce: string },
            ...(placement ? { placement } : {}),
            deadlineSeconds: p.podDeadlineSeconds(),
          },
          p.budgetMs(),
        );
        const problem = runProblem(r, 'the probe pod could not walk');
        const forNames = targets.filter((x) => x.namespace === t.namespace).map((x) => x.for);
        return {
          namespace: t.namespace,
          for: forNames.join(', '),
          ...(t.fallback ? { fallback: targets.filter((x) => x.namespace === t.namespace && x.fallback).map((x) => x.fallback).join('; ') } : {}),
          ...(r.node?.name ? { node: r.node.name } : {}),
          ...(r.report?.ok ? { result: r.report.result! } : {}),
          ...(problem ? { problem } : {}),
        };
      }),
    );
    return { ...base, url: plan.url, walks };
  },
});
