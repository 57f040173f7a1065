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
}

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
       has_database_privilege(current_database(), 'CREATE') AS "databaseCreate"
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
      const row = await s.row<Omit<PostgresPrivilegesFact, 'searchPathSchemas'>>(SQL, 'row for the current role');
      const searchPathSchemas = await s.query<PostgresPrivilegesFact['searchPathSchemas'][number]>(SEARCH_PATH_SQL);
      return { ...row, searchPathSchemas };
    }),
});
