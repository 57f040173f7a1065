import check from '../../../../checks/postgres/privileges.ts';
import type { PostgresPrivilegesFact } from '../../../../src/facts/postgres/privileges.ts';
import type { PostgresServerFact } from '../../../../src/facts/postgres/server.ts';
import { failed, testCheck } from '../../../helpers/check-tester.ts';

const server: PostgresServerFact = { host: 'db', port: 5432, database: 'coder', user: 'coder', source: 'x', sslmode: 'require', tls: true, versionNum: 170010, version: '17.10', major: 17, versionString: '', connectMs: 1 };
type Schema = PostgresPrivilegesFact['searchPathSchemas'][number];
const publicSchema = (over: Partial<Schema> = {}): Schema => ({ name: 'public', owner: 'pg_database_owner', usage: true, create: true, ...over });
const priv = (over: Partial<PostgresPrivilegesFact> = {}): { 'postgres.privileges': PostgresPrivilegesFact; 'postgres.server': PostgresServerFact } => ({
  'postgres.privileges': {
    user: 'coder', superuser: false, database: 'coder', databaseOwner: 'coder', currentSchema: 'public', searchPath: '"$user", public',
    searchPathSchemas: [publicSchema()], databaseCreate: true, ...over,
  },
  'postgres.server': server,
});

testCheck(check, {
  pass: [
    {
      name: 'the database owner on PostgreSQL 15+ (public owned by pg_database_owner)',
      facts: priv(),
      summary: 'owner of database coder',
      evidence: { schema: 'public', schemaCreate: true },
    },
    { name: 'a superuser, saying so', facts: priv({ superuser: true }), summary: '(superuser)' },
    { name: 'a granted role, saying so', facts: priv({ databaseOwner: 'postgres' }), summary: 'granted CREATE' },
  ],
  fail: [
    {
      name: 'no CREATE on the schema, with the grants that fix it',
      facts: priv({ user: 'limited', databaseOwner: 'coder', searchPathSchemas: [publicSchema({ create: false })] }),
      summary: /Role limited lacks CREATE on schema public.*PostgreSQL 15\+/,
      remediation: /GRANT USAGE, CREATE ON SCHEMA public TO limited/,
    },
    {
      // current_schema() is NULL when the role may not USE the schema: still name the schema and the grant.
      name: 'no USAGE either',
      facts: priv({ currentSchema: null, searchPath: 'coder', searchPathSchemas: [{ name: 'coder', owner: 'admin', usage: false, create: false }] }),
      summary: /lacks USAGE and CREATE on schema coder \(owner admin\)/,
    },
    { name: 'no schema of the search_path exists', facts: priv({ currentSchema: null, searchPath: 'nosuch', searchPathSchemas: [] }), summary: /No schema of the search_path "nosuch" exists/ },
  ],
  skip: [{ name: 'no database', facts: { 'postgres.privileges': failed('not-configured', 'm', { hint: 'h' }), 'postgres.server': server }, summary: 'm', remediation: 'h' }],
  error: [{ name: 'privileges could not be read', facts: { 'postgres.privileges': failed('timeout', 'm', { hint: 'h' }), 'postgres.server': server }, summary: 'Could not gather postgres.privileges: m', remediation: 'h' }],
});
