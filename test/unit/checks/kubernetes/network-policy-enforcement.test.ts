import { expect } from 'vitest';
import check from '../../../../checks/kubernetes/network-policy-enforcement.ts';
import type { NetpolPhase, NetworkPolicyProbeResult } from '../../../../src/facts/probe/network-policy.ts';
import type { ProbeFact, ProbeRan } from '../../../../src/probes/define.ts';
import { failed, testCheck } from '../../../helpers/check-tester.ts';

const ran: ProbeRan = { state: 'ran', probe: 'network-policy', runId: 'abc12345', namespace: 'coder-preflight-abc12345', image: 'docker.io/library/node:24-slim', durationMs: 6000 };
const ph = (met: boolean, timeline: string, over: Partial<NetpolPhase> = {}): NetpolPhase => ({
  met,
  attempts: timeline.length,
  timeline,
  counts: { reached: [...timeline].filter((c) => c === 'R').length, refused: [...timeline].filter((c) => c === 'C').length, timeout: [...timeline].filter((c) => c === 'T').length },
  errors: [],
  podMs: 1200,
  ...(met ? { metAtMs: 10 } : {}),
  ...over,
});
const base: NetworkPolicyProbeResult = {
  verdict: 'enforced',
  node: 'ip-10-0-1-5',
  server: 'server pod netpol-server-x (10.1.2.3:8080) on node ip-10-0-1-5',
  placement: 'anywhere',
  phases: { control: ph(true, 'R'), deny: ph(true, 'CC', { metAtMs: 0 }), allow: ph(true, 'CR', { metAtMs: 210 }) },
  windowsMs: { control: 8000, deny: 10000, allow: 10000 },
};
const fact = (over: Partial<NetworkPolicyProbeResult> = {}): { 'probe.network-policy': ProbeFact<NetworkPolicyProbeResult> } => ({ 'probe.network-policy': { ...ran, ...base, ...over } });

testCheck(check, {
  pass: [
    {
      name: 'blocked by deny-all, restored by the allow rule',
      facts: fact(),
      summary: 'NetworkPolicy is enforced on node ip-10-0-1-5: a deny-all ingress policy blocked the client (within 0 ms of its first try) and an allow rule restored it',
      evidence: { verdict: 'enforced', node: 'ip-10-0-1-5', phases: ['control: met after 1 attempts (at 10 ms), R', 'deny-all: met after 2 attempts (at 0 ms), CC', 'allow: met after 2 attempts (at 210 ms), CR'] },
      check: (r) => expect(r.vantage).toBe('probe pods on node ip-10-0-1-5'),
    },
  ],
  fail: [
    {
      name: 'the deny-all policy blocks nothing',
      facts: fact({ verdict: 'not-enforced', phases: { control: ph(true, 'R'), deny: ph(false, 'R'.repeat(40)) } }),
      summary: 'NetworkPolicy is not enforced on node ip-10-0-1-5: with a deny-all ingress policy on the server, the client still reached it 40/40 times over 10 s',
      remediation: /NetworkPolicy engine/,
    },
  ],
  warn: [
    {
      name: 'the positive control fails: nothing can be concluded',
      facts: fact({ verdict: 'inconclusive', reason: 'without any policy the client could not reach the server in 8 s (TTTTTTTT; TIMEOUT)', phases: { control: ph(false, 'TTTTTTTT') } }),
      summary: 'Inconclusive: without any policy the client could not reach the server',
    },
    {
      name: 'blocked, but the allow rule does not restore traffic',
      facts: fact({ verdict: 'inconclusive', reason: 'the deny-all policy blocked the client, but the allow rule did not restore traffic within 10 s (CCCCC)', phases: { control: ph(true, 'R'), deny: ph(true, 'CC'), allow: ph(false, 'CCCCC') } }),
      summary: 'the allow rule did not restore traffic',
    },
    {
      name: 'the server landed on a kwok node',
      facts: fact({ verdict: 'inconclusive', reason: 'pod netpol-server-x landed on node fake-0, which fakes pods (annotation kwok.x-k8s.io/node=fake): nothing ran there', phases: {}, node: 'fake-0' }),
      summary: 'Inconclusive: pod netpol-server-x landed on node fake-0, which fakes pods',
      check: (r) => expect(r.evidence.phases).toEqual(['control: not run', 'deny-all: not run', 'allow: not run']),
    },
  ],
  skip: [
    { name: 'not asked for', facts: { 'probe.network-policy': { state: 'not-selected', probe: 'network-policy', proves: 'that policies are enforced' } }, summary: 'run with --probe network-policy (or --active)' },
    {
      name: 'forbidden',
      facts: { 'probe.network-policy': { state: 'forbidden', probe: 'network-policy', proves: 'x', missing: ['create networking.k8s.io/networkpolicies in coder-preflight-x'], rules: ['{apiGroups: ["networking.k8s.io"], resources: [networkpolicies], verbs: [create]}'] } },
      summary: 'create networking.k8s.io/networkpolicies in coder-preflight-x',
      remediation: /networkpolicies\], verbs: \[create\]/,
    },
  ],
  error: [{ name: 'the probe timed out with the run', facts: { 'probe.network-policy': failed('timeout', 'the run ran out of time (--timeout) before this was gathered') }, summary: 'ran out of time' }],
});
