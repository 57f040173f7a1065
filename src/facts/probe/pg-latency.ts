// The database seen from where Coder runs: a probe pod on Coder's control-plane nodes measures
// round trips to the host:port the settings give: always credential-free (TCP handshakes and
// SSLRequest round trips; a TCP handshake alone can be answered by a proxy, the SSLRequest only by
// a PostgreSQL speaker), and `SELECT 1` on a warm connection when it may log in (the login goes
// through a short-lived Secret, src/probes/pg-credentials.ts; without leave to create Secrets it
// measures without). postgres.latency judges by this measurement when there is one.
import type { PgLatencyArgs, PgLatencyResult } from '../../probes/agent/pg-latency.ts';
import { defineProbe, type ProbeContext, type ProbeFact } from '../../probes/define.ts';
import { pgLogin, pgLoginNeeds } from '../../probes/pg-credentials.ts';
import { placementWords, runProbePod, runProblem } from '../../probes/pods.ts';
import { databaseTarget } from '../../probes/traffic.ts';
import type { LatencyStats } from '../../postgres/latency.ts';

export interface PgLatencyProbeResult {
  placement: string;
  /** The database, as the settings give it. */
  target?: string;
  node?: string;
  /** Why nothing was measured (no database configured, the pod never ran or reported). */
  problem?: string;
  tcpConnect?: LatencyStats;
  sslRequest?: LatencyStats;
  samplesMs?: number[];
  /** SELECT 1 round trips on a warm connection, when the pod could log in. */
  query?: LatencyStats;
  querySamplesMs?: number[];
  /** Why no query round trip was measured (no leave to create the login Secret, a refused login). */
  queryProblem?: string;
}

declare module '../types.ts' {
  interface FactMap {
    'probe.pg-latency': ProbeFact<PgLatencyProbeResult>;
  }
}

export const PG_LATENCY_SAMPLES = 20;

export default defineProbe({
  name: 'pg-latency',
  fact: 'probe.pg-latency',
  proves: 'the round trip to the database from a pod on Coder\'s control-plane nodes, where Coder runs',
  needs: () => [],
  async run(p: ProbeContext): Promise<PgLatencyProbeResult> {
    const placement = p.collect.target.deployment.controlPlane;
    const base = { placement: placementWords(placement, 'control-plane') };
    const pg = p.collect.target.postgres;
    if (pg.state !== 'configured') return { ...base, problem: 'no database is configured to measure' };
    const target = databaseTarget(pg.settings);
    // Query round trips need a login; without leave to create its Secret, measure without.
    const [mayLogin] = await p.session.allowed(pgLoginNeeds(p.session.namespace));
    const login = mayLogin?.allowed ? await pgLogin(p.session, pg.settings) : undefined;
    const args: PgLatencyArgs = { nonce: p.nonce(), host: target.host, port: target.port, samples: PG_LATENCY_SAMPLES, warmup: 3, timeoutMs: 2000, ...(login ? { login: login.login } : {}) };
    const r = await runProbePod<PgLatencyResult>(
      p,
      {
        name: `pg-latency-${p.nonce()}`,
        probe: 'pg-latency',
        role: 'client',
        mode: 'pg-latency',
        args: args as unknown as Record<string, unknown> & { nonce: string },
        ...(login?.pod ?? {}),
        ...(placement ? { placement } : {}),
        deadlineSeconds: p.podDeadlineSeconds(),
      },
      p.budgetMs(),
    );
    const node = r.node?.name;
    const res = r.report?.ok ? r.report.result : undefined;
    const problem = runProblem(r, 'the probe pod could not measure');
    const queryProblem = login ? res?.queryProblem : 'no leave to create the Secret that would carry the login (create secrets in the scratch namespace): SSLRequest round trips only';
    return {
      ...base,
      target: target.what,
      ...(node ? { node } : {}),
      ...(problem ? { problem } : {}),
      ...(res ? { tcpConnect: res.tcpConnect, sslRequest: res.sslRequest, samplesMs: res.samplesMs } : {}),
      ...(res?.query ? { query: res.query, querySamplesMs: res.querySamplesMs } : {}),
      ...(res && queryProblem ? { queryProblem } : {}),
    };
  },
});
