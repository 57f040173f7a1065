import { describe, expect, it } from 'vitest';
import check from '../../../../checks/postgres/connections.ts';
import type { Deployment } from '../../../../src/engine/types.ts';
import type { PostgresConnectionsFact } from '../../../../src/facts/types.ts';
import { BASELINE_PROFILE, THRESHOLDS, type Profile } from '../../../../src/target/profile.ts';
import { ONE_REPLICA } from '../../../helpers/context.ts';

const v2: Profile = { name: 'v2', source: 't' };
const server = (over: Partial<PostgresConnectionsFact> = {}): PostgresConnectionsFact => ({ maxConnections: 100, superuserReserved: 3, reservedConnections: 0, inUse: 1, ours: 1, ...over });
const run = (f: PostgresConnectionsFact, profile: Profile = v2, deployment: Deployment = ONE_REPLICA) =>
  check.evaluate({ 'postgres.connections': { ok: true, value: f, durationMs: 1 } }, { profile, thresholds: THRESHOLDS[profile.name], vantage: 'here', deployment });
const replicas = (n: number, pool?: number): Deployment => ({ replicas: n, replicasSource: 'test', ...(pool ? { poolPerReplica: { value: pool, where: 'values' } } : {}) });

describe('postgres.connections', () => {
  it('Coder 2.x: replicas × (10 + 1 LISTEN) × 1.2, against max_connections less reserved slots', async () => {
    const r = await run(server(), v2, replicas(3));
    expect(r).toMatchObject({ status: 'pass', evidence: { needed: 40, availableToCoder: 97 }, threshold: { value: '3 replicas × (10 + 1 LISTEN) × 1.2' } });
    // 7 replicas need ceil(7 × 11 × 1.2) = 93 ≤ 97; 8 need 106 > 97
    expect((await run(server(), v2, replicas(7))).status).toBe('pass');
    const over = await run(server(), v2, replicas(8));
    expect(over).toMatchObject({ status: 'fail', evidence: { needed: 106 } });
    expect(over.remediation).toMatch(/raise max_connections to at least 109/);
  });
  it('Coder v1 / default: replicas × 30 strictly below the available slots', async () => {
    expect((await run(server({ maxConnections: 100 }), BASELINE_PROFILE, replicas(3))).status).toBe('pass'); // 90 < 97
    expect((await run(server({ maxConnections: 93 }), BASELINE_PROFILE, replicas(3))).status).toBe('fail'); // 90 is not < 90
    expect((await run(server({ maxConnections: 94 }), { name: 'v1', source: 't' }, replicas(3))).status).toBe('pass'); // 90 < 91
  });
  it('uses the pool size from the values file, and PostgreSQL 16 reserved_connections', async () => {
    // 2 × (20 + 1) × 1.2 = 50.4 → 51 needed; 50 − 3 − 5 = 42 available
    const r = await run(server({ maxConnections: 50, reservedConnections: 5 }), v2, replicas(2, 20));
    expect(r).toMatchObject({ status: 'fail', evidence: { needed: 51, poolPerReplica: 20, poolFrom: 'values', availableToCoder: 42 } });
    expect((await run(server({ maxConnections: 50, reservedConnections: 5 }), v2, replicas(2))).status).toBe('pass'); // default pool 10: 27
  });
  it('warns when it only fits while other clients are disconnected', async () => {
    const r = await run(server({ maxConnections: 20, inUse: 6, ours: 1 }), v2, ONE_REPLICA); // needs 14, 17 available, 5 used by others
    expect(r.status).toBe('warn');
    expect(r.summary).toMatch(/5 are in use by other clients/);
  });
  it('skips without a database; errors when the settings could not be read', async () => {
    const ctx = { profile: BASELINE_PROFILE, thresholds: THRESHOLDS.baseline, vantage: 'here', deployment: ONE_REPLICA };
    expect((await check.evaluate({ 'postgres.connections': { ok: false, reason: 'not-configured', message: 'm', hint: 'h', durationMs: 0 } }, ctx)).status).toBe('skip');
    expect((await check.evaluate({ 'postgres.connections': { ok: false, reason: 'timeout', message: 'm', durationMs: 0 } }, ctx)).status).toBe('error');
  });
});
