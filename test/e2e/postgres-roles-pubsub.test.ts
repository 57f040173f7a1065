// postgres.privileges and postgres.listen-notify against real servers: the owner role and a
// CONNECT-only role on PostgreSQL 17 and 13, a search_path with no schema, EXECUTE on Coder's
// advisory-lock function revoked, a superuser, the stock grants of PostgreSQL 16 and 13 (with the
// suggested GRANT run for real), and LISTEN/NOTIFY
// directly and through a real PgBouncer in transaction pooling.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPgBouncer, startPostgres, stopPgBouncer, stopPostgres, withClient, type PgBouncerInstance, type PgInstance } from '../world/postgres.ts';
import { preflightSessionsLeft, runCheck } from '../helpers/cli.ts';

let pg17: PgInstance;
let pg13: PgInstance;
let bouncer: PgBouncerInstance;

beforeAll(async () => {
  [pg17, pg13] = await Promise.all([startPostgres({ major: 17 }), startPostgres({ major: 13 })]);
  bouncer = await startPgBouncer(pg17);
});
afterAll(async () => {
  if (bouncer) await stopPgBouncer(bouncer);
  await Promise.all([pg17 && stopPostgres(pg17), pg13 && stopPostgres(pg13)]);
});

const run = async (url: string, check: string) => {
  const { code, res, r } = await runCheck(check, ['--postgres-url', url]);
  return { code, res, stdout: r.stdout };
};

describe('postgres.privileges against real servers', () => {
  it.each([17, 13])('passes for the role that owns the database (PostgreSQL %i)', async (major) => {
    const pg = major === 17 ? pg17 : pg13;
    const { code, res } = await run(pg.urls.coder, 'postgres.privileges');
    expect(code).toBe(0);
    expect(res).toMatchObject({ status: 'pass', evidence: { user: 'coder', schema: 'public', schemaCreate: true, databaseOwner: 'coder', superuser: false, advisoryXactLock: true, tryAdvisoryXactLock: true, advisoryLockAcquired: true } });
  });

  it('fails when EXECUTE on pg_advisory_xact_lock (Coder\'s migration lock) is revoked, and its GRANT fixes it', async () => {
    // Function privileges live in each database's pg_proc: revoke in database coder only.
    const suCoder = pg17.urls.superuser.replace('/postgres?', '/coder?');
    try {
      await withClient(suCoder, (c) => c.query('REVOKE EXECUTE ON FUNCTION pg_catalog.pg_advisory_xact_lock(bigint) FROM PUBLIC'));
      const { code, res } = await run(pg17.urls.coder, 'postgres.privileges');
      expect(code).toBe(3);
      expect(res).toMatchObject({ status: 'fail', evidence: { advisoryXactLock: false, tryAdvisoryXactLock: true } });
      expect(res.summary).toBe('Role coder may not EXECUTE pg_advisory_xact_lock(bigint): Coder takes its migration lock with pg_advisory_xact_lock and would fail at start-up');
      const grant = 'GRANT EXECUTE ON FUNCTION pg_catalog.pg_advisory_xact_lock(bigint) TO coder;';
      expect(res.remediation).toBe(`as an admin: ${grant}`);
      await withClient(suCoder, (c) => c.query(grant));
      expect((await run(pg17.urls.coder, 'postgres.privileges')).res.status).toBe('pass');
    } finally {
      await withClient(suCoder, async (c) => {
        await c.query('GRANT EXECUTE ON FUNCTION pg_catalog.pg_advisory_xact_lock(bigint) TO PUBLIC');
        await c.query('REVOKE EXECUTE ON FUNCTION pg_catalog.pg_advisory_xact_lock(bigint) FROM coder');
      });
    }
  });

  it('reports a superuser as informational: a pass that says Coder does not need it', async () => {
    const { code, res } = await run(pg17.urls.superuser.replace('/postgres?', '/coder?'), 'postgres.privileges');
    expect(code).toBe(0);
    expect(res).toMatchObject({ status: 'pass', evidence: { user: 'postgres', superuser: true, advisoryLockAcquired: true } });
    expect(res.summary).toMatch(/\(superuser: Coder does not need it, and managed services do not give it\)$/);
  });

  it.each([17, 13])('fails for a role without CREATE on public (PostgreSQL %i), naming the grant', async (major) => {
    const pg = major === 17 ? pg17 : pg13;
    const { code, res, stdout } = await run(pg.urls.limited, 'postgres.privileges');
    expect(code).toBe(3);
    expect(res.status).toBe('fail');
    // The world's limited role has CONNECT only: no USAGE or CREATE on public.
    expect(res.summary).toMatch(/Role limited lacks USAGE and CREATE on schema public/);
    expect(res.remediation).toContain('GRANT USAGE, CREATE ON SCHEMA public TO limited');
    expect(stdout).not.toContain(pg.roles.limited.password);
  });

  it('fails when the search_path names a schema that does not exist', async () => {
    const { code, res } = await run(`${pg17.urls.coder}&search_path=coder_missing_schema`, 'postgres.privileges');
    expect(code).toBe(3);
    expect(res).toMatchObject({ status: 'fail', evidence: { schema: null, searchPath: 'coder_missing_schema' } });
    expect(res.summary).toMatch(/No schema of the search_path/);
  });
});

