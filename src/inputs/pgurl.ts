// Parse a PostgreSQL connection string the way Coder (Go, lib/pq) does, not the way `pg` does:
// a URL is parsed by Go's net/url rules, key=value DSNs are accepted, and a missing sslmode
// means `require` (lib/pq's default), not "no TLS" as in `pg`.
import { ConfigError } from '../errors.ts';

export type SslMode = 'disable' | 'require' | 'verify-ca' | 'verify-full';
export const LIBPQ_SSLMODES: readonly string[] = ['disable', 'require', 'verify-ca', 'verify-full'];

export interface PgSettings {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
  /** The sslmode as written (may be unsupported by lib/pq, e.g. "prefer"). */
  sslmodeRaw: string | undefined;
  sslrootcert?: string;
  sslcert?: string;
  sslkey?: string;
  connectTimeoutSec?: number;
  /** Other parameters (run-time parameters such as search_path). */
  params: Record<string, string>;
  /** Where the settings came from (flag, env var, values file). */
  source: string;
}

/** The sslmode lib/pq will use, or an error string exactly as Coder would fail. */
export function effectiveSslMode(s: Pick<PgSettings, 'sslmodeRaw'>): { mode: SslMode } | { unsupported: string } {
  const raw = s.sslmodeRaw ?? '';
  if (raw === '') return { mode: 'require' };
  if (LIBPQ_SSLMODES.includes(raw)) return { mode: raw as SslMode };
  return {
    unsupported: `unsupported sslmode "${raw}"; only "require" (default), "verify-full", "verify-ca", and "disable" supported`,
  };
}

const KNOWN = new Set(['host', 'port', 'user', 'password', 'dbname', 'sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'connect_timeout']);

function fromParams(p: Record<string, string>, source: string): PgSettings {
  const port = p.port ? Number(p.port) : 5432;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConfigError(`PostgreSQL port "${p.port}" from ${source} is not a port number`, 'use a port between 1 and 65535');
  }
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(p)) if (!KNOWN.has(k)) params[k] = v;
  const ct = p.connect_timeout ? Number(p.connect_timeout) : undefined;
  return {
    host: p.host || 'localhost',
    port,
    user: p.user ?? process.env.USER ?? 'postgres',
    ...(p.password !== undefined ? { password: p.password } : {}),
    database: p.dbname || p.user || process.env.USER || 'postgres',
    sslmodeRaw: p.sslmode,
    ...(p.sslrootcert ? { sslrootcert: p.sslrootcert } : {}),
    ...(p.sslcert ? { sslcert: p.sslcert } : {}),
    ...(p.sslkey ? { sslkey: p.sslkey } : {}),
    ...(ct !== undefined && Number.isFinite(ct) && ct > 0 ? { connectTimeoutSec: ct } : {}),
    params,
    source,
  };
}

/** Go's url.PathUnescape: a '%' must be followed by two hex digits, or parsing fails. */
function goUnescape(s: string, what: string, source: string): string {
  if (/%(?![0-9a-fA-F]{2})/.test(s)) {
    throw new ConfigError(
      `the PostgreSQL URL from ${source} has an invalid escape in its ${what}; Coder (Go) would refuse it`,
      'URL-encode special characters in the password (e.g. % as %25, @ as %40, / as %2F)',
    );
  }
  return decodeURIComponent(s);
}

function parseUrl(url: string, source: string): PgSettings {
  const m = /^(postgres(?:ql)?):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#.*)?$/i.exec(url);
  if (!m) throw new ConfigError(`the PostgreSQL URL from ${source} is not a postgres:// URL`, 'use postgres://user:password@host:5432/db?sslmode=…');
  const [, , authority = '', path = '', query = ''] = m;
  const p: Record<string, string> = {};
  const at = authority.lastIndexOf('@');
  const userinfo = at >= 0 ? authority.slice(0, at) : '';
  const hostport = at >= 0 ? authority.slice(at + 1) : authority;
  if (at >= 0) {
    const colon = userinfo.indexOf(':');
    const user = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
    if (user) p.user = goUnescape(user, 'user name', source);
    if (colon >= 0) p.password = goUnescape(userinfo.slice(colon + 1), 'password', source);
  }
  const hp = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(hostport);
  if (!hp) throw new ConfigError(`the PostgreSQL URL from ${source} has an invalid host:port part`, 'check the host:port part (IPv6 addresses go in [brackets])');
  if (hp[1]) p.host = hp[1].replace(/^\[|\]$/g, '');
  if (hp[2]) p.port = hp[2];
  const db = path.replace(/^\//, '');
  if (db) p.dbname = goUnescape(db, 'database name', source);
  for (const pair of query.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const k = goUnescape((eq >= 0 ? pair.slice(0, eq) : pair).replace(/\+/g, ' '), 'query', source);
    const v = goUnescape((eq >= 0 ? pair.slice(eq + 1) : '').replace(/\+/g, ' '), 'query', source);
    p[k] = v;
  }
  return fromParams(p, source);
}

/** lib/pq's key=value DSN: values may be single-quoted with backslash escapes. */
function parseDsn(dsn: string, source: string): PgSettings {
  const p: Record<string, string> = {};
  let i = 0;
  const s = dsn.trim();
  while (i < s.length) {
    while (s[i] === ' ' || s[i] === '\t') i++;
    const eq = s.indexOf('=', i);
    // Position only: the text there may be part of a password.
    if (eq < 0) throw new ConfigError(`the PostgreSQL connection string from ${source} is malformed at character ${i + 1} (expected key=value)`, 'use key=value pairs or a postgres:// URL');
    const key = s.slice(i, eq).trim();
    i = eq + 1;
    while (s[i] === ' ') i++;
    let val = '';
    if (s[i] === "'") {
      i++;
      while (i < s.length && s[i] !== "'") {
        if (s[i] === '\\') i++;
        val += s[i] ?? '';
        i++;
      }
      if (s[i] !== "'") throw new ConfigError(`the PostgreSQL connection string from ${source} has an unterminated quote`, 'close the quoted value');
      i++;
    } else {
      while (i < s.length && s[i] !== ' ' && s[i] !== '\t') {
        if (s[i] === '\\') i++;
        val += s[i] ?? '';
        i++;
      }
    }
    p[key] = val;
  }
  return fromParams(p, source);
}

export function parsePostgresUrl(input: string, source: string): PgSettings {
  const s = input.trim();
  if (s === '') throw new ConfigError(`the PostgreSQL URL from ${source} is empty`, 'give postgres://user:password@host:5432/db');
  return /^postgres(ql)?:\/\//i.test(s) ? parseUrl(s, source) : parseDsn(s, source);
}

/** A display form with the password masked, for reports. */
export function describePg(s: PgSettings): string {
  const auth = s.password !== undefined ? `${s.user}:[REDACTED]@` : `${s.user}@`;
  const host = s.host.includes(':') ? `[${s.host}]` : s.host;
  const q = s.sslmodeRaw !== undefined ? `?sslmode=${s.sslmodeRaw}` : '';
  return `postgres://${auth}${host}:${s.port}/${s.database}${q}`;
}
