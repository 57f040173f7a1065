import { ONE_REPLICA } from '../../../helpers/context.ts';
import { describe, expect, it } from 'vitest';
import check from '../../../../checks/postgres/listen-notify.ts';
import type { ListenNotifyFact } from '../../../../src/facts/types.ts';
import { BASELINE_PROFILE, THRESHOLDS } from '../../../../src/target/profile.ts';

const ctx = { profile: BASELINE_PROFILE, thresholds: THRESHOLDS.baseline, vantage: 'here', deployment: ONE_REPLICA };
const fact = (over: Partial<ListenNotifyFact>): ListenNotifyFact => ({ channel: 'coder_preflight_x', delivered: true, deliveryMs: 1.2, waitedMs: 1.2, listeningChannels: ['coder_preflight_x'], inRecovery: false, ...over });
const run = (f: ListenNotifyFact) => check.evaluate({ 'postgres.listen-notify': { ok: true, value: f, durationMs: 1 } }, ctx);

describe('postgres.listen-notify', () => {
  it('passes when the notification arrives, with the delivery time', async () => {
    const r = await run(fact({}));
    expect(r).toMatchObject({ status: 'pass', evidence: { delivered: true, deliveryMs: 1.2 } });
  });
  it('fails when it never arrives, and points at a transaction pooler when the listener vanished', async () => {
    const r = await run(fact({ delivered: false, deliveryMs: null, waitedMs: 3000, listeningChannels: [] }));
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/did not arrive within 3000 ms; .*transaction-pooling proxy/);
    expect(r.remediation).toMatch(/session mode/);
    const r2 = await run(fact({ delivered: false, deliveryMs: null, waitedMs: 3000 }));
    expect(r2.status).toBe('fail');
    expect(r2.summary).not.toMatch(/transaction-pooling/);
  });
  it('fails on a standby, and is an error or skip when it could not try', async () => {
    const standby = await check.evaluate({ 'postgres.listen-notify': { ok: false, reason: 'protocol', message: 'cannot execute LISTEN during recovery', hint: 'point Coder at the primary', detail: { inRecovery: true }, durationMs: 1 } }, ctx);
    expect(standby).toMatchObject({ status: 'fail', remediation: 'point Coder at the primary' });
    expect((await check.evaluate({ 'postgres.listen-notify': { ok: false, reason: 'timeout', message: 'm', durationMs: 1 } }, ctx)).status).toBe('error');
    expect((await check.evaluate({ 'postgres.listen-notify': { ok: false, reason: 'not-configured', message: 'm', hint: 'h', durationMs: 1 } }, ctx)).status).toBe('skip');
  });
});