// Fresh servers with initdb's grants on public left alone: the case the check exists for. From
// PostgreSQL 15, PUBLIC keeps USAGE on public but no longer CREATE; before 15 it has both.
describe('postgres.privileges on servers with the stock grants on public', () => {
  let stock16: PgInstance;
  let stock13: PgInstance;
  beforeAll(async () => {
    [stock16, stock13] = await Promise.all([startPostgres({ major: 16, publicSchema: 'stock' }), startPostgres({ major: 13, publicSchema: 'stock' })]);
  });
  afterAll(async () => {
    await Promise.all([stock16 && stopPostgres(stock16), stock13 && stopPostgres(stock13)]);
  });

  it('fails on PostgreSQL 16 for a role that does not own the database: USAGE through PUBLIC, but no CREATE', async () => {
    const { code, res, stdout } = await run(stock16.urls.limited, 'postgres.privileges');
    expect(code).toBe(3);
    expect(res).toMatchObject({
      status: 'fail',
      evidence: { user: 'limited', schema: 'public', schemaOwner: 'pg_database_owner', schemaUsage: true, schemaCreate: false, databaseOwner: 'coder' },
    });
    expect(res.summary).toMatch(/^Role limited lacks CREATE on schema public \(owner pg_database_owner\) in database coder/);
    expect(res.summary).not.toMatch(/USAGE/);
    expect(res.summary).toContain('(PostgreSQL 15+ no longer lets every role create in public)');
    // public belongs to pg_database_owner from 15 on: owning the database is one of the fixes.
    expect(res.remediation).toBe('as an admin: GRANT USAGE, CREATE ON SCHEMA public TO limited; or ALTER SCHEMA public OWNER TO limited; or ALTER DATABASE coder OWNER TO limited;');
    expect(stdout).not.toContain(stock16.roles.limited.password);
    // The statement runs as given, and then the check passes.
    const suCoder = stock16.urls.superuser.replace('/postgres?', '/coder?');
    try {
      await withClient(suCoder, (c) => c.query('GRANT USAGE, CREATE ON SCHEMA public TO limited;'));
      const after = await run(stock16.urls.limited, 'postgres.privileges');
      expect(after.res).toMatchObject({ status: 'pass', evidence: { user: 'limited', schemaCreate: true } });
    } finally {
      await withClient(suCoder, (c) => c.query('REVOKE USAGE, CREATE ON SCHEMA public FROM limited'));
    }
  });

  it('passes on PostgreSQL 16 for the database owner (public belongs to pg_database_owner)', async () => {
    const { code, res } = await run(stock16.urls.coder, 'postgres.privileges');
    expect(code).toBe(0);
    expect(res).toMatchObject({ status: 'pass', evidence: { user: 'coder', schemaOwner: 'pg_database_owner', schemaCreate: true } });
  });

  it('passes on PostgreSQL 13 for the same non-owner role: PUBLIC still has CREATE on public there', async () => {
    const { code, res } = await run(stock13.urls.limited, 'postgres.privileges');
    expect(code).toBe(0);
    expect(res).toMatchObject({ status: 'pass', evidence: { user: 'limited', schema: 'public', schemaOwner: 'postgres', schemaUsage: true, schemaCreate: true, databaseOwner: 'coder' } });
    expect(res.summary).toMatch(/\(granted CREATE\)$/);
  });
});

describe('postgres.listen-notify against real servers', () => {
  // pg13 here: PgBouncer keeps pooled server connections (named coder-preflight) to pg17.
  it('passes on a direct connection, with the delivery time', async () => {
    const { code, res } = await run(pg13.urls.coder, 'postgres.listen-notify');
    expect(code).toBe(0);
    expect(res).toMatchObject({ status: 'pass', evidence: { delivered: true } });
    expect(res.evidence.deliveryMs).toBeGreaterThan(0);
  });

  it('fails through PgBouncer in transaction pooling: the NOTIFY never arrives', async () => {
    const { code, res } = await run(bouncer.urls.coder, 'postgres.listen-notify');
    expect(code).toBe(3);
    expect(res).toMatchObject({ status: 'fail', evidence: { delivered: false } });
    expect(res.remediation).toMatch(/session mode/);
  });

  // The CLI exits, so the kernel would close a forgotten listener too: the in-process test that the
  // listener closes before the run ends is in test/integration/collectors.test.ts.
  it('leaves no listening backend behind', async () => {
    await run(pg13.urls.coder, 'postgres.listen-notify');
    expect(await preflightSessionsLeft(pg13.urls.superuser)).toBe(0);
  });
});
