// The NetworkPolicy probe: a server pod and client pods on the workspace nodes, pinned to the
// server's node. A positive control first (the client reaches the server: else nothing can be
// concluded), then a deny-all ingress policy on the server and a bounded window in which the
// client must find itself blocked, then an allow rule for the client that must restore traffic
// (proving it was the policy that blocked, not something else). Every answer the client counts
// carries the server's token, so "reached" means this server and nothing else.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { TcpClientArgs, TcpClientResult, TcpServerResult } from '../../probes/agent/report.ts';
import { defineProbe, type ProbeContext, type ProbeFact } from '../../probes/define.ts';
import { ROLE_KEY } from '../../probes/labels.ts';
import { placementWords, type PodRun, runProbePod, runProblem } from '../../probes/pods.ts';
import { serverTarget, type ProbeTarget } from '../../probes/traffic.ts';

export const NETPOL_PORT = 8080;
/** How long each phase's client keeps trying before the phase is decided. */
export const CONTROL_WINDOW_MS = 8_000;
export const DENY_WINDOW_MS = 10_000;
export const ALLOW_WINDOW_MS = 10_000;

export interface NetpolPhase {
  /** The phase's condition was met (control: reached; deny: blocked; allow: reached again). */
  met: boolean;
  attempts: number;
  /** One letter per attempt (R reached, T timeout, C refused, X reset, U unreachable, W wrong answer, E other). */
  timeline: string;
  counts: TcpClientResult['counts'];
  /** ms from the client's first attempt to the condition. */
  metAtMs?: number;
  errors: string[];
  /** Pod create → report. */
  podMs: number;
  /** Why there is no answer from this phase's client (then the probe is inconclusive). */
  problem?: string;
}

export interface NetworkPolicyProbeResult {
  verdict: 'enforced' | 'not-enforced' | 'inconclusive';
  /** For inconclusive: what was seen. */
  reason?: string;
  node?: string;
  zone?: string;
  server?: string;
  placement: string;
  phases: { control?: NetpolPhase; deny?: NetpolPhase; allow?: NetpolPhase };
  windowsMs: { control: number; deny: number; allow: number };
}

declare module '../types.ts' {
  interface FactMap {
    'probe.network-policy': ProbeFact<NetworkPolicyProbeResult>;
  }
}

function phaseOf(r: PodRun<TcpClientResult>): NetpolPhase {
  const res = r.report?.ok ? r.report.result : undefined;
  const problem = runProblem(r, 'the client failed');
  return {
    met: res?.met ?? false,
    attempts: res?.attempts ?? 0,
    timeline: res?.timeline ?? '',
    counts: res?.counts ?? {},
    ...(res?.metAtMs !== undefined ? { metAtMs: res.metAtMs } : {}),
    errors: res?.errors ?? [],
    podMs: r.ms,
    ...(problem ? { problem } : {}),
  };
}

