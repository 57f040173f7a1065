// The connection Coder would open (lib/pq's rules), and the server's version. Every other
// postgres.* fact builds on this one.
import { defineCollector } from '../collector.ts';
import { URL_FACT } from '../../inputs/pgurl.ts';
import { pgSession } from '../../postgres/session.ts';

export interface PostgresServerFact {
  host: string;
  port: number;
  database: string;
  user: string;
  /** Where the settings came from (flag, env, values file). */
  source: string;
  /** lib/pq's effective sslmode. */
  sslmode: string;
  tls: boolean;
  /** `SHOW server_version_num`, e.g. 170002. */
  versionNum: number;
  /** `SHOW server_version`, e.g. "17.2". */
  version: string;
  major: number;
  /** `SELECT version()`: build string. */
  versionString: string;
  connectMs: number;
}

declare module '../types.ts' {
  interface FactMap {
    'postgres.server': PostgresServerFact;
  }
}

export default defineCollector({
  id: 'postgres.server',
  timeoutMs: 10_000,
  async collect(ctx) {
    // The string first, as Coder reads it: one Coder refuses is told once, by postgres.url-syntax.
    // (Not for a Secret that could not be read: that cause is this fact's own, told by postgres.connect.)
    const pg = ctx.target.postgres;
    if (pg.state === 'configured' || (pg.state === 'unresolved' && pg.syntax)) await ctx.need(URL_FACT);
    const session = await pgSession(ctx);
    const s = session.settings;
    const row = await session.row<{ num: string; ver: string; full: string; ssl: boolean | null }>(
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
      sslmode: session.sslmode,
      tls: row.ssl === true,
      versionNum,
      version: row.ver,
      // 10+: 170002 → 17; before 10 the major had two parts: 90624 → 9.6
      major: versionNum >= 100000 ? Math.floor(versionNum / 10000) : Math.floor(versionNum / 10000) + (Math.floor(versionNum / 100) % 100) / 10,
      versionString: row.full,
      connectMs: session.connectMs,
    };
  },
});
