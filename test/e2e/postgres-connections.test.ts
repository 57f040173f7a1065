// postgres.connections against real servers: a stock-sized one, a small max_connections, real
// competing client connections, and replicas/pool size taken from a values file.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, stopPostgres, withClient, type PgInstance } from '../world/postgres.ts';
import { runCheck } from '../helpers/cli.ts';

let big: PgInstance; // max_connections 100 (superuser_reserved 3)
let small: PgInstance; // max_connections 20
beforeAll(async () => {
  [big, small] = await Promise.all([startPostgres({ major: 17, maxConnections: 100 }), startPostgres({ major: 16, maxConnections: 20 })]);
});
afterAll(async () => {
  await Promise.all([big && stopPostgres(big), small && stopPostgres(small)]);
});

/** Wait (up to 2.5 s) until the backends of earlier tests' clients have exited and freed their slots. */
async function noOtherClients(s: PgInstance): Promise<void> {
  await withClient(s.urls.superuser, async (su) => {
    for (let i = 0; i < 50; i++) {
      const { n } = (await su.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()")).rows[0]!;
      if (n === 0) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  });
}

const run = (url: string, ...args: string[]) => runCheck('postgres.connections', ['--postgres-url', url, ...args]);

describe('postgres.connections against real servers', () => {
  it('reads the real settings; 3 Coder 2.x replicas fit in max_connections 100', async () => {
    const { code, res } = await run(big.urls.coder, '--coder-version', '2.18.0', '--replicas', '3');
    expect(code).toBe(0);
    expect(res).toMatchObject({ status: 'pass', evidence: { maxConnections: 100, superuserReserved: 3, needed: 40, availableToCoder: 97, replicasFrom: '--replicas' } });
  });

  it('fails when max_connections cannot hold the replicas (v1 sizing: 2 × 30 in 20 slots)', async () => {
    const { code, res } = await run(small.urls.coder, '--coder-version', '1.44.3', '--replicas', '2');
    expect(code).toBe(3);
    expect(res).toMatchObject({ status: 'fail', evidence: { maxConnections: 20, needed: 60, availableToCoder: 17 } });
  });

  it('warns when it fits only while other clients are disconnected (real idle connections held open)', async () => {
    const held: pg.Client[] = [];
    try {
      for (let i = 0; i < 5; i++) {
        const c = new pg.Client({ connectionString: small.urls.superuser });
        await c.connect();
        held.push(c);
      }
      const { code, res } = await run(small.urls.coder, '--coder-version', '2.18.0'); // needs 14 of 17
      expect(code).toBe(0);
      expect(res.status).toBe('warn');
      expect(res.evidence.inUseByOthers).toBeGreaterThanOrEqual(5);
    } finally {
      await Promise.all(held.map((c) => c.end()));
    }
  });

  it('postgres.connect fails, naming the full server, when a non-superuser finds every slot taken (53300)', async () => {
    // Real connections as `limited` (not a superuser) until the server refuses the next one: then
    // only the superuser_reserved_connections are left, which Coder's role may not use either.
    await noOtherClients(small);
    const held: pg.Client[] = [];
    try {
      let refused: { code?: string; message: string } | undefined;
      for (let i = 0; i < small.maxConnections && !refused; i++) {
        const c = new pg.Client({ connectionString: small.urls.limited });
        c.on('error', () => {});
        try {
          await c.connect();
          held.push(c);
        } catch (e) {
          refused = e as { code?: string; message: string };
        }
      }
      expect(refused).toMatchObject({ code: '53300' });
      expect(held.length).toBe(small.maxConnections - small.superuserReservedConnections);
      const { code, res } = await runCheck('postgres.connect', ['--postgres-url', small.urls.coder]);
      expect(code).toBe(3);
      expect(res).toMatchObject({ status: 'fail', evidence: { reason: 'capacity', code: '53300', host: '127.0.0.1', port: small.port } });
      expect(res.summary).toMatch(new RegExp(`^Coder could not connect: PostgreSQL at 127\\.0\\.0\\.1:${small.port} is out of connection slots: remaining connection slots are reserved`));
      expect(res.summary).not.toMatch(/could not reach/i);
      expect(res.remediation).toMatch(/raise max_connections/);
    } finally {
      await Promise.all(held.map((c) => c.end()));
    }
  });

  it('takes replicas and the pool size from a Coder 2.x values file', async () => {
    const f = join(mkdtempSync(join(tmpdir(), 'cp-conn-')), 'values.yaml');
    writeFileSync(f, `coder:\n  replicaCount: 4\n  env:\n    - name: CODER_PG_CONNECTION_URL\n      value: "${big.urls.coder}"\n    - name: CODER_PG_CONN_MAX_OPEN\n      value: "25"\n`);
    const { code, res } = await runCheck('postgres.connections', ['--values', f]);
    expect(code).toBe(3); // 4 × (25 + 1) × 1.2 = 124.8 → 125 > 97
    expect(res).toMatchObject({ status: 'fail', evidence: { replicas: 4, poolPerReplica: 25, needed: 125 } });
    expect(String(res.evidence.poolFrom)).toContain('CODER_PG_CONN_MAX_OPEN');
  });
});
