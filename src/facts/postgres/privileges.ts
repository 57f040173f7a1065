import { defineCollector } from '../collector.ts';
import { withPostgres } from '../../postgres/session.ts';

export interface PostgresPrivilegesFact {
  user: string;
  superuser: boolean;
  database: string;
  databaseOwner: string;
  /** current_schema(): null when no schema of the search_path exists or the role may not use any. */
  currentSchema: string | null;
  searchPath: string;
  /** The schemas of the search_path that exist, in order, with the role's rights on each. */
  searchPathSchemas: { name: string; owner: string; usage: boolean; create: boolean }[];
  /** CREATE on the database (create schemas). */
  databaseCreate: boolean;
  /** The advisory-lock functions Coder calls, and a real try with a key of this tool's. */
  advisoryLocks: AdvisoryLocksSeen;
}

export interface AdvisoryLocksSeen {
  /** EXECUTE on pg_advisory_xact_lock(bigint): Coder's migrations take their lock with it (txnmigrator.go). */
  xactLock: boolean;
  /** EXECUTE on pg_try_advisory_xact_lock(bigint): Coder's replicas coordinate their background jobs with it (queries/lock.sql). */
  tryXactLock: boolean;
  /** pg_try_advisory_xact_lock(PREFLIGHT_LOCK_KEY) returned this; null when not tried (no EXECUTE) or it failed. */
  acquired: boolean | null;
  /** Why the try failed, when it did (the server's message). */
  error?: string;
}

/** The key this tool tries a transaction-scoped advisory lock with ("coder-pf" as a bigint): not one of Coder's. */
export const PREFLIGHT_LOCK_KEY = '7165055919039803494';

declare module '../types.ts' {
  interface FactMap {
    'postgres.privileges': PostgresPrivilegesFact;
  }
}

const SQL = `
SELECT current_user AS "user",
       r.rolsuper AS superuser,
       current_database() AS database,
       pg_get_userbyid(d.datdba) AS "databaseOwner",
       current_schema() AS "currentSchema",
       current_setting('search_path') AS "searchPath",
       has_database_privilege(current_database(), 'CREATE') AS "databaseCreate",
       has_function_privilege('pg_catalog.pg_advisory_xact_lock(bigint)', 'EXECUTE') AS "xactLock",
       has_function_privilege('pg_catalog.pg_try_advisory_xact_lock(bigint)', 'EXECUTE') AS "tryXactLock"
  FROM pg_roles r, pg_database d
 WHERE r.rolname = current_user AND d.datname = current_database()`;

// The search_path's schemas that exist, in order, with the role's rights: current_schema() alone is
// NULL both when none exists and when the role may not USE any, and the fix differs.
const SEARCH_PATH_SQL = `
SELECT n.nspname AS name, pg_get_userbyid(n.nspowner) AS owner,
       has_schema_privilege(n.oid, 'USAGE') AS usage, has_schema_privilege(n.oid, 'CREATE') AS "create"
  FROM unnest(string_to_array(current_setting('search_path'), ',')) WITH ORDINALITY AS s(entry, pos)
  JOIN pg_namespace n ON n.nspname = replace(btrim(btrim(s.entry), '"'), '$user', current_user)
 ORDER BY s.pos`;

export default defineCollector({
  id: 'postgres.privileges',
  timeoutMs: 10_000,
  collect: (ctx) =>
    withPostgres(ctx, async (s) => {
      const { xactLock, tryXactLock, ...row } = await s.row<Omit<PostgresPrivilegesFact, 'searchPathSchemas' | 'advisoryLocks'> & { xactLock: boolean; tryXactLock: boolean }>(SQL, 'row for the current role');
      const searchPathSchemas = await s.query<PostgresPrivilegesFact['searchPathSchemas'][number]>(SEARCH_PATH_SQL);
      const advisoryLocks: AdvisoryLocksSeen = { xactLock, tryXactLock, acquired: null };
      // A transaction-scoped lock outside a transaction is released when the statement ends; the
      // try never waits. Without EXECUTE the call would only fail with "permission denied".
      if (tryXactLock) {
        try {
          const [r] = await s.query<{ acquired: boolean }>('SELECT pg_try_advisory_xact_lock($1::bigint) AS acquired', [PREFLIGHT_LOCK_KEY]);
          advisoryLocks.acquired = r?.acquired ?? null;
        } catch (e) {
          advisoryLocks.error = e instanceof Error ? e.message : String(e);
        }
      }
      return { ...row, searchPathSchemas, advisoryLocks };
    }),
});
