import { defineCollector } from '../collector.ts';
import { withPostgres } from '../../postgres/session.ts';

export interface PostgresConnectionsFact {
  maxConnections: number;
  superuserReserved: number;
  /** reserved_connections (PostgreSQL 16+; 0 before). */
  reservedConnections: number;
  /** Client backends connected right now, all roles (pg_stat_activity). */
  inUse: number;
  /** Of those, coder-preflight's own. */
  ours: number;
}

declare module '../types.ts' {
  interface FactMap {
    'postgres.connections': PostgresConnectionsFact;
  }
}

const SQL = `
SELECT current_setting('max_connections')::int AS "maxConnections",
       current_setting('superuser_reserved_connections')::int AS "superuserReserved",
       COALESCE(current_setting('reserved_connections', true), '0')::int AS "reservedConnections",
       -- Other roles' rows hide backend_type from a role without pg_read_all_stats; client
       -- backends are the rows with a database (background workers have none).
       (SELECT count(*)::int FROM pg_stat_activity
         WHERE backend_type = 'client backend' OR (backend_type IS NULL AND datname IS NOT NULL)) AS "inUse",
       (SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend' AND application_name = 'coder-preflight') AS ours`;

export default defineCollector({
  id: 'postgres.connections',
  timeoutMs: 10_000,
  collect: (ctx) => withPostgres(ctx, (s) => s.row<PostgresConnectionsFact>(SQL, 'connection settings')),
});
