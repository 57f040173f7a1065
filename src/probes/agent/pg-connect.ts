// pg-connect: what postgres.connect does from this machine, done from a pod where Coder runs: look
// the host up with the pod's resolver, then log in with Coder's driver's rules (sslmode default
// require, Go's certificate order, lib/pq's parameters) and run one query. A failure comes back
// with its cause (src/postgres/connect.ts PgCause), never as prose to parse. It talks only to the
// database host:port of the settings it is given.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ClassifiedError } from '../../errors.ts';
import { classifyPgError, connect } from '../../postgres/connect.ts';
import { podSettings, type PodPgSettings } from './pg-login.ts';

export interface PgConnectArgs extends PodPgSettings {
  nonce: string;
  timeoutMs: number;
}

export interface PgConnectResult {
  /** The pod's resolver's answer for the host (absent for an IP address or a Unix socket). */
  dns?: { addresses: string[]; ms: number } | { code: string; ms: number };
  ok: boolean;
  connectMs?: number;
  sslmode?: string;
  tls?: boolean;
  version?: string;
  versionNum?: number;
  /** The refusal, as postgres.connect classifies it. */
  failure?: { reason: string; cause: string; message: string; hint?: string; code?: string | null };
}

export async function pgConnect(a: PgConnectArgs): Promise<PgConnectResult> {
  const s = podSettings(a);
  const out: PgConnectResult = { ok: false };
  if (!s.host.startsWith('/') && isIP(s.host.replace(/^\[|\]$/g, '')) === 0) {
    const t0 = performance.now();
    try {
      const addrs = await lookup(s.host, { all: true });
      out.dns = { addresses: addrs.map((x) => x.address).slice(0, 8), ms: Math.round(performance.now() - t0) };
    } catch (e) {
      out.dns = { code: String((e as NodeJS.ErrnoException).code ?? 'ERROR'), ms: Math.round(performance.now() - t0) };
    }
  }
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), a.timeoutMs + 1000);
  try {
    const c = await connect(s, a.timeoutMs, ac.signal);
    try {
      const r = await c.client.query<{ v: string; n: string; ssl: boolean | null }>("SELECT current_setting('server_version') AS v, current_setting('server_version_num') AS n, (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()) AS ssl");
      const row = r.rows[0];
      Object.assign(out, { ok: true, connectMs: c.connectMs, sslmode: c.sslmode, tls: row?.ssl === true, version: row?.v, versionNum: Number(row?.n) });
    } finally {
      await c.client.end().catch(() => undefined);
    }
  } catch (e) {
    const f = e instanceof ClassifiedError ? e : classifyPgError(e, s);
    out.failure = { reason: f.reason, cause: String(f.detail?.cause ?? 'other'), message: f.message, ...(f.hint ? { hint: f.hint } : {}), code: (f.detail?.code as string | null | undefined) ?? null };
  } finally {
    clearTimeout(timer);
  }
  return out;
}
