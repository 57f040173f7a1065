// postgres.primary against a real server: a primary passes; a role or a database whose
// default_transaction_read_only is on fails, naming the statement that resets it. (A streaming
// standby comes with the world's replica; see the PostgreSQL issue.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck } from '../helpers/cli.ts';
import { startPostgres, stopPostgres, withClient, type PgInstance } from '../world/postgres.ts';

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
