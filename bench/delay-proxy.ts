// Benchmark: how well a latency measurement through the test world's delay proxy recovers the
// injected delay. Starts a real PostgreSQL 17, then for each one-way delay (0, 2, 5, 10 ms) runs a
// delay proxy (as the world does: a separate daemon process, or in-process with --in-process) and
// times N `SELECT 1` round trips through it and directly, alternating. Prints, per delay: direct
// and proxied median/p95, the added median, the expected 2×delay and the error. Budget (design.md):
// error ≤ 10 % or 0.5 ms, whichever is larger — a machine busy with other work will exceed it,
// which is why tests only assert generous bounds.
//
//   node bench/delay-proxy.ts [--n 200] [--in-process] [--no-spin] [--major 17] [--json]
import pg from 'pg';
import { startPostgres, stopPostgres } from '../test/world/postgres.ts';
import { startDelayProxy, startDelayProxyDaemon } from '../test/world/delay-proxy.ts';
import { stopDaemon } from '../test/world/proc.ts';

const argv = process.argv.slice(2);
const arg = (f: string, d: string) => {
  const i = argv.indexOf(f);
  return i === -1 ? d : (argv[i + 1] ?? d);
};
const N = Number(arg('--n', '200'));
const major = Number(arg('--major', '17'));
const inProcess = argv.includes('--in-process');
const precise = !argv.includes('--no-spin');
const asJson = argv.includes('--json');
const delays = [0, 2, 5, 10];

const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
};

async function client(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query('SELECT 1'); // warm up
  return c;
}

async function rtt(c: pg.Client): Promise<number> {
  const t = performance.now();
  await c.query('SELECT 1');
  return performance.now() - t;
}

const info = await startPostgres({ major, name: `bench-delay-proxy-pg${major}` });
const rows: Record<string, number | string>[] = [];
try {
  for (const d of delays) {
    let port: number;
    let stop: () => Promise<void>;
    if (inProcess) {
      const p = await startDelayProxy({ target: { host: info.host, port: info.port }, upstreamDelayMs: d, downstreamDelayMs: d, precise });
      port = p.port;
      stop = p.close;
    } else {
      const p = await startDelayProxyDaemon({ name: `bench-delay-proxy-${d}`, target: { host: info.host, port: info.port }, upstreamDelayMs: d, downstreamDelayMs: d, precise });
      port = p.port;
      stop = () => stopDaemon(p);
    }
    const direct = await client(info.urls.coder);
    const proxied = await client(info.urls.coder.replace(`@127.0.0.1:${info.port}/`, `@127.0.0.1:${port}/`));
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < N; i++) {
      a.push(await rtt(direct));
      b.push(await rtt(proxied));
    }
    await direct.end();
    await proxied.end();
    await stop();
    const added = q(b, 0.5) - q(a, 0.5);
    const expected = 2 * d;
    const error = added - expected;
    const budget = Math.max(0.5, 0.1 * expected);
    rows.push({
      oneWayMs: d,
      directP50: +q(a, 0.5).toFixed(3),
      directP95: +q(a, 0.95).toFixed(3),
      proxiedP50: +q(b, 0.5).toFixed(3),
      proxiedP95: +q(b, 0.95).toFixed(3),
      addedP50: +added.toFixed(3),
      expected,
      errorMs: +error.toFixed(3),
      errorPct: expected ? +((100 * error) / expected).toFixed(1) : '-',
      withinBudget: Math.abs(error) <= budget ? 'yes' : 'no',
    });
  }
} finally {
  await stopPostgres(info);
}

if (asJson) console.log(JSON.stringify({ n: N, major, mode: inProcess ? 'in-process' : 'daemon', precise, rows }, null, 2));
else {
  console.log(`delay proxy: median of ${N} SELECT 1 round trips, PostgreSQL ${major}, proxy ${inProcess ? 'in-process' : 'as daemon'}${precise ? '' : ' (no spin)'}`);
  console.table(rows);
}
