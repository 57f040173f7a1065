import { expect } from 'vitest';
import check from '../../../../checks/postgres/existing-schema.ts';
import { CODER_MIGRATION_LOCK, type PgSessionSeen, type PostgresSchemaFact, type SchemaMigrationsTable } from '../../../../src/facts/postgres/schema.ts';
import { CODER_RELEASES } from '../../../../src/postgres/coder-migrations.ts';
import type { Profile } from '../../../../src/engine/types.ts';
import { failed, testCheck } from '../../../helpers/check-tester.ts';

// The generated table's newest and oldest releases: the cases hold whatever it derives.
const newest = CODER_RELEASES.at(-1)!;
const oldest = CODER_RELEASES[0]!;
const N = newest.newestMigration;
const [, maj, min] = /^(\d+)\.(\d+)/.exec(newest.version)!;
const nextMinor = `${maj}.${Number(min) + 1}.0`;

const v2 = (coderVersion?: string): Profile => ({ name: 'v2', ...(coderVersion ? { coderVersion } : {}), source: coderVersion ? `--coder-version ${coderVersion}` : 'values file (coder.*)' });
const v1: Profile = { name: 'v1', coderVersion: '1.44.0', source: '--coder-version 1.44.0' };

const CODER = ['provisioner_jobs', 'template_versions', 'templates', 'workspace_builds', 'workspaces'];
const empty = (over: Partial<PostgresSchemaFact> = {}): PostgresSchemaFact => ({
  database: 'coder', user: 'coder', currentSchema: 'public', relationCount: 0, relationSample: [], coderTables: [], v1MigrationCursor: false,
  schemaMigrations: null, sessions: [], sessionCount: 0, advisoryLocks: [], ...over,
});
const table = (over: Partial<SchemaMigrationsTable> = {}): SchemaMigrationsTable => ({
  schema: 'public', columns: [{ name: 'version', type: 'bigint' }, { name: 'dirty', type: 'boolean' }], readable: true, rows: 1, version: String(N), dirty: false, locks: [], ...over,
});
/** A Coder 2.x schema at migration `version`. */
const coder = (version: number | string, over: Partial<SchemaMigrationsTable> = {}, fact: Partial<PostgresSchemaFact> = {}) => ({
  'postgres.schema': empty({ relationCount: 80, relationSample: ['api_keys', 'licenses', 'organizations'], coderTables: CODER, schemaMigrations: table({ version: String(version), ...over }), ...fact }),
});
const session = (over: Partial<PgSessionSeen> = {}): PgSessionSeen => ({ pid: 4242, user: 'coder', applicationName: '', state: 'idle', lastQuery: 'listen', ...over });