export default defineProbe({
  name: 'network-policy',
  fact: 'probe.network-policy',
  proves: 'that NetworkPolicies are enforced on the workspace nodes (a deny-all policy blocks a real connection, an allow rule restores it)',
  needs: (ns) => [{ verb: 'create', group: 'networking.k8s.io', resource: 'networkpolicies', namespace: ns }],
  async run(p: ProbeContext): Promise<NetworkPolicyProbeResult> {
    const d = p.collect.target.deployment;
    const placement = d.workspaces;
    const id = p.nonce();
    const windowsMs = { control: CONTROL_WINDOW_MS, deny: DENY_WINDOW_MS, allow: ALLOW_WINDOW_MS };
    const base = { placement: placementWords(placement, 'workspace'), phases: {}, windowsMs };
    const token = p.nonce();
    const serverLabels = { 'coder-preflight/netpol': id };
    const server = await runProbePod<TcpServerResult>(
      p,
      {
        name: `netpol-server-${id}`,
        probe: 'network-policy',
        role: 'server',
        mode: 'tcp-server',
        args: { nonce: p.nonce(), port: NETPOL_PORT, token, maxMs: p.budgetMs() + 30_000 },
        ...(placement ? { placement } : {}),
        readinessPort: NETPOL_PORT,
        labels: serverLabels,
        deadlineSeconds: p.podDeadlineSeconds(),
      },
      Math.min(p.budgetMs(), 60_000),
      'ready',
    );
    const at = { ...(server.node ? { node: server.node.name, ...(server.node.zone ? { zone: server.node.zone } : {}) } : {}) };
    if (server.problem || !server.pod || !server.node) return { verdict: 'inconclusive', reason: server.node?.fake ? server.problem! : `the server pod never became Ready: ${server.problem ?? 'not seen'}`, ...base, ...at };
    const target: ProbeTarget = serverTarget(p.session, server.pod, server.node, NETPOL_PORT);
    const phases: NetworkPolicyProbeResult['phases'] = {};
    const client = async (phase: 'control' | 'deny' | 'allow', until: TcpClientArgs['until'], windowMs: number) => {
      const args: TcpClientArgs = { nonce: p.nonce(), host: target.host, port: target.port, token, until, attempts: 200, consecutive: 2, intervalMs: 200, timeoutMs: 1000, windowMs };
      const r = await runProbePod<TcpClientResult>(
        p,
        {
          name: `netpol-client-${phase}-${id}`,
          probe: 'network-policy',
          role: 'client',
          mode: 'tcp-client',
          args: args as unknown as Record<string, unknown> & { nonce: string },
          ...(placement ? { placement } : {}),
          node: target.node!,
          labels: { 'coder-preflight/netpol-client': id },
          deadlineSeconds: p.podDeadlineSeconds(),
        },
        Math.max(1000, Math.min(p.budgetMs(), windowMs + 30_000)),
      );
      phases[phase] = phaseOf(r);
      return phases[phase]!;
    };
    const done = (verdict: NetworkPolicyProbeResult['verdict'], reason?: string): NetworkPolicyProbeResult => ({ verdict, ...(reason ? { reason } : {}), ...base, ...at, server: target.what, phases });

    const control = await client('control', 'reachable', CONTROL_WINDOW_MS);
    if (control.problem) return done('inconclusive', `the positive control did not run: ${control.problem}`);
    if (!control.met) return done('inconclusive', `without any policy the client could not reach the server in ${CONTROL_WINDOW_MS / 1000} s (${control.timeline}; ${control.errors.join(', ') || 'no error code'}): the pod network itself is not working, so enforcement cannot be told`);

    const policy = (name: string, spec: Record<string, unknown>) => p.session.create({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name }, spec } as KubernetesObject);
    await policy(`deny-all-ingress-${id}`, { podSelector: { matchLabels: serverLabels }, policyTypes: ['Ingress'] });
    const deny = await client('deny', 'blocked', DENY_WINDOW_MS);
    if (deny.problem) return done('inconclusive', `the client under the deny-all policy did not run: ${deny.problem}`);
    if (!deny.met) {
      // Only a client that kept reaching our server proves the policy was ignored.
      if (deny.attempts >= 3 && deny.counts.reached === deny.attempts) return done('not-enforced');
      return done('inconclusive', `under the deny-all policy the client was neither blocked twice in a row nor reached the server every time (${deny.timeline}; ${deny.errors.join(', ') || 'no error code'})`);
    }
    // client-node's NetworkPolicy model spells `from` as `_from`.
    await policy(`allow-probe-client-${id}`, {
      podSelector: { matchLabels: serverLabels },
      policyTypes: ['Ingress'],
      ingress: [{ _from: [{ podSelector: { matchLabels: { 'coder-preflight/netpol-client': id, [ROLE_KEY]: 'client' } } }], ports: [{ port: NETPOL_PORT, protocol: 'TCP' }] }],
    });
    const allow = await client('allow', 'reachable', ALLOW_WINDOW_MS);
    if (allow.problem) return done('inconclusive', `the client under the allow rule did not run: ${allow.problem}`);
    if (!allow.met) return done('inconclusive', `the deny-all policy blocked the client, but the allow rule did not restore traffic within ${ALLOW_WINDOW_MS / 1000} s (${allow.timeline}): something besides the policy may block it`);
    return done('enforced');
  },
});
