// What is already in the target database, as Coder would find it at start-up: its v2 migration
// table (schema_migrations, golang-migrate's version and dirty flag), a Coder v1 database
// (migration_cursor, which Coder 2.x refuses: coderd/database/migrations/migrate.go), other
// tables, and other sessions or advisory locks on the database (a Coder already running on it).
// Everything but the schema_migrations row comes from the catalogs in one round trip.
import { defineCollector } from '../collector.ts';
import { withPostgres } from '../../postgres/session.ts';

/** Tables of a Coder 2.x schema (created by migrations 000002–000004, still in v2.30.0's dump.sql). */
export const CODER_V2_TABLES = ['workspaces', 'templates', 'template_versions', 'provisioner_jobs', 'workspace_builds'] as const;

export interface PgSessionSeen {
  pid: number;
  /** null when the server does not say (a background worker). */
  user: string | null;
  /** pg_stat_activity.application_name: Coder sets none, so its sessions show '' (unless its URL sets one). */
  applicationName: string;
  /** null when this role may not see the session's details (another role's session, without pg_read_all_stats). */
  state: string | null;
  /**
   * What its last statement was, without its text: `listen` (LISTEN/UNLISTEN, as Coder's pubsub
   * connection), `other`, `none`, or `hidden` when this role may not see it.
   */
  lastQuery: 'listen' | 'other' | 'none' | 'hidden';
}

export interface PgAdvisoryLockSeen {
  pid: number | null;
  /** The bigint key (pg_advisory_lock(bigint)), or "a,b" for the two-int4 form. */
  key: string;
  granted: boolean;
  mode: string;
  user: string | null;
  applicationName: string | null;
}

export interface PgRelationLockSeen {
  pid: number | null;
  mode: string;
  granted: boolean;
}

export interface SchemaMigrationsTable {
  /** Where Coder's unqualified `schema_migrations` resolves (the search_path). */
  schema: string;
  columns: { name: string; type: string }[];
  /** This role may SELECT it (Coder's migrate reads it as the same role). */
  readable: boolean;
  /** Rows, and the one Coder reads (SELECT version, dirty FROM schema_migrations LIMIT 1); null when not read. */
  rows: number | null;
  /** bigint as text (a timestamp-numbered table from another tool does not fit a JS number exactly). */
  version: string | null;
  dirty: boolean | null;
  /** Why the row was not read, when it was not. */
  notRead?: 'unreadable' | 'not-golang-migrate' | 'locked';
  /** Other sessions' locks on the table (a migration in progress holds AccessExclusiveLock from its TRUNCATE). */
  locks: PgRelationLockSeen[];
}

export interface PostgresSchemaFact {
  database: string;
  user: string;
  /** current_schema(): where Coder creates its tables and looks for migration_cursor; null when none. */
  currentSchema: string | null;
  /** Tables and views in current_schema(). */
  relationCount: number;
  /** Up to 10 of their names, sorted. */
  relationSample: string[];
  /** Which of CODER_V2_TABLES exist in current_schema(). */
  coderTables: string[];
  /** Coder v1's migration table in current_schema() (the test Coder 2.x makes before it migrates). */
  v1MigrationCursor: boolean;
  schemaMigrations: SchemaMigrationsTable | null;
  /** Client sessions on this database other than this run's, up to 20 (sessionCount has them all). */
  sessions: PgSessionSeen[];
  sessionCount: number;
  /** Advisory locks held or awaited by other sessions in this database, up to 50. */
  advisoryLocks: PgAdvisoryLockSeen[];
}

declare module '../types.ts' {
  interface FactMap {
    'postgres.schema': PostgresSchemaFact;
  }
}

type CatalogRow = Omit<PostgresSchemaFact, 'schemaMigrations'> & {
  sm: (Omit<SchemaMigrationsTable, 'rows' | 'version' | 'dirty' | 'notRead'> & { qualified: string }) | null;
};

