import { defineCollector } from '../collector.ts';
import { classifyPgError } from '../../postgres/connect.ts';
import { pgSettings, postgresClient } from './server.ts';
import type { PostgresConnectionsFact } from '../types.ts';

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
  async collect(ctx) {
    const { client } = await postgresClient(ctx);
    try {
      const row = (await client.query<PostgresConnectionsFact>(SQL)).rows[0];
      if (!row) throw new Error('the server returned no connection settings');
      return row;
    } catch (e) {
      throw classifyPgError(e, pgSettings(ctx.target));
    }
  },
});
