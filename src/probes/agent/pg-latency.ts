// pg-latency: round trips to the database from inside the cluster. Always without credentials: the
// TCP handshake and PostgreSQL's SSLRequest (8 bytes out, one byte back) on fresh connections,
// after a few unmeasured ones. When the layer gives it a login (the settings and the mounted
// Secret, src/probes/pg-credentials.ts), also `SELECT 1` on one warm connection, as Coder's queries
// pay. It talks only to the host:port the layer gives it: the user's database.
import { handshakes, stats, type LatencyStats } from '../../postgres/latency.ts';
import { connect } from '../../postgres/connect.ts';
import { podSettings, type PodPgSettings } from './pg-login.ts';

export interface PgLatencyArgs {
  nonce: string;
  host: string;
  port: number;
  samples: number;
  warmup: number;
  timeoutMs: number;
  /** Log in and time queries too. */
  login?: PodPgSettings;
}

export interface PgLatencyResult {
  tcpConnect: LatencyStats;
  sslRequest: LatencyStats;
  /** The SSLRequest samples, ms. */
  samplesMs: number[];
  /** SELECT 1 round trips on a warm connection (with a login). */
  query?: LatencyStats;
  querySamplesMs?: number[];
  /** Why no query was timed although a login was given ("auth-failed: password authentication failed…"). */
  queryProblem?: string;
}

const round = (x: number) => Math.round(x * 100) / 100;

export async function pgLatency(a: PgLatencyArgs): Promise<PgLatencyResult> {
  const h = await handshakes(a.host, a.port, a.samples, a.warmup, a.timeoutMs);
  const out: PgLatencyResult = { tcpConnect: stats(h.connect), sslRequest: stats(h.sslRequest), samplesMs: h.sslRequest };
  if (!a.login) return out;
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), a.timeoutMs * 2);
  try {
    const c = await connect(podSettings(a.login), a.timeoutMs, ac.signal);
    try {
      const q: number[] = [];
      for (let i = 0; i < a.warmup + a.samples; i++) {
        const t0 = performance.now();
        await c.client.query('SELECT 1');
        if (i >= a.warmup) q.push(round(performance.now() - t0));
      }
      out.query = stats(q);
      out.querySamplesMs = q;
    } finally {
      await c.client.end().catch(() => undefined);
    }
  } catch (e) {
    const err = e as { detail?: { cause?: unknown }; message?: string };
    out.queryProblem = `${String(err.detail?.cause ?? 'error')}: ${String(err.message ?? e).slice(0, 200)}`;
  } finally {
    clearTimeout(timer);
  }
  return out;
}
