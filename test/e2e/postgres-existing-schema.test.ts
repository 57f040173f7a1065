// postgres.existing-schema against real servers (PostgreSQL 17, 13 and 10): one database per state
// Coder can find, planted with the superuser connection (as role coder where Coder would own the
// tables): empty, a clean schema at Coder 2.30's newest migration, a dirty row, a Coder v1 database,
// a schema newer than the target, a schema_migrations the role may not read, another application's
// golang-migrate table; and other sessions (Coder's application_name is empty: it sets none) that
// LISTEN and hold Coder's advisory locks, seen by the owner role and by a role that may not see
// their details.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CODER_RELEASES } from '../../src/postgres/coder-migrations.ts';
import { CODER_MIGRATION_LOCK } from '../../src/facts/postgres/schema.ts';
import { preflightSessionsLeft, runCheck } from '../helpers/cli.ts';
import { startPostgres, stopPostgres, withClient, type PgInstance } from '../world/postgres.ts';

const ID = 'postgres.existing-schema';
const newest = CODER_RELEASES.at(-1)!;
const N = newest.newestMigration;
const TARGET = ['--coder-version', newest.version];

/** The golang-migrate table exactly as Coder's txnmigrator.go creates it. */
const SCHEMA_MIGRATIONS = 'CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)';
const CODER_TABLES = ['workspaces', 'templates', 'template_versions', 'provisioner_jobs', 'workspace_builds'];

/** What each database holds; planted as role coder (Coder's own role owns its tables). */
const STATES: Record<string, string[]> = {
  s_empty: [],
  s_clean: [SCHEMA_MIGRATIONS, `INSERT INTO schema_migrations VALUES (${N}, false)`, ...CODER_TABLES.map((t) => `CREATE TABLE ${t} (id uuid PRIMARY KEY)`)],
  s_dirty: [SCHEMA_MIGRATIONS, 'INSERT INTO schema_migrations VALUES (150, true)', ...CODER_TABLES.map((t) => `CREATE TABLE ${t} (id uuid PRIMARY KEY)`)],
  s_v1: ['CREATE TABLE migration_cursor (id int PRIMARY KEY, cursor text)', 'CREATE TABLE users (id text PRIMARY KEY)'],
  s_newer: [SCHEMA_MIGRATIONS, `INSERT INTO schema_migrations VALUES (${N + 7}, false)`, ...CODER_TABLES.map((t) => `CREATE TABLE ${t} (id uuid PRIMARY KEY)`)],
  s_foreign: [SCHEMA_MIGRATIONS, 'INSERT INTO schema_migrations VALUES (20241016151312, false)', 'CREATE TABLE things (id int)'],
};

const dbUrl = (url: string, db: string) => url.replace(/\/(coder|postgres)\?/, `/${db}?`);

async function plant(inst: PgInstance): Promise<void> {
  await withClient(inst.urls.superuser, async (c) => {
    for (const db of [...Object.keys(STATES), 's_unreadable']) await c.query(`CREATE DATABASE ${db} OWNER coder`);
  });
  for (const [db, statements] of Object.entries(STATES)) {
    await withClient(dbUrl(inst.urls.superuser, db), async (c) => {
      // PostgreSQL < 15 lets PUBLIC create in public; make it the same everywhere: only the owner.
      await c.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
      await c.query('GRANT CREATE ON SCHEMA public TO coder');
      await c.query('SET ROLE coder');
      for (const s of statements) await c.query(s);
    });
  }
  // Created by the superuser, with no grant: Coder's role may not read it.
  await withClient(dbUrl(inst.urls.superuser, 's_unreadable'), async (c) => {
    await c.query(SCHEMA_MIGRATIONS);
    await c.query('INSERT INTO schema_migrations VALUES (10, false)');
  });
}

const servers: Record<number, PgInstance> = {};
beforeAll(async () => {
  const started = await Promise.all([17, 13, 10].map((major) => startPostgres({ major })));
  for (const s of started) servers[s.major] = s;
  await Promise.all(started.map(plant));
}, 120_000);
afterAll(async () => {
  await Promise.all(Object.values(servers).map((s) => stopPostgres(s)));
});

const run = (major: number, db: string, args: string[] = TARGET, role: 'coder' | 'limited' = 'coder') => runCheck(ID, ['--postgres-url', dbUrl(servers[major]!.urls[role], db), ...args]);

