// pg-latency: round trips to the database from inside the cluster, without credentials: the TCP
// handshake and PostgreSQL's SSLRequest (8 bytes out, one byte back) on fresh connections, after a
// few unmeasured ones. It talks only to the host:port the layer gives it: the user's database.
import { handshakes, stats, type LatencyStats } from '../../postgres/latency.ts';

export interface PgLatencyArgs {
  nonce: string;
  host: string;
  port: number;
  samples: number;
  warmup: number;
  timeoutMs: number;
}

export interface PgLatencyResult {
  tcpConnect: LatencyStats;
  sslRequest: LatencyStats;
  /** The SSLRequest samples, ms. */
  samplesMs: number[];
}

export async function pgLatency(a: PgLatencyArgs): Promise<PgLatencyResult> {
  const h = await handshakes(a.host, a.port, a.samples, a.warmup, a.timeoutMs);
  return { tcpConnect: stats(h.connect), sslRequest: stats(h.sslRequest), samplesMs: h.sslRequest };
}
