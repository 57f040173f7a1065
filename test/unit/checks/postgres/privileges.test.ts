import check from '../../../../checks/postgres/privileges.ts';
import type { PostgresPrivilegesFact } from '../../../../src/facts/postgres/privileges.ts';
import type { PostgresServerFact } from '../../../../src/facts/postgres/server.ts';
import { expect } from 'vitest';
import { failed, testCheck } from '../../../helpers/check-tester.ts';

const server: PostgresServerFact = { host: 'db', port: 5432, database: 'coder', user: 'coder', source: 'x', sslmode: 'require', tls: true, versionNum: 170010, version: '17.10', major: 17, versionString: '', connectMs: 1 };
type Schema = PostgresPrivilegesFact['searchPathSchemas'][number];
const publicSchema = (over: Partial<Schema> = {}): Schema => ({ name: 'public', owner: 'pg_database_owner', usage: true, create: true, ...over });
const priv = (over: Partial<PostgresPrivilegesFact> = {}): { 'postgres.privileges': PostgresPrivilegesFact; 'postgres.server': PostgresServerFact } => ({
  'postgres.privileges': {
    user: 'coder', superuser: false, database: 'coder', databaseOwner: 'coder', currentSchema: 'public', searchPath: '"$user", public',
    searchPathSchemas: [publicSchema()], databaseCreate: true, advisoryLocks: { xactLock: true, tryXactLock: true, acquired: true }, ...over,
  },
  'postgres.server': server,
});

testCheck(check, {
  pass: [
    {
      name: 'the database owner on PostgreSQL 15+ (public owned by pg_database_owner)',
      facts: priv(),
      summary: 'Role coder can create tables in schema public of database coder and take Coder\'s advisory locks (owner of database coder)',
      evidence: { schema: 'public', schemaCreate: true, advisoryXactLock: true, tryAdvisoryXactLock: true, advisoryLockAcquired: true },
    },
    { name: 'a superuser, saying so (informational: never needed)', facts: priv({ superuser: true }), summary: '(superuser: Coder does not need it, and managed services do not give it)', evidence: { superuser: true } },
    { name: 'a granted role, saying so', facts: priv({ databaseOwner: 'postgres' }), summary: 'granted CREATE' },
  ],
  fail: [
    {
      name: 'no CREATE on the schema, with the grants that fix it',
      facts: priv({ user: 'limited', databaseOwner: 'coder', searchPathSchemas: [publicSchema({ create: false })] }),
      summary: /Role limited lacks CREATE on schema public.*PostgreSQL 15\+/,
      // public belongs to pg_database_owner here: owning the database is a fix too.
      remediation: 'as an admin: GRANT USAGE, CREATE ON SCHEMA public TO limited; or ALTER SCHEMA public OWNER TO limited; or ALTER DATABASE coder OWNER TO limited;',
    },
    {
      name: 'a schema owned by a role (PostgreSQL < 15, or a custom schema): no database-owner fix offered, names quoted',
      facts: priv({ user: 'Coder-App', database: 'Coder DB', searchPathSchemas: [{ name: 'Coder', owner: 'postgres', usage: true, create: false }], currentSchema: 'Coder' }),
      summary: 'Role Coder-App lacks CREATE on schema Coder (owner postgres) in database Coder DB',
      remediation: 'as an admin: GRANT USAGE, CREATE ON SCHEMA "Coder" TO "Coder-App"; or ALTER SCHEMA "Coder" OWNER TO "Coder-App";',
      check: (r) => expect(r.remediation).not.toContain('ALTER DATABASE'),
    },
    {
      name: 'EXECUTE on pg_advisory_xact_lock revoked: Coder\'s migration lock fails',
      facts: priv({ advisoryLocks: { xactLock: false, tryXactLock: true, acquired: true } }),
      summary: 'Role coder may not EXECUTE pg_advisory_xact_lock(bigint): Coder takes its migration lock with pg_advisory_xact_lock',
      remediation: 'as an admin: GRANT EXECUTE ON FUNCTION pg_catalog.pg_advisory_xact_lock(bigint) TO coder;',
      evidence: { advisoryXactLock: false },
    },
    {
      name: 'both lock functions revoked and no CREATE: both problems, both statements',
      facts: priv({ user: 'limited', searchPathSchemas: [publicSchema({ create: false })], advisoryLocks: { xactLock: false, tryXactLock: false, acquired: null } }),
      summary: /lacks CREATE on schema public.*; and Role limited may not EXECUTE pg_advisory_xact_lock\(bigint\) or pg_try_advisory_xact_lock\(bigint\)/,
      remediation: /GRANT USAGE, CREATE ON SCHEMA public TO limited;.* Also: as an admin: GRANT EXECUTE ON FUNCTION pg_catalog\.pg_advisory_xact_lock\(bigint\), pg_catalog\.pg_try_advisory_xact_lock\(bigint\) TO limited;/,
    },
    {
      // current_schema() is NULL when the role may not USE the schema: still name the schema and the grant.
      name: 'no USAGE either',
      facts: priv({ currentSchema: null, searchPath: 'coder', searchPathSchemas: [{ name: 'coder', owner: 'admin', usage: false, create: false }] }),
      summary: /lacks USAGE and CREATE on schema coder \(owner admin\)/,
    },
    { name: 'no schema of the search_path exists', facts: priv({ currentSchema: null, searchPath: 'nosuch', searchPathSchemas: [] }), summary: /No schema of the search_path "nosuch" exists/, remediation: 'as an admin: CREATE SCHEMA nosuch AUTHORIZATION coder;' },
    { name: 'no schema: "$user" first names the role\'s own schema', facts: priv({ user: 'Coder-App', currentSchema: null, searchPath: '"$user", public', searchPathSchemas: [] }), summary: 'No schema of the search_path', remediation: 'CREATE SCHEMA "Coder-App" AUTHORIZATION "Coder-App";' },
  ],
  warn: [
    {
      name: 'the lock functions may be called but the try took no lock',
      facts: priv({ advisoryLocks: { xactLock: true, tryXactLock: true, acquired: null, error: 'some proxy said no' } }),
      summary: 'pg_try_advisory_xact_lock did not take a lock (some proxy said no)',
      remediation: /connect directly/,
    },
  ],
  skip: [{ name: 'no database', facts: { 'postgres.privileges': failed('not-configured', 'm', { hint: 'h' }), 'postgres.server': server }, summary: 'm', remediation: 'h' }],
  error: [{ name: 'privileges could not be read', facts: { 'postgres.privileges': failed('timeout', 'm', { hint: 'h' }), 'postgres.server': server }, summary: 'Could not gather postgres.privileges: m', remediation: 'h' }],
});