describe.each([17, 13])('postgres.existing-schema on PostgreSQL %i', (major) => {
  it('passes on an empty database', async () => {
    const { code, res } = await run(major, 's_empty');
    expect(code).toBe(0);
    expect(res).toMatchObject({ status: 'pass', summary: 'Schema public of database s_empty is empty: Coder will create its schema', evidence: { schemaMigrations: null, relations: 0, otherSessions: 0 } });
  });

  it(`passes on a clean schema at Coder ${newest.version}'s newest migration, with the version in evidence`, async () => {
    const { code, res } = await run(major, 's_clean');
    expect(code).toBe(0);
    expect(res).toMatchObject({ status: 'pass', evidence: { schemaVersion: String(N), dirty: false, targetNewestMigration: N, coderTables: [...CODER_TABLES].sort() } });
    expect(res.summary).toBe(`Coder schema at version ${N}, clean, in database s_clean: at Coder ${newest.version}'s newest migration (same schema)`);
  });

  it('fails on a dirty schema_migrations row, naming the version and the fix', async () => {
    const { code, res } = await run(major, 's_dirty');
    expect(code).toBe(3);
    expect(res.status).toBe('fail');
    expect(res.summary).toMatch(/^public\.schema_migrations is dirty at version 150 in database s_dirty: .*"Dirty database version 150\. Fix and force version\."/);
    expect(res.remediation).toContain('UPDATE public.schema_migrations SET version = 149, dirty = false;');
  });

  it('fails on a Coder v1 database under Coder 2.x', async () => {
    const { code, res } = await run(major, 's_v1');
    expect(code).toBe(3);
    expect(res).toMatchObject({ status: 'fail', evidence: { v1MigrationCursor: true } });
    expect(res.summary).toMatch(/^Database s_v1 is a Coder v1 database \(migration_cursor in schema public\): Coder 2\.x refuses it/);
    expect(res.remediation).toMatch(/new, empty database/);
  });

  it(`fails on a schema newer than Coder ${newest.version} (a downgrade), naming both`, async () => {
    const { code, res } = await run(major, 's_newer');
    expect(code).toBe(3);
    expect(res.summary).toMatch(new RegExp(`^Schema version ${N + 7} in database s_newer is newer than Coder ${newest.version.replace(/\./g, '\\.')} \\(newest migration ${N}\\): installing it is a downgrade`));
    // Without --coder-version the same database only warns: a later Coder than the table knows may be meant.
    const latest = await run(major, 's_newer', []);
    expect(latest.code).toBe(0);
    expect(latest.res).toMatchObject({ status: 'warn', evidence: { verdictFor: expect.stringMatching(/^Coder .* \(the newest release in the migration table/) } });
  });

  it('fails when the role may not read schema_migrations, and on another application\'s golang-migrate table', async () => {
    const unreadable = await run(major, 's_unreadable');
    expect(unreadable.code).toBe(3);
    expect(unreadable.res.summary).toMatch(/^Role coder may not read public\.schema_migrations in database s_unreadable/);
    expect(unreadable.res.remediation).toContain('ALTER TABLE public.schema_migrations OWNER TO coder;');
    const foreign = await run(major, 's_foreign');
    expect(foreign.code).toBe(3);
    expect(foreign.res.summary).toMatch(/is at version 20241016151312, which is not a Coder migration number/);
  });

  it('warns when another Coder (no application_name, LISTENing, holding one of Coder\'s locks) uses the database; hidden details for another role', async () => {
    const inst = servers[major]!;
    const other = new pg.Client({ connectionString: dbUrl(inst.urls.coder, 's_clean') });
    await other.connect();
    try {
      await other.query('LISTEN coder_pubsub_probe');
      await withClient(dbUrl(inst.urls.superuser, 's_clean'), (c) => c.query('GRANT SELECT ON public.schema_migrations TO limited'));
      const held = new pg.Client({ connectionString: dbUrl(inst.urls.coder, 's_clean') });
      await held.connect();
      try {
        await held.query('BEGIN');
        await held.query('SELECT pg_advisory_xact_lock(3)'); // Coder's LockIDDBRollup
        const asOwner = await run(major, 's_clean');
        expect(asOwner.code).toBe(0);
        expect(asOwner.res).toMatchObject({ status: 'warn', evidence: { otherSessions: 2, listeningSessions: 1, sessionsHiddenFromThisRole: 0, sessionApplicationNames: ['(none)'], otherAdvisoryLocks: ['3 (Coder DBRollup)'] } });
        expect(asOwner.res.summary).toMatch(/^Another Coder seems to use database s_clean already \(2 other session\(s\) connected, 1 LISTENing as Coder's pubsub does; DBRollup lock held by pid \d+ \(role coder\)\)/);
        // A role that may not see the sessions' details still sees their application_name and locks.
        const asLimited = await run(major, 's_clean', TARGET, 'limited');
        expect(asLimited.res).toMatchObject({ status: 'warn', evidence: { otherSessions: 2, listeningSessions: 0, sessionsHiddenFromThisRole: 2, sessionApplicationNames: ['(none)'], schemaVersion: String(N) } });
      } finally {
        await held.end();
      }
    } finally {
      await other.end();
    }
  });

  it('warns, without waiting, while a Coder holds its migration lock and TRUNCATEs schema_migrations', async () => {
    const inst = servers[major]!;
    const migrating = new pg.Client({ connectionString: dbUrl(inst.urls.coder, 's_clean') });
    await migrating.connect();
    try {
      // What txnmigrator.go does: one transaction, the lock, then SetVersion's TRUNCATE (AccessExclusiveLock).
      await migrating.query('BEGIN');
      await migrating.query(`SELECT pg_advisory_xact_lock(${CODER_MIGRATION_LOCK})`);
      await migrating.query('TRUNCATE schema_migrations');
      const t0 = performance.now();
      const { code, res } = await run(major, 's_clean');
      expect(performance.now() - t0).toBeLessThan(9_000); // the collector's timeout is 10 s: it did not wait for the lock
      expect(code).toBe(0);
      expect(res.status).toBe('warn');
      expect(res.summary).toMatch(/^A Coder is migrating database s_clean right now \(migration lock held by pid \d+ \(role coder\)\)/);
      expect(res.evidence).toMatchObject({ schemaVersion: null, otherAdvisoryLocks: [`${CODER_MIGRATION_LOCK} (Coder migration)`] });
    } finally {
      await migrating.query('ROLLBACK').catch(() => {});
      await migrating.end();
    }
    expect((await run(major, 's_clean')).res.status).toBe('pass');
    expect(await preflightSessionsLeft(inst.urls.superuser)).toBe(0);
  });
});

describe('postgres.existing-schema on PostgreSQL 10', () => {
  it.each([
    ['s_empty', 'pass', 0],
    ['s_clean', 'pass', 0],
    ['s_dirty', 'fail', 3],
    ['s_v1', 'fail', 3],
    ['s_newer', 'fail', 3],
  ] as const)('%s: %s', async (db, status, exit) => {
    const { code, res } = await run(10, db);
    expect(res.status).toBe(status);
    expect(code).toBe(exit);
  });
});
