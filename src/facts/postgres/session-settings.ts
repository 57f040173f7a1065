// The timeouts Coder's sessions would run under, as its role sees them, and where each is set:
// pg_settings.source for the value in effect, pg_db_role_setting for every ALTER ROLE / ALTER
// DATABASE … SET that applies to this role in this database (resetting the winning one only
// uncovers the next), and the connection URL (Coder's lib/pq sends URL parameters it does not
// know, and `options=-c name=value`, as run-time parameters, which override all of those).
import { pgSettings, withPostgres } from '../../postgres/session.ts';
import { serverError } from '../../postgres/server-error.ts';
import { defineCollector } from '../collector.ts';

export const SESSION_TIMEOUTS = ['statement_timeout', 'lock_timeout', 'idle_in_transaction_session_timeout', 'idle_session_timeout'] as const;
export type SessionTimeoutName = (typeof SESSION_TIMEOUTS)[number];

export interface SessionTimeoutSetting {
  name: SessionTimeoutName;
  /** false: this server has no such setting (idle_session_timeout before PostgreSQL 14). */
  exists: boolean;
  /** The value in this session in milliseconds (0: off); null when the setting does not exist. */
  ms: number | null;
  /** pg_settings.source: default, configuration file, command line, global, database, user, database user, client, … */
  source: string | null;
  /** pg_settings.sourcefile:sourceline; null when not set in a file or when the role may not see it (superuser or pg_read_all_settings only). */
  sourceFile: string | null;
}

/** One ALTER … SET stored in pg_db_role_setting that applies to this role in this database. */
export interface StoredSetting {
  /** In pg_settings.source's words: 'database user' (ALTER ROLE r IN DATABASE d), 'user' (ALTER ROLE r), 'database' (ALTER DATABASE d), 'global' (ALTER ROLE ALL). */
  scope: 'database user' | 'user' | 'database' | 'global';
  name: SessionTimeoutName;
  /** As stored, e.g. "5s", "1min", "0". */
  value: string;
}

export interface PostgresSessionSettingsFact {
  /** session_user: the role the URL logs in as, whose settings apply. */
  user: string;
  database: string;
  settings: SessionTimeoutSetting[];
  /** The stored role/database settings for these names, highest precedence first; null when they could not be read. */
  stored: StoredSetting[] | null;
  /** Why `stored` is null (the server's answer), else null. */
  storedError: string | null;
  /** These settings as the connection URL gives them (a parameter, or -c in `options`), which Coder's driver would send and our session does not. */
  fromUrl: { name: SessionTimeoutName; value: string }[];
}

declare module '../types.ts' {
  interface FactMap {
    'postgres.session-settings': PostgresSessionSettingsFact;
  }
}

const SETTINGS_SQL = `
SELECT name, setting, unit, source,
       CASE WHEN sourcefile IS NOT NULL THEN sourcefile || ':' || sourceline END AS "sourceFile"
  FROM pg_settings WHERE name = ANY($1::text[])`;

const WHO_SQL = `SELECT session_user AS "user", current_database() AS database`;

// ALTER ROLE ALL IN DATABASE d is stored like ALTER DATABASE d (setrole 0).
const STORED_SQL = `
SELECT CASE WHEN s.setrole <> 0 AND s.setdatabase <> 0 THEN 'database user'
            WHEN s.setrole <> 0 THEN 'user'
            WHEN s.setdatabase <> 0 THEN 'database'
            ELSE 'global' END AS scope,
       split_part(c, '=', 1) AS name, substr(c, strpos(c, '=') + 1) AS value
  FROM pg_db_role_setting s, unnest(s.setconfig) AS c
 WHERE s.setrole IN (0, (SELECT oid FROM pg_roles WHERE rolname = session_user))
   AND s.setdatabase IN (0, (SELECT oid FROM pg_database WHERE datname = current_database()))
   AND split_part(c, '=', 1) = ANY($1::text[])
 ORDER BY (s.setrole <> 0) DESC, (s.setdatabase <> 0) DESC, 2`;

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };
const isTimeout = (n: string): n is SessionTimeoutName => (SESSION_TIMEOUTS as readonly string[]).includes(n);

/** `-c name=value`, `-cname=value` and `--name=value` in a startup `options` string (PostgreSQL's own syntax). */
export function optionsSettings(options: string): Record<string, string> {
  const out: Record<string, string> = {};
  const t = options.trim().split(/\s+/);
  for (let i = 0; i < t.length; i++) {
    const tok = t[i]!;
    const kv = tok === '-c' ? t[++i] : tok.startsWith('--') ? tok.slice(2) : tok.startsWith('-c') ? tok.slice(2) : undefined;
    const eq = kv?.indexOf('=') ?? -1;
    if (kv && eq > 0) out[kv.slice(0, eq).toLowerCase().replace(/-/g, '_')] = kv.slice(eq + 1);
  }
  return out;
}

/** The timeouts a URL sets: a parameter wins over the same name in `options` (PostgreSQL applies options first). */
export function urlTimeouts(params: Record<string, string>): PostgresSessionSettingsFact['fromUrl'] {
  const lower = Object.fromEntries(Object.entries(params).map(([k, v]) => [k.toLowerCase(), v]));
  const merged = { ...(lower['options'] ? optionsSettings(lower['options']) : {}), ...lower };
  return SESSION_TIMEOUTS.filter((n) => merged[n] !== undefined).map((name) => ({ name, value: merged[name]! }));
}

export default defineCollector({
  id: 'postgres.session-settings',
  timeoutMs: 10_000,
  collect: (ctx) =>
    withPostgres(ctx, async (s) => {
      const names = [...SESSION_TIMEOUTS];
      const who = await s.row<{ user: string; database: string }>(WHO_SQL, 'session user');
      const rows = await s.query<{ name: string; setting: string; unit: string | null; source: string; sourceFile: string | null }>(SETTINGS_SQL, [names]);
      const settings = SESSION_TIMEOUTS.map((name): SessionTimeoutSetting => {
        const r = rows.find((x) => x.name === name);
        if (!r) return { name, exists: false, ms: null, source: null, sourceFile: null };
        return { name, exists: true, ms: Number(r.setting) * (UNIT_MS[r.unit ?? 'ms'] ?? 1), source: r.source, sourceFile: r.sourceFile };
      });
      let stored: StoredSetting[] | null = null;
      let storedError: string | null = null;
      try {
        stored = (await s.query<{ scope: StoredSetting['scope']; name: string; value: string }>(STORED_SQL, [names])).filter((x): x is StoredSetting => isTimeout(x.name));
      } catch (e) {
        const err = serverError(e);
        if (!err) throw e;
        storedError = `pg_db_role_setting: ${err.message} (SQLSTATE ${err.code})`;
      }
      return { ...who, settings, stored, storedError, fromUrl: urlTimeouts(pgSettings(ctx).params) };
    }),
});
