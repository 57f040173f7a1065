// postgres.latency against the world's PostgreSQL, straight and through the delay proxy (a known
// added round trip): under 10 ms passes, over it warns — measured from this machine, which is not
// where Coder runs, so a warn and not a fail. Fresh connections leave nothing in the server log.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck } from '../helpers/cli.ts';
import { startDelayProxy, type DelayProxy } from '../world/delay-proxy.ts';
import { startPostgres, stopPostgres, type PgInstance } from '../world/postgres.ts';

let pg: PgInstance;
let slow: DelayProxy;
const via = (port: number) => `postgres://${pg.roles.coder.name}:${encodeURIComponent(pg.roles.coder.password)}@127.0.0.1:${port}/coder?sslmode=disable`;

beforeAll(async () => {
  pg = await startPostgres({ major: 17 });
  slow = await startDelayProxy({ target: { host: '127.0.0.1', port: pg.port }, upstreamDelayMs: 8, downstreamDelayMs: 8 });
});
afterAll(async () => {
  await slow?.close();
  if (pg) await stopPostgres(pg);
});

describe('postgres.latency from this machine', () => {
  it('passes on loopback, with the samples and the vantage point', async () => {
    const before = readFileSync(pg.log, 'utf8').length;
    const { res, code } = await runCheck('postgres.latency', ['--postgres-url', via(pg.port)]);
    expect(res).toMatchObject({ status: 'pass', summary: new RegExp(`^127\\.0\\.0\\.1:${pg.port} answers in [\\d.]+ ms \\(p50, SELECT 1 round trips\\) from this machine`), threshold: { value: 'p50 < 10 ms' } });
    expect(res.evidence.samplesMs).toHaveLength(20);
    expect(res.evidence.measurements).toEqual([expect.stringMatching(/SSLRequest p50 [\d.]+ ms; TCP connect p50 [\d.]+ ms$/)]);
    expect(code).toBe(0);
    // 23 fresh connections that left at the SSLRequest: nothing about them in the server's log.
    expect(readFileSync(pg.log, 'utf8').slice(before)).not.toMatch(/incomplete startup packet|could not receive data/);
  });

  it('warns through 16 ms of added round trip, saying it was measured from here', async () => {
    const { res } = await runCheck('postgres.latency', ['--postgres-url', via(slow.port)]);
    expect(res).toMatchObject({ status: 'warn', summary: /from this machine \(.*\), which is not where Coder runs; Coder's own health check would warn/, remediation: /--active/ });
    expect(res.evidence.p50Ms).toBeGreaterThanOrEqual(16);
  });
});
