// Coder's validated architectures want the database under 10 ms from coderd ("essential", CVA
// index.md, scale-coder.md); Coder's own health check warns at a 15 ms median of pings
// (CODER_HEALTH_CHECK_THRESHOLD_DATABASE; coder-requirements.md §3d). Every request of Coder's
// makes several queries in sequence, so the round trip adds up.
import { defineCheck } from '../../src/engine/define.ts';
import type { LatencyMeasurement } from '../../src/facts/postgres/latency.ts';

const p50Of = (m: LatencyMeasurement) => m.query?.p50 ?? m.sslRequest.p50;
const what = (m: LatencyMeasurement) => (m.query ? 'SELECT 1 round trips' : 'SSLRequest round trips (no login from there)');
const line = (m: LatencyMeasurement) =>
  `${m.vantage}: ${what(m)} p50 ${p50Of(m)} ms, p95 ${m.query?.p95 ?? m.sslRequest.p95} ms (n=${m.query?.n ?? m.sslRequest.n}); SSLRequest p50 ${m.sslRequest.p50} ms; TCP connect p50 ${m.tcpConnect.p50} ms${m.queryProblem ? `; no query timed: ${m.queryProblem}` : ''}`;

export default defineCheck({
  id: 'postgres.latency',
  title: 'The database answers Coder in under 10 ms',
  category: 'postgres',
  facts: ['postgres.latency'],
  docs: 'https://coder.com/docs/admin/infrastructure/validated-architectures',
  tags: ['latency'],
  defaults: {
    baseline: { maxMs: 10, coderWarnMs: 15, source: 'Coder validated architectures: coderd to PostgreSQL under 10 ms; Coder\'s health check warns at a 15 ms median (CODER_HEALTH_CHECK_THRESHOLD_DATABASE)' },
  },
  explain: {
    what: 'Measures round trips to the database from where coder-preflight runs: SELECT 1 on a warm connection (the verdict: what each of Coder\'s queries pays), PostgreSQL\'s SSLRequest on fresh connections (the server itself answers), and the TCP handshake (evidence only: a local proxy, sidecar or NAT may answer it). 20 samples each after 3 unmeasured ones; min/p50/p95/max and the samples are in the evidence. With --active (or --probe pg-latency), also from a pod on Coder\'s control-plane nodes: the same SELECT 1 round trips when the pod may log in (the login reaches it through a short-lived Secret mounted as files), else SSLRequest round trips, which need no credentials. The verdict follows the pod when there is one: that is where Coder runs.',
    why: 'Coder makes several queries per request, one after another: at 20 ms a round trip, a page that needs ten queries waits 200 ms on the database alone, and Coder\'s health check reports the database as slow from 15 ms. The validated architectures keep the database in the same region, ideally the same zone, under 10 ms.',
    fix: 'Run the database in the same region and zone as the Coder nodes (a managed database in the cluster\'s VPC), avoid cross-region or VPN paths and chained proxies; measure from the cluster (--active, or run coder-preflight in a pod) before moving anything: only that vantage point is where Coder runs.',
  },
  evaluate({ 'postgres.latency': f }, { options }) {
    const cluster = f.measurements.filter((m) => m.inCluster);
    const here = f.measurements.filter((m) => !m.inCluster);
    const judged = cluster[0] ?? here[0];
    if (!judged) return { status: 'error', summary: 'No latency measurement was taken', evidence: {} };
    const p50 = p50Of(judged);
    const evidence = {
      server: `${f.host}:${f.port}`,
      measurements: f.measurements.map(line),
      ...(judged.samplesMs ? { samplesMs: judged.samplesMs } : {}),
      p50Ms: p50,
      p95Ms: judged.query?.p95 ?? judged.sslRequest.p95,
      vantage: judged.vantage,
      ...(f.podProblem ? { fromTheCluster: `not measured: ${f.podProblem}` } : {}),
      ...(f.hereProblem ? { fromThisMachine: `not measured: ${f.hereProblem}` } : {}),
    };
    const threshold = { value: `p50 < ${options.maxMs} ms` };
    const slowForCoder = p50 >= options.coderWarnMs ? `; Coder's own health check would warn (≥ ${options.coderWarnMs} ms)` : '';
    if (cluster.length) {
      if (p50 < options.maxMs) return { status: 'pass', summary: `${f.host}:${f.port} answers in ${p50} ms (p50, ${what(judged)}) from ${judged.vantage}, where Coder runs`, evidence, threshold, vantage: judged.vantage };
      return {
        status: 'fail',
        summary: `${f.host}:${f.port} takes ${p50} ms (p50, ${what(judged)}) from ${judged.vantage}, where Coder runs: over the ${options.maxMs} ms Coder's architectures require${slowForCoder}`,
        remediation: 'move the database (or Coder) so both are in one region and zone; look for a proxy, VPN or NAT in the path',
        evidence,
        threshold,
        vantage: judged.vantage,
      };
    }
    if (f.podProblem) {
      // Asked to measure from the cluster, and could not: say so rather than judge from here.
      return {
        status: 'warn',
        summary: `${f.host}:${f.port} ${p50 < options.maxMs ? 'answers in' : 'takes'} ${p50} ms (p50, ${what(judged)}) from ${judged.vantage}; from the cluster it could not be measured: ${f.podProblem}`,
        remediation: 'fix what kept the probe pod from measuring (see the evidence), or run coder-preflight inside the cluster',
        evidence,
        threshold,
        vantage: judged.vantage,
      };
    }
    if (p50 < options.maxMs) return { status: 'pass', summary: `${f.host}:${f.port} answers in ${p50} ms (p50, ${what(judged)}) from ${judged.vantage}; Coder's pods may see another number: --active measures from the cluster`, evidence, threshold, vantage: judged.vantage };
    return {
      status: 'warn',
      summary: `${f.host}:${f.port} takes ${p50} ms (p50, ${what(judged)}) from ${judged.vantage}, which is not where Coder runs${slowForCoder}`,
      remediation: 'measure from the cluster: rerun with --active (a probe pod on Coder\'s nodes), or run coder-preflight inside the cluster; if it is as slow there, move the database next to the Coder nodes',
      evidence,
      threshold,
      vantage: judged.vantage,
    };
  },
});