testCheck(check, {
  pass: [
    { name: 'an empty database', facts: { 'postgres.schema': empty() }, profile: v2(newest.version), summary: 'Schema public of database coder is empty: Coder will create its schema', evidence: { schemaMigrations: null, relations: 0, targetCoder: newest.version } },
    {
      name: 'an empty database with unrelated sessions says so',
      facts: { 'postgres.schema': empty({ sessions: [session({ applicationName: 'psql', lastQuery: 'other' })], sessionCount: 1 }) },
      profile: v2(newest.version),
      summary: '(1 other session(s) connected, none holding Coder\'s locks)',
      evidence: { sessionApplicationNames: ['psql'] },
    },
    {
      name: 'a clean schema at the target\'s newest migration: the same schema',
      facts: coder(N),
      profile: v2(newest.version),
      summary: `Coder schema at version ${N}, clean, in database coder: at Coder ${newest.version}'s newest migration (same schema)`,
      evidence: { schemaVersion: String(N), dirty: false, targetNewestMigration: N },
    },
    { name: 'an older clean schema: an upgrade in place', facts: coder(N - 12), profile: v2(newest.version), summary: `Coder ${newest.version} will migrate it from ${N - 12} to ${N} (an upgrade in place)` },
    {
      name: 'no exact version (2.x latest): judged for the newest release known, and says so',
      facts: coder(N),
      profile: v2(),
      summary: `judged for Coder ${newest.version}, the newest release this tool knows`,
      evidence: { verdictFor: new RegExp(`^Coder ${newest.version.replace(/\./g, '\\.')} \\(the newest release`) },
    },
    { name: 'a target newer than the table has every migration the table knows of', facts: coder(N - 1), profile: v2(nextMinor), summary: `Coder ${nextMinor} ships migration ${N - 1} (it has at least ${N}` },
    { name: 'a minor without a patch ("2.30"): the latest patch of it', facts: coder(N), profile: v2(newest.version.replace(/\.\d+$/, '')), summary: `ships migration ${N}` },
    { name: 'the baseline profile judges a v2 schema as 2.x latest', facts: coder(N), profile: 'baseline', summary: `judged for Coder ${newest.version}` },
    { name: 'Coder v1 on its own v1 database: an upgrade in place', facts: { 'postgres.schema': empty({ v1MigrationCursor: true, relationCount: 40, relationSample: ['migration_cursor', 'users'] }) }, profile: v1, summary: 'is a Coder v1 database (migration_cursor): Coder v1 upgrades it in place' },
    { name: 'schema_migrations with no row and nothing else (Coder stopped before its first migration)', facts: { 'postgres.schema': empty({ relationCount: 1, relationSample: ['schema_migrations'], schemaMigrations: table({ rows: 0, version: null, dirty: null }) }) }, profile: v2(newest.version), summary: 'has no version yet and no Coder tables' },
  ],
  warn: [
    {
      name: 'a Coder v1 database without a profile',
      facts: { 'postgres.schema': empty({ v1MigrationCursor: true, relationCount: 40, relationSample: ['migration_cursor'] }) },
      profile: 'baseline',
      summary: 'is a Coder v1 database (migration_cursor in schema public): Coder 2.x refuses it; Coder v1 would upgrade it in place',
      remediation: /pass --coder-version 1\.x/,
    },
    {
      name: 'newer than the newest release known, with no exact target',
      facts: coder(N + 5),
      profile: v2(),
      summary: `Schema version ${N + 5} in database coder is newer than Coder ${newest.version} (newest migration ${N}), the newest release this tool knows`,
      remediation: /pass --coder-version/,
    },
    {
      name: 'a target the table cannot bound from below',
      facts: coder(oldest.newestMigration),
      profile: v2(`${oldest.version}-rc.1`),
      summary: `Cannot tell whether schema version ${oldest.newestMigration} in database coder is newer than Coder ${oldest.version}-rc.1`,
      remediation: /scripts\/coder-migrations\.sh/,
    },
    {
      name: 'another Coder connected to the Coder schema: LISTENing and another role\'s session',
      facts: coder(N, {}, { sessions: [session(), session({ pid: 4243, user: 'other', state: null, lastQuery: 'hidden' })], sessionCount: 2 }),
      profile: v2(newest.version),
      summary: 'Another Coder seems to use database coder already (2 other session(s) connected, 1 LISTENing as Coder\'s pubsub does, 1 of another role (details hidden)): installing a second one on it is either an upgrade or a mistake',
      remediation: /stop the old replicas first/,
      evidence: { otherSessions: 2, listeningSessions: 1, sessionApplicationNames: ['(none)'] },
    },
    {
      name: 'one of Coder\'s well-known locks held on a Coder schema',
      facts: coder(N, {}, { sessions: [session()], sessionCount: 1, advisoryLocks: [{ pid: 4242, key: '3', granted: true, mode: 'ExclusiveLock', user: 'coder', applicationName: '' }] }),
      profile: v2(newest.version),
      summary: 'DBRollup lock held by pid 4242 (role coder)',
      evidence: { otherAdvisoryLocks: ['3 (Coder DBRollup)'] },
    },
    {
      name: 'Coder\'s migration lock held: a Coder is migrating it now (the version is not read)',
      facts: { 'postgres.schema': empty({ schemaMigrations: table({ rows: null, version: null, dirty: null, notRead: 'locked' }), relationCount: 1, relationSample: ['schema_migrations'], sessions: [session({ lastQuery: 'other' })], sessionCount: 1, advisoryLocks: [{ pid: 4242, key: CODER_MIGRATION_LOCK, granted: true, mode: 'ExclusiveLock', user: 'coder', applicationName: '' }] }) },
      profile: v2(newest.version),
      summary: 'A Coder is migrating database coder right now (migration lock held by pid 4242 (role coder))',
      check: (r) => expect(r.summary).not.toMatch(/also:/),
    },
    {
      name: 'Coder\'s migration lock on an empty database: a first Coder starting',
      facts: { 'postgres.schema': empty({ advisoryLocks: [{ pid: 7, key: CODER_MIGRATION_LOCK, granted: false, mode: 'ExclusiveLock', user: 'coder', applicationName: '' }] }) },
      profile: v2(newest.version),
      summary: 'migration lock awaited by pid 7',
    },
    {
      name: 'schema_migrations locked by another session (not Coder\'s lock)',
      facts: coder(N, { rows: null, version: null, dirty: null, notRead: 'locked', locks: [{ pid: 99, mode: 'AccessExclusiveLock', granted: true }] }),
      profile: v2(newest.version),
      summary: 'Another session locks public.schema_migrations in database coder (AccessExclusiveLock held by pid 99)',
    },
    {
      name: 'tables of another application where Coder would create its own',
      facts: { 'postgres.schema': empty({ relationCount: 7, relationSample: ['accounts', 'orders', 'users'] }) },
      profile: v2(newest.version),
      summary: 'Schema public of database coder already has 7 table(s) or view(s) that are not Coder\'s (accounts, orders, users, …)',
      remediation: /its own database/,
    },
    { name: 'an empty schema_migrations beside Coder\'s tables', facts: coder('0', { rows: 0, version: null, dirty: null }), profile: v2(newest.version), summary: 'is empty, but Coder\'s tables exist (provisioner_jobs,' },
  ],
  fail: [
    {
      name: 'dirty: names the version and Coder\'s fix',
      facts: coder(150, { dirty: true }),
      profile: v2(newest.version),
      summary: 'public.schema_migrations is dirty at version 150 in database coder: a migration did not finish, and Coder stops at start-up ("Dirty database version 150. Fix and force version.")',
      remediation: /restore the backup.*UPDATE public\.schema_migrations SET version = 149, dirty = false;.*coder\/coder#4836.*SET dirty = false;/,
      evidence: { dirty: true, schemaVersion: '150' },
    },
    { name: 'dirty without a profile too', facts: coder(68, { dirty: true }), profile: 'baseline', summary: 'is dirty at version 68' },
    {
      name: 'a dirty schema with Coder connected: the dirty row first, the sessions after',
      facts: coder(150, { dirty: true }, { sessions: [session()], sessionCount: 1 }),
      profile: v2(newest.version),
      summary: /^public\.schema_migrations is dirty at version 150.*\(also: Another Coder seems to use database coder already/,
      remediation: /restore the backup.*Also: an upgrade: expected/,
    },
    {
      name: 'a Coder v1 database under Coder 2.x',
      facts: { 'postgres.schema': empty({ v1MigrationCursor: true, relationCount: 40, relationSample: ['migration_cursor', 'users'] }) },
      profile: v2(newest.version),
      summary: 'Database coder is a Coder v1 database (migration_cursor in schema public): Coder 2.x refuses it ("currently connected to a Coder v1 database, aborting database setup")',
      remediation: 'Coder 2.x cannot use or convert a Coder v1 database: give Coder 2.x a new, empty database (as an admin: CREATE DATABASE coder_v2 OWNER coder)',
      check: (r) => expect(r.summary).not.toMatch(/not Coder's/),
    },
    {
      name: 'newer than the exact target: a downgrade, naming both versions',
      facts: coder(N + 3),
      profile: v2(newest.version),
      summary: `Schema version ${N + 3} in database coder is newer than Coder ${newest.version} (newest migration ${N}): installing it is a downgrade, and Coder stops ("no migration found for version ${N + 3}")`,
      remediation: /restore the backup taken before the upgrade/,
    },
    {
      name: 'a pre-release of the newest release is older than it: newer schema still fails',
      facts: coder(N + 1),
      profile: v2(`v${newest.version}-rc.1`),
      summary: `is newer than Coder ${newest.version}-rc.1 (at most migration ${N}, the newest of Coder ${newest.version})`,
    },
    {
      name: 'a timestamp version: another application\'s golang-migrate table',
      facts: { 'postgres.schema': empty({ relationCount: 3, relationSample: ['schema_migrations', 'things'], schemaMigrations: table({ version: '20241016151312' }) }) },
      profile: v2(newest.version),
      summary: 'is at version 20241016151312, which is not a Coder migration number',
      remediation: /its own database/,
    },
    {
      name: 'a schema_migrations of another shape (Rails)',
      facts: { 'postgres.schema': empty({ relationCount: 2, relationSample: ['ar_internal_metadata', 'schema_migrations'], schemaMigrations: table({ columns: [{ name: 'version', type: 'character varying' }], rows: null, version: null, dirty: null, notRead: 'not-golang-migrate' }) }) },
      profile: v2(newest.version),
      summary: 'public.schema_migrations in database coder is not golang-migrate\'s (columns version character varying)',
    },
    {
      name: 'schema_migrations this role may not read, with the statement (quoted names)',
      facts: { 'postgres.schema': empty({ user: 'Coder-App', coderTables: CODER, relationCount: 80, schemaMigrations: table({ schema: 'Coder', readable: false, rows: null, version: null, dirty: null, notRead: 'unreadable' }) }) },
      profile: v2(newest.version),
      summary: 'Role Coder-App may not read "Coder".schema_migrations',
      remediation: 'ALTER TABLE "Coder".schema_migrations OWNER TO "Coder-App";',
    },
    { name: 'Coder v1 on a Coder 2.x database', facts: coder(N), profile: v1, summary: `holds a Coder 2.x schema (public.schema_migrations, version ${N}): Coder v1 cannot use it` },
  ],
  skip: [
    { name: 'no schema to look at', facts: { 'postgres.schema': empty({ currentSchema: null }) }, profile: v2(newest.version), summary: 'No schema of the search_path exists for role coder', remediation: /postgres\.privileges/ },
    { name: 'no database', facts: { 'postgres.schema': failed('not-configured', 'No database configured', { hint: 'h' }) }, summary: 'No database configured', remediation: 'h' },
  ],
  error: [{ name: 'the catalogs could not be read', facts: { 'postgres.schema': failed('timeout', 'm', { hint: 'h' }) }, summary: 'Could not gather postgres.schema: m' }],
});
