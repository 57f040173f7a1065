import { ONE_REPLICA } from '../../../helpers/context.ts';
import { describe, expect, it } from 'vitest';
import check from '../../../../checks/postgres/privileges.ts';
import type { PostgresPrivilegesFact, PostgresServerFact } from '../../../../src/facts/types.ts';
import { BASELINE_PROFILE, THRESHOLDS } from '../../../../src/target/profile.ts';

const ctx = { profile: BASELINE_PROFILE, thresholds: THRESHOLDS.baseline, vantage: 'here', deployment: ONE_REPLICA };
const server = { ok: true as const, durationMs: 1, value: { version: '17.10', major: 17 } as PostgresServerFact };
type Schema = PostgresPrivilegesFact['searchPathSchemas'][number];
const publicSchema = (over: Partial<Schema> = {}): Schema => ({ name: 'public', owner: 'pg_database_owner', usage: true, create: true, ...over });
const priv = (over: Partial<PostgresPrivilegesFact>): PostgresPrivilegesFact => ({
  user: 'coder', superuser: false, database: 'coder', databaseOwner: 'coder', currentSchema: 'public', searchPath: '"$user", public',
  searchPathSchemas: [publicSchema()], databaseCreate: true, ...over,
});
const run = (p: PostgresPrivilegesFact) => check.evaluate({ 'postgres.privileges': { ok: true, value: p, durationMs: 1 }, 'postgres.server': server }, ctx);

describe('postgres.privileges', () => {
  it('passes for the database owner on PostgreSQL 15+ (public owned by pg_database_owner)', async () => {
    const r = await run(priv({}));
    expect(r).toMatchObject({ status: 'pass', evidence: { schema: 'public', schemaCreate: true } });
    expect(r.summary).toContain('owner of database coder');
  });
  it('passes for a superuser and for a granted role, saying which', async () => {
    expect((await run(priv({ superuser: true }))).summary).toContain('superuser');
    expect((await run(priv({ databaseOwner: 'postgres' }))).summary).toContain('granted CREATE');
  });
  it('fails without CREATE on the schema, with the grants that fix it', async () => {
    const r = await run(priv({ user: 'limited', databaseOwner: 'coder', searchPathSchemas: [publicSchema({ create: false })] }));
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/Role limited lacks CREATE on schema public/);
    expect(r.summary).toMatch(/PostgreSQL 15\+/);
    expect(r.remediation).toMatch(/GRANT USAGE, CREATE ON SCHEMA public TO limited/);
  });
  it('fails without USAGE too', async () => {
    // current_schema() is NULL when the role may not USE the schema: still name the schema and the grant.
    const r = await run(priv({ currentSchema: null, searchPath: 'coder', searchPathSchemas: [{ name: 'coder', owner: 'admin', usage: false, create: false }] }));
    expect(r.summary).toMatch(/lacks USAGE and CREATE on schema coder \(owner admin\)/);
  });
  it('fails when no schema of the search_path exists', async () => {
    const r = await run(priv({ currentSchema: null, searchPath: 'nosuch', searchPathSchemas: [] }));
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/No schema of the search_path "nosuch" exists/);
  });
  it('skips without a database; errors when privileges could not be read', async () => {
    const miss = (reason: 'not-configured' | 'timeout') => check.evaluate({ 'postgres.privileges': { ok: false, reason, message: 'm', hint: 'h', durationMs: 0 }, 'postgres.server': server }, ctx);
    expect((await miss('not-configured')).status).toBe('skip');
    expect((await miss('timeout')).status).toBe('error');
  });
});
