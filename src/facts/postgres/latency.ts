// Round trips from this machine to the database: TCP handshakes and SSLRequest round trips on fresh
// connections, and `SELECT 1` on the warm shared session — what every query of Coder's pays.
import { ClassifiedError } from '../../errors.ts';
import { handshakes, stats, type LatencyStats } from '../../postgres/latency.ts';
import { withPostgres } from '../../postgres/session.ts';
import { defineCollector } from '../collector.ts';

export interface LatencyMeasurement {
  /** Where it was measured: "this machine (host)", or a pod on a node. */
  vantage: string;
  /** true when the vantage is inside the cluster (a probe pod, or the tool running in-cluster). */
  inCluster: boolean;
  /** `SELECT 1` round trips on a warm connection, ms (absent when no login was possible). */
  query?: LatencyStats;
  /** The query samples, ms, in the order taken. */
  samplesMs?: number[];
  /** SSLRequest round trips on fresh connections, ms. */
  sslRequest: LatencyStats;
  /** TCP handshakes, ms: evidence only (a proxy or NAT may answer them). */
  tcpConnect: LatencyStats;
  /** Why no query was timed from there (a pod that could not log in). */
  queryProblem?: string;
}

export interface PostgresLatencyFact {
  host: string;
  port: number;
  measurements: LatencyMeasurement[];
  /** The pod vantage (--active / --probe pg-latency): why it measured nothing, when it did not. */
  podProblem?: string;
  /** This machine could not measure (the database answers only the cluster); the pod did. */
  hereProblem?: string;
}

declare module '../types.ts' {
  interface FactMap {
    'postgres.latency': PostgresLatencyFact;
  }
}

export const SAMPLES = 20;
const WARMUP = 3;

export default defineCollector({
  id: 'postgres.latency',
  timeoutMs: 15_000,
  async collect(ctx) {
    const t = ctx.target;
    const inCluster = t.kube.configured && t.kube.target.inCluster === true;
    // From this machine first (a probe pod's traffic to the same server would disturb it), then
    // from a pod on Coder's nodes when the probe ran. A database only the cluster reaches is still
    // measured from there.
    let here: { host: string; port: number; m: LatencyMeasurement } | undefined;
    let hereError: unknown;
    try {
      here = await withPostgres(ctx, async (session) => {
        const { host, port } = session.settings;
        const query: number[] = [];
        for (let i = 0; i < WARMUP + SAMPLES; i++) {
          const started = performance.now();
          await session.query('SELECT 1');
          if (i >= WARMUP) query.push(Math.round((performance.now() - started) * 100) / 100);
        }
        let hs: { connect: number[]; sslRequest: number[] };
        try {
          hs = await handshakes(host, port, SAMPLES, WARMUP, Math.min(2000, ctx.timeoutMs), ctx.signal);
        } catch (e) {
          throw new ClassifiedError('unreachable', `fresh connections to ${host}:${port} failed while measuring: ${(e as Error).message}`);
        }
        return { host, port, m: { vantage: t.vantage, inCluster, query: stats(query), samplesMs: query, sslRequest: stats(hs.sslRequest), tcpConnect: stats(hs.connect) } };
      });
    } catch (e) {
      hereError = e;
    }
    const probe = await ctx.fact('probe.pg-latency');
    let pod: LatencyMeasurement | undefined;
    let podProblem: string | undefined;
    if (probe.ok && probe.value.state === 'ran') {
      const v = probe.value;
      if (v.sslRequest && v.tcpConnect) {
        const samples = v.querySamplesMs ?? v.samplesMs;
        pod = { vantage: `a pod on node ${v.node ?? '?'} (${v.placement})`, inCluster: true, sslRequest: v.sslRequest, tcpConnect: v.tcpConnect, ...(v.query ? { query: v.query } : {}), ...(samples ? { samplesMs: samples } : {}), ...(v.queryProblem ? { queryProblem: v.queryProblem } : {}) };
      } else podProblem = v.problem ?? 'the probe pod reported no measurement';
    } else if (probe.ok && probe.value.state === 'forbidden') podProblem = `the pg-latency probe may not run: ${probe.value.missing.join(', ')}`;
    if (!here) {
      if (!pod || t.postgres.state !== 'configured') throw hereError;
      const { host, port } = t.postgres.settings;
      return { host, port, measurements: [pod], hereProblem: hereError instanceof Error ? hereError.message : String(hereError) };
    }
    return { host: here.host, port: here.port, measurements: pod ? [here.m, pod] : [here.m], ...(podProblem ? { podProblem } : {}) };
  },
});
