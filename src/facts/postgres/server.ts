import { defineCollector, FactError } from '../collector.ts';
import { connect, classifyPgError } from '../../postgres/connect.ts';
import type { Target } from '../../target/resolve.ts';
import type { CollectContext } from '../collector.ts';
import type { Client } from 'pg';

/** The shared connection for all postgres.* collectors; fails the same way for each. */
export function postgresClient(ctx: CollectContext): Promise<{ client: Client; sslmode: string; connectMs: number }> {
  const pg = ctx.target.postgres;
  if (pg.state === 'absent') throw new FactError('not-configured', 'No database configured', pg.hint);
  if (pg.state === 'unresolved') throw new FactError(pg.reason, pg.message, pg.hint);
  const settings = pg.settings;
  return ctx.resources.use(
    'postgres.client',
    () => connect(settings, ctx.timeoutMs, ctx.signal),
    async ({ client }) => {
      await client.end().catch(() => {});
    },
  );
}

/** One row from the shared connection; errors classified like every postgres fact. */
export async function queryRow<T extends object>(ctx: CollectContext, sql: string, what: string): Promise<T> {
  const { client } = await postgresClient(ctx);
  try {
    const row = (await client.query<T>(sql)).rows[0];
    if (!row) throw new FactError('protocol', `the server returned no ${what}`);
    return row;
  } catch (e) {
    throw classifyPgError(e, pgSettings(ctx.target));
  }
}

export function pgSettings(target: Target) {
  if (target.postgres.state !== 'configured') throw new Error('postgres not configured');
  return target.postgres.settings;
}

export default defineCollector({
  id: 'postgres.server',
  timeoutMs: 10_000,
  async collect(ctx) {
    const { sslmode, connectMs } = await postgresClient(ctx);
    const s = pgSettings(ctx.target);
    const row = await queryRow<{ num: string; ver: string; full: string; ssl: boolean | null }>(
      ctx,
      `SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS ver, version() AS full,
              (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()) AS ssl`,
      'version',
    );
    const versionNum = Number(row.num);
    return {
      host: s.host,
      port: s.port,
      database: s.database,
      user: s.user,
      source: s.source,
      sslmode,
      tls: row.ssl === true,
      versionNum,
      version: row.ver,
      // 10+: 170002 → 17; before 10 the major had two parts: 90624 → 9.6
      major: versionNum >= 100000 ? Math.floor(versionNum / 10000) : Math.floor(versionNum / 10000) + (Math.floor(versionNum / 100) % 100) / 10,
      versionString: row.full,
      connectMs,
    };
  },
});
