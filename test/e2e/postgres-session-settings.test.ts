// postgres.session-settings against real servers: PostgreSQL 10 (no idle_session_timeout), 14 (the
// first with it) and 18. A stock server passes; ALTER ROLE coder SET statement_timeout warns naming
// the role and the statement that resets it; ALTER DATABASE coder SET idle_session_timeout (14+)
// warns naming the database; the same through the URL, which only Coder's driver would send; and a
// role that may not read pg_db_role_setting still gets the level from pg_settings.source.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck } from '../helpers/cli.ts';
import { startPostgres, stopPostgres, withClient, type PgInstance } from '../world/postgres.ts';

const MAJORS = [10, 14, 18] as const;
const servers = new Map<number, PgInstance>();
beforeAll(async () => {
  for (const pg of await Promise.all(MAJORS.map((major) => startPostgres({ major })))) servers.set(pg.major, pg);
});
afterAll(async () => {
  await Promise.all([...servers.values()].map((s) => stopPostgres(s)));
});

const run = (pg: PgInstance, url = pg.urls.coder) => runCheck('postgres.session-settings', ['--postgres-url', url]);
/** The superuser in database coder (pg_db_role_setting's privileges are per database, like any catalog's). */
const suCoder = (pg: PgInstance) => pg.urls.superuser.replace('/postgres?', '/coder?');
const admin = (pg: PgInstance, ...sql: string[]) => withClient(suCoder(pg), async (c) => {
  for (const q of sql) await c.query(q);
});
const RESET = ['ALTER ROLE coder RESET ALL', 'ALTER DATABASE coder RESET ALL', 'GRANT SELECT ON pg_catalog.pg_db_role_setting TO PUBLIC'];

describe('postgres.session-settings against real servers', () => {
  it.each(MAJORS)('PostgreSQL %i as shipped passes, with every value and its source', async (major) => {
    const pg = servers.get(major)!;
    const { code, res } = await run(pg);
    expect(code).toBe(0);
    expect(res).toMatchObject({
      status: 'pass',
      summary: /^No timeout would cut Coder's sessions as role coder in database coder: statement_timeout=0, lock_timeout=0, idle_in_transaction_session_timeout=0, /,
      evidence: { statementTimeout: '0', statementTimeoutSetBy: 'default', lockTimeout: '0', idleInTransactionSessionTimeout: '0', storedSettings: [] },
    });
    expect(res.evidence['idleSessionTimeout']).toBe(major >= 14 ? '0' : 'absent (before PostgreSQL 14)');
  });

  it.each(MAJORS)('PostgreSQL %i: ALTER ROLE coder SET statement_timeout warns naming the role and ALTER ROLE … RESET', async (major) => {
    const pg = servers.get(major)!;
    try {
      await admin(pg, `ALTER ROLE coder SET statement_timeout = '5s'`);
      const { code, res } = await run(pg);
      expect(code).toBe(0);
      expect(res).toMatchObject({
        status: 'warn',
        summary: /statement_timeout=5s, set by user \(role coder\): a migration that runs longer/,
        remediation: 'ALTER ROLE coder RESET statement_timeout',
        evidence: { statementTimeout: '5s', statementTimeoutSetBy: 'user', storedSettings: ['user: statement_timeout=5s'] },
      });
    } finally {
      await admin(pg, ...RESET);
    }
    expect((await run(pg)).res.status).toBe('pass');
  });

  it.each([14, 18])('PostgreSQL %i: ALTER DATABASE coder SET idle_session_timeout warns naming the database and ALTER DATABASE … RESET', async (major) => {
    const pg = servers.get(major)!;
    try {
      await admin(pg, `ALTER DATABASE coder SET idle_session_timeout = '1min'`);
      const { res } = await run(pg);
      expect(res).toMatchObject({
        status: 'warn',
        summary: /idle_session_timeout=1min, set by database \(database coder\): idle pooled connections and the pubsub LISTEN connection are closed/,
        remediation: 'ALTER DATABASE coder RESET idle_session_timeout',
        evidence: { idleSessionTimeout: '1min', idleSessionTimeoutSetBy: 'database' },
      });
    } finally {
      await admin(pg, ...RESET);
    }
    expect((await run(pg)).res.status).toBe('pass');
  });

  it('PostgreSQL 18: set at two levels, both are named and both resets given; the role-level one is in effect', async () => {
    const pg = servers.get(18)!;
    try {
      await admin(pg, `ALTER ROLE coder SET lock_timeout = '2s'`, `ALTER DATABASE coder SET lock_timeout = '7s'`);
      const { res } = await run(pg);
      expect(res).toMatchObject({
        status: 'warn',
        summary: /lock_timeout=2s, set by user \(role coder\) and database \(database coder\)/,
        remediation: 'ALTER ROLE coder RESET lock_timeout; ALTER DATABASE coder RESET lock_timeout',
      });
    } finally {
      await admin(pg, ...RESET);
    }
  });

  it('PostgreSQL 18: a statement_timeout in the connection URL warns (Coder\'s lib/pq sends it; our session does not)', async () => {
    const pg = servers.get(18)!;
    const { res } = await run(pg, `${pg.urls.coder}&statement_timeout=5s`);
    expect(res).toMatchObject({ status: 'warn', summary: /statement_timeout=5s, set by the connection URL/, remediation: /^remove statement_timeout from the connection URL/, evidence: { inUrl: ['statement_timeout=5s'] } });
  });

  it('PostgreSQL 18: a role that may not read pg_db_role_setting says so, and still names the level from pg_settings.source', async () => {
    const pg = servers.get(18)!;
    try {
      await admin(pg, 'REVOKE SELECT ON pg_catalog.pg_db_role_setting FROM PUBLIC', `ALTER ROLE coder SET statement_timeout = '5s'`);
      const { res } = await run(pg);
      expect(res).toMatchObject({
        status: 'warn',
        summary: /statement_timeout=5s, set by user \(role coder\).*\(role and database settings not read: pg_db_role_setting: permission denied for table pg_db_role_setting \(SQLSTATE 42501\)\)$/,
        remediation: 'ALTER ROLE coder RESET statement_timeout',
        evidence: { storedSettings: null, notRead: /permission denied/ },
      });
    } finally {
      await admin(pg, ...RESET);
    }
    const after = await run(pg);
    expect(after.res).toMatchObject({ status: 'pass', evidence: { storedSettings: [] } });
  });
});
