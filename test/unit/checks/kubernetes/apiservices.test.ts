import { ONE_REPLICA } from '../../../helpers/context.ts';
import { describe, expect, it } from 'vitest';
import check from '../../../../checks/kubernetes/apiservices.ts';
import type { ApiServiceFact } from '../../../../src/facts/types.ts';
import { BASELINE_PROFILE, THRESHOLDS, type Profile } from '../../../../src/target/profile.ts';

const local = (name: string, available: ApiServiceFact['available'] = 'True'): ApiServiceFact => {
  const [version = '', ...g] = name.split('.');
  return { name, group: g.join('.'), version, local: true, service: null, available, reason: null, message: null };
};
const builtins = ['v1.', 'v1.apps', 'v1.rbac.authorization.k8s.io', 'v1.networking.k8s.io', 'v1.storage.k8s.io', 'v1.batch', 'v2.autoscaling'].map((n) => local(n));
const metrics = (available: ApiServiceFact['available']): ApiServiceFact => ({
  name: 'v1beta1.metrics.k8s.io', group: 'metrics.k8s.io', version: 'v1beta1', local: false, service: 'kube-system/metrics-server', available,
  reason: available === 'False' ? 'ServiceNotFound' : 'Passed', message: null,
});
const v2: Profile = { name: 'v2', source: 't' };
const run = (items: ApiServiceFact[], profile: Profile = BASELINE_PROFILE) =>
  check.evaluate({ 'kubernetes.apiservices': { ok: true, value: { items }, durationMs: 1 } }, { profile, thresholds: THRESHOLDS[profile.name], vantage: 'here', deployment: ONE_REPLICA });

describe('kubernetes.apiservices', () => {
  it('passes with the built-in groups and an Available metrics API', async () => {
    const r = await run([...builtins, metrics('True')]);
    expect(r.status).toBe('pass');
    expect(r.evidence).toMatchObject({ metricsApi: 'Available (kube-system/metrics-server)', missing: [], notAvailable: [] });
  });
  it('fails when a built-in group Coder uses is missing or not Available', async () => {
    const noNet = await run([...builtins.filter((a) => a.name !== 'v1.networking.k8s.io'), metrics('True')]);
    expect(noNet.status).toBe('fail');
    expect(noNet.summary).toContain('v1.networking.k8s.io missing');
    const down = await run([...builtins.filter((a) => a.name !== 'v1.apps'), local('v1.apps', 'False'), metrics('True')]);
    expect(down.status).toBe('fail');
    expect(down.remediation).toBeTruthy();
  });
  it('warns on a registered but unavailable aggregated API (a broken metrics-server), naming it', async () => {
    const r = await run([...builtins, metrics('False')], v2);
    expect(r.status).toBe('warn');
    expect(r.summary).toMatch(/v1beta1\.metrics\.k8s\.io \(Available=False: ServiceNotFound, service kube-system\/metrics-server\)/);
    expect(r.remediation).toMatch(/metrics-server/);
  });
  it('warns without metrics.k8s.io for Coder v1 and the default profile, not for Coder 2.x', async () => {
    expect((await run(builtins)).status).toBe('warn');
    expect((await run(builtins, { name: 'v1', source: 't' })).status).toBe('warn');
    expect((await run(builtins, v2)).status).toBe('pass');
  });
  it('is an error when APIServices may not be listed, and a skip without a cluster', async () => {
    const ctx = { profile: BASELINE_PROFILE, thresholds: THRESHOLDS.baseline, vantage: 'here', deployment: ONE_REPLICA };
    expect((await check.evaluate({ 'kubernetes.apiservices': { ok: false, reason: 'forbidden', message: 'forbidden', durationMs: 0 } }, ctx)).status).toBe('error');
    expect((await check.evaluate({ 'kubernetes.apiservices': { ok: false, reason: 'not-configured', message: 'none', hint: 'h', durationMs: 0 } }, ctx)).status).toBe('skip');
  });
});
