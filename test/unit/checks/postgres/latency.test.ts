import { describe, expect, it } from 'vitest';
import check from '../../../../checks/postgres/latency.ts';
import type { LatencyMeasurement, PostgresLatencyFact } from '../../../../src/facts/postgres/latency.ts';
import { stats } from '../../../../src/postgres/latency.ts';
import { failed, testCheck } from '../../../helpers/check-tester.ts';

const m = (p50: number, over: Partial<LatencyMeasurement> = {}): LatencyMeasurement => {
  const samples = [p50 * 0.9, p50, p50, p50 * 1.1, p50 * 1.5];
  return { vantage: 'this machine (laptop)', inCluster: false, query: stats(samples), samplesMs: samples, sslRequest: stats(samples), tcpConnect: stats([0.2, 0.3]), ...over };
};
const fact = (...measurements: LatencyMeasurement[]): { 'postgres.latency': PostgresLatencyFact } => ({ 'postgres.latency': { host: 'db', port: 5432, measurements } });

describe('stats', () => {
  it('takes nearest-rank percentiles', () => {
    expect(stats([5, 1, 3, 2, 4])).toEqual({ n: 5, min: 1, p50: 3, p95: 5, max: 5 });
    expect(stats(Array.from({ length: 20 }, (_, i) => i + 1))).toMatchObject({ p50: 10, p95: 19 });
  });
});

testCheck(check, {
  pass: [
    { name: 'fast from this machine, saying it is not where Coder runs', facts: fact(m(0.4)), summary: "db:5432 answers in 0.4 ms (p50, SELECT 1 round trips) from this machine (laptop); Coder's pods may see another number", threshold: { value: 'p50 < 10 ms' }, evidence: { p50Ms: 0.4, vantage: 'this machine (laptop)' } },
    { name: 'fast from a pod on the control-plane nodes', facts: fact(m(30), m(2, { vantage: 'a pod on node cp-1', inCluster: true })), summary: 'db:5432 answers in 2 ms (p50, SELECT 1 round trips) from a pod on node cp-1, where Coder runs' },
    {
      name: 'a database only the cluster reaches: measured from the pod, and the evidence says why not from here',
      facts: { 'postgres.latency': { host: 'db', port: 5432, measurements: [m(2, { vantage: 'a pod on node cp-1', inCluster: true })], hereProblem: 'cannot resolve db (ENOTFOUND)' } },
      summary: 'db:5432 answers in 2 ms (p50, SELECT 1 round trips) from a pod on node cp-1, where Coder runs',
      evidence: { fromThisMachine: 'not measured: cannot resolve db (ENOTFOUND)' },
    },
    {
      name: 'the pod could not log in: SSLRequest decides, and the evidence says why no query was timed',
      facts: fact(m(3, { vantage: 'a pod on node cp-1', inCluster: true, query: undefined, samplesMs: undefined, queryProblem: 'no-hba: no pg_hba.conf entry' })),
      summary: '(p50, SSLRequest round trips (no login from there))',
      check: (r) => expect(String((r.evidence.measurements as string[])[0])).toMatch(/no query timed: no-hba: no pg_hba.conf entry$/),
    },
    { name: 'no login from the pod: the SSLRequest round trip decides', facts: fact(m(3, { vantage: 'a pod on node cp-1', inCluster: true, query: undefined, samplesMs: undefined })), summary: '(p50, SSLRequest round trips (no login from there))' },
  ],
  warn: [
    {
      name: 'asked to measure from the cluster, and the probe pod could not',
      facts: { 'postgres.latency': { host: 'db', port: 5432, measurements: [m(0.5)], podProblem: 'pod pg-latency-1 landed on node kwok-1, which fakes pods' } },
      summary: 'db:5432 answers in 0.5 ms (p50, SELECT 1 round trips) from this machine (laptop); from the cluster it could not be measured: pod pg-latency-1 landed on node kwok-1, which fakes pods',
      evidence: { fromTheCluster: 'not measured: pod pg-latency-1 landed on node kwok-1, which fakes pods' },
    },
    { name: 'slow from this machine only', facts: fact(m(22)), summary: "db:5432 takes 22 ms (p50, SELECT 1 round trips) from this machine (laptop), which is not where Coder runs; Coder's own health check would warn (≥ 15 ms)", remediation: /--active/ }],
  fail: [
    { name: 'slow from the cluster', facts: fact(m(0.5), m(12, { vantage: 'a pod on node cp-1', inCluster: true })), summary: "db:5432 takes 12 ms (p50, SELECT 1 round trips) from a pod on node cp-1, where Coder runs: over the 10 ms Coder's architectures require" },
    { name: 'a stricter threshold from the config file', facts: fact(m(4, { inCluster: true, vantage: 'in the cluster (pod coder-preflight)' })), options: { maxMs: 3 }, summary: 'over the 3 ms' },
  ],
  skip: [{ name: 'no database', facts: { 'postgres.latency': failed('not-configured', 'No database configured') }, summary: 'No database configured' }],
  error: [{ name: 'fresh connections failed', facts: { 'postgres.latency': failed('unreachable', 'fresh connections to db:5432 failed') }, summary: /fresh connections/ }],
});
