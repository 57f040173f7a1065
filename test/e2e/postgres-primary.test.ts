// postgres.primary against a real server: a primary passes; a role or a database whose
// default_transaction_read_only is on fails, naming the statement that resets it; a real streaming
// standby (startStandby) fails postgres.primary, and postgres.listen-notify says it is a standby.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resultOf, runCheck, runJson } from '../helpers/cli.ts';
import { startPostgres, stopPostgres, withClient, type PgInstance } from '../world/postgres.ts';
import { startStandby } from '../world/postgres/server.ts';

let pg: PgInstance;
beforeAll(async () => {
  pg = await startPostgres({ major: 16 });
});
afterAll(async () => {
  if (pg) await stopPostgres(pg);
});
const run = () => runCheck('postgres.primary', ['--postgres-url', pg.urls.coder]);

describe('postgres.primary against a real server', () => {
  it('passes on a primary with the defaults', async () => {
    const { code, res } = await run();
    expect(code).toBe(0);
    expect(res).toMatchObject({ status: 'pass', evidence: { inRecovery: false, defaultTransactionReadOnly: 'off', setBy: 'default' } });
  });

  it('fails when the role or the database makes new transactions read-only, and says where it is set', async () => {
    try {
      await withClient(pg.urls.superuser, (c) => c.query('ALTER ROLE coder SET default_transaction_read_only = on'));
      const role = await run();
      expect(role.code).toBe(3);
      expect(role.res).toMatchObject({ status: 'fail', summary: /default_transaction_read_only=on, set by user/, remediation: 'ALTER ROLE coder RESET default_transaction_read_only' });
      await withClient(pg.urls.superuser, async (c) => {
        await c.query('ALTER ROLE coder RESET default_transaction_read_only');
        await c.query('ALTER DATABASE coder SET default_transaction_read_only = on');
      });
      const db = await run();
      expect(db.res).toMatchObject({ status: 'fail', summary: /set by database/, remediation: 'ALTER DATABASE coder RESET default_transaction_read_only' });
    } finally {
      await withClient(pg.urls.superuser, async (c) => {
        await c.query('ALTER ROLE coder RESET default_transaction_read_only');
        await c.query('ALTER DATABASE coder RESET default_transaction_read_only');
      });
    }
    expect((await run()).res.status).toBe('pass');
  });
});

describe.each([17, 10])('a streaming standby of PostgreSQL %i', (major) => {
  let primary: PgInstance;
  let standby: PgInstance;
  beforeAll(async () => {
    primary = await startPostgres({ major, replication: true });
    standby = await startStandby(primary);
  });
  afterAll(async () => {
    if (standby) await stopPostgres(standby);
    if (primary) await stopPostgres(primary);
  });

  it('is a real replica: in recovery, streaming from the primary, with what the primary writes', async () => {
    await withClient(primary.urls.superuser, (c) => c.query('CREATE TABLE replicated AS SELECT 42 AS answer'));
    const seen = await withClient(standby.urls.superuser, async (c) => {
      for (let i = 0; i < 100; i++) {
        const r = await c.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_class WHERE relname = 'replicated'");
        if (r.rows[0]!.n === 1) return (await c.query<{ answer: number; rec: boolean; status: string }>("SELECT answer, pg_is_in_recovery() AS rec, (SELECT status FROM pg_stat_wal_receiver) AS status FROM replicated")).rows[0];
        await new Promise((r) => setTimeout(r, 50));
      }
      return undefined;
    });
    expect(seen).toEqual({ answer: 42, rec: true, status: 'streaming' });
    expect(standby).toMatchObject({ standbyOf: primary.name, major, serverVersion: primary.serverVersion });
    expect(standby.port).not.toBe(primary.port);
  });

  it('fails postgres.primary: a standby in recovery', async () => {
    const { code, res } = await runCheck('postgres.primary', ['--postgres-url', standby.urls.coder]);
    expect(code).toBe(3);
    expect(res).toMatchObject({ status: 'fail', summary: `127.0.0.1:${standby.port} is a standby in recovery: Coder's migrations and LISTEN fail there`, evidence: { inRecovery: true } });
  });

  it('fails postgres.listen-notify, saying the server is a standby', async () => {
    const { code, res } = await runCheck('postgres.listen-notify', ['--postgres-url', standby.urls.coder]);
    expect(code).toBe(3);
    expect(res).toMatchObject({ status: 'fail', summary: /^LISTEN is refused: the server is a standby in recovery/, remediation: /primary/, evidence: { inRecovery: true } });
  });

  it('passes both on its primary, in the same run', async () => {
    const { r, report } = await runJson(['--postgres-url', primary.urls.coder, '--check', 'postgres.primary,postgres.listen-notify']);
    expect(r.code).toBe(0);
    expect(resultOf(report, 'postgres.primary').status).toBe('pass');
    expect(resultOf(report, 'postgres.listen-notify').status).toBe('pass');
  });
});
