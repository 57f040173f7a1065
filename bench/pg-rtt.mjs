// A reference for bench/probes.ts: SELECT 1 round trips on one warm connection, with nothing but
// `pg`, in a process of its own — what the path really costs at that moment, to hold
// coder-preflight's own measurement against. Prints {"p50":…,"p95":…,"n":20}.
// Usage: node bench/pg-rtt.mjs <postgres URL>
import pg from 'pg';

const c = new pg.Client({ connectionString: process.argv[2], ssl: false });
await c.connect();
const xs = [];
for (let i = 0; i < 23; i++) {
  const t = performance.now();
  await c.query('SELECT 1');
  if (i >= 3) xs.push(performance.now() - t);
}
await c.end();
xs.sort((a, b) => a - b);
const at = (p) => xs[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];
console.log(JSON.stringify({ p50: Math.round(at(50) * 100) / 100, p95: Math.round(at(95) * 100) / 100, n: xs.length }));