// One statement over the catalogs. pg_locks is readable by every role; pg_stat_activity shows every
// role the pid, user and application_name of each session, but state, query and backend_type only
// for its own role's sessions (or all, with pg_read_all_stats): others' read NULL and
// '<insufficient privilege>' (seen on PostgreSQL 10, 13 and 17).
const CATALOG_SQL = `
WITH me AS (SELECT current_schema() AS schema, current_database() AS db, pg_backend_pid() AS pid,
                   (SELECT oid FROM pg_database WHERE datname = current_database()) AS dboid),
rels AS (
  SELECT c.relname::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, me
   WHERE n.nspname = me.schema AND c.relkind IN ('r', 'p', 'v', 'm', 'f')),
sm AS (SELECT to_regclass('schema_migrations') AS oid),
others AS (
  SELECT a.pid, a.usename::text AS "user", coalesce(a.application_name, '') AS "applicationName", a.state,
         CASE WHEN a.state IS NULL OR a.query = '<insufficient privilege>' THEN 'hidden'
              WHEN a.query ~* '^\\s*(UN)?LISTEN\\s' THEN 'listen'
              WHEN coalesce(a.query, '') = '' THEN 'none'
              ELSE 'other' END AS "lastQuery"
    FROM pg_stat_activity a, me
   WHERE a.datname = me.db AND a.pid <> me.pid
     -- backend_type is NULL, like state and query, in the rows of another role's sessions.
     AND (a.backend_type = 'client backend' OR (a.backend_type IS NULL AND a.usename IS NOT NULL))
     AND coalesce(a.application_name, '') <> 'coder-preflight')
SELECT me.db AS database, current_user AS "user", me.schema AS "currentSchema",
       (SELECT count(*)::int FROM rels) AS "relationCount",
       (SELECT coalesce(json_agg(name ORDER BY name), '[]') FROM (SELECT name FROM rels ORDER BY name LIMIT 10) r) AS "relationSample",
       (SELECT coalesce(json_agg(name ORDER BY name), '[]') FROM rels WHERE name = ANY ($1::text[])) AS "coderTables",
       EXISTS (SELECT 1 FROM rels WHERE name = 'migration_cursor') AS "v1MigrationCursor",
       (SELECT json_build_object(
                 'schema', n.nspname, 'qualified', quote_ident(n.nspname) || '.' || quote_ident(c.relname),
                 'readable', has_table_privilege(c.oid, 'SELECT'),
                 'columns', (SELECT coalesce(json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod)) ORDER BY a.attnum), '[]')
                               FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
                 'locks', (SELECT coalesce(json_agg(json_build_object('pid', l.pid, 'mode', l.mode, 'granted', l.granted)), '[]')
                             FROM pg_locks l WHERE l.locktype = 'relation' AND l.relation = c.oid AND l.pid IS DISTINCT FROM me.pid))
          FROM sm JOIN pg_class c ON c.oid = sm.oid JOIN pg_namespace n ON n.oid = c.relnamespace) AS sm,
       (SELECT count(*)::int FROM others) AS "sessionCount",
       (SELECT coalesce(json_agg(o ORDER BY o.pid), '[]') FROM (SELECT * FROM others ORDER BY pid LIMIT 20) o) AS sessions,
       (SELECT coalesce(json_agg(x ORDER BY x.key), '[]') FROM (
          SELECT l.pid, l.granted, l.mode, a.usename::text AS "user", a.application_name AS "applicationName",
                 CASE WHEN l.objsubid = 1
                      THEN ((CASE WHEN l.classid::bigint >= 2147483648 THEN l.classid::bigint - 4294967296 ELSE l.classid::bigint END) * 4294967296 + l.objid::bigint)::text
                      ELSE l.classid::text || ',' || l.objid::text END AS key
            FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
           WHERE l.locktype = 'advisory' AND l.database = me.dboid AND l.pid IS DISTINCT FROM me.pid
             AND coalesce(a.application_name, '') <> 'coder-preflight'
           LIMIT 50) x) AS "advisoryLocks"
  FROM me`;

/** Coder's migration lock (coderd/database/migrations/txnmigrator.go, lockID): taken for the whole migration transaction. */
export const CODER_MIGRATION_LOCK = '1037453835920848937';

/** Modes that make a plain SELECT wait. */
const BLOCKS_SELECT = new Set(['AccessExclusiveLock']);

export default defineCollector({
  id: 'postgres.schema',
  timeoutMs: 10_000,
  collect: (ctx) =>
    withPostgres(ctx, async (s) => {
      const { sm, ...rest } = await s.row<CatalogRow>(CATALOG_SQL, 'catalog row', [CODER_V2_TABLES]);
      if (!sm) return { ...rest, schemaMigrations: null };
      const { qualified, ...table } = sm;
      const base: SchemaMigrationsTable = { ...table, rows: null, version: null, dirty: null };
      const names = new Set(table.columns.map((c) => c.name));
      if (!names.has('version') || !names.has('dirty')) return { ...rest, schemaMigrations: { ...base, notRead: 'not-golang-migrate' } };
      if (!table.readable) return { ...rest, schemaMigrations: { ...base, notRead: 'unreadable' } };
      // A migration in progress (its TRUNCATE holds AccessExclusiveLock until it commits) would make
      // the SELECT wait, and with it every later query on the shared session: do not read then.
      const migrating = rest.advisoryLocks.some((l) => l.key === CODER_MIGRATION_LOCK);
      if (migrating || table.locks.some((l) => BLOCKS_SELECT.has(l.mode))) return { ...rest, schemaMigrations: { ...base, notRead: 'locked' } };
      // `qualified` is quote_ident()'s output from the server, not user input.
      const row = await s.row<{ rows: number; version: string | null; dirty: string | null }>(
        `SELECT n.rows, s.version, s.dirty FROM (SELECT count(*)::int AS rows FROM ${qualified}) n
           LEFT JOIN LATERAL (SELECT version::text AS version, dirty::text AS dirty FROM ${qualified} LIMIT 1) s ON true`,
        'schema_migrations row',
      );
      const dirty = row.dirty === null ? null : ['true', 't', '1'].includes(row.dirty.toLowerCase());
      return { ...rest, schemaMigrations: { ...base, rows: row.rows, version: row.version, dirty } };
    }),
});
