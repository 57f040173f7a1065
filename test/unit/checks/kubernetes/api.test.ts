import { ONE_REPLICA } from '../../../helpers/context.ts';
import { describe, expect, it } from 'vitest';
import check from '../../../../checks/kubernetes/api.ts';
import type { FactFailure } from '../../../../src/engine/types.ts';
import { BASELINE_PROFILE, THRESHOLDS } from '../../../../src/target/profile.ts';

const ctx = { profile: BASELINE_PROFILE, thresholds: THRESHOLDS.baseline, vantage: 'this machine (t)', deployment: ONE_REPLICA };
const fail = (reason: FactFailure['reason'], message = 'm', hint = 'h'): FactFailure => ({ ok: false, reason, message, hint, durationMs: 1 });

describe('kubernetes.api', () => {
  it('passes with the server version as evidence', async () => {
    const r = await check.evaluate(
      { 'kubernetes.version': { ok: true, durationMs: 3, value: { server: 'https://127.0.0.1:6443', context: 'admin', source: '--kubeconfig', gitVersion: 'v1.35.2', major: 1, minor: 35, platform: 'linux/amd64', requestMs: 2.1 } } },
      ctx,
    );
    expect(r.status).toBe('pass');
    expect(r.summary).toContain('v1.35.2');
    expect(r.evidence).toMatchObject({ version: 'v1.35.2', context: 'admin', server: 'https://127.0.0.1:6443' });
    expect(r.vantage).toBe('this machine (t)'); // requestMs was measured from here
  });

  it.each(['unauthorized', 'unreachable', 'dns', 'tls', 'timeout', 'protocol', 'invalid-config'] as const)('fails with a remediation when the API server does not answer (%s)', async (reason) => {
    const r = await check.evaluate({ 'kubernetes.version': fail(reason, 'no answer', 'do this') }, ctx);
    expect(r.status).toBe('fail');
    expect(r.remediation).toBe('do this');
    expect(r.evidence).toMatchObject({ reason });
  });

  it('skips with the hint when no cluster is configured', async () => {
    const r = await check.evaluate({ 'kubernetes.version': fail('not-configured', 'No Kubernetes cluster configured', 'pass --kubeconfig') }, ctx);
    expect(r).toMatchObject({ status: 'skip', remediation: 'pass --kubeconfig' });
  });

  it('is an error, not a pass or a fail, when it cannot decide', async () => {
    for (const reason of ['forbidden', 'bug', 'aborted'] as const) {
      expect((await check.evaluate({ 'kubernetes.version': fail(reason) }, ctx)).status).toBe('error');
    }
  });
});
