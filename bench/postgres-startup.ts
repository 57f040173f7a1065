// Benchmark: wall time to bring up a world PostgreSQL of each major (initdb + start + roles), and
// to stop it. `node bench/postgres-startup.ts [--rounds 3] [--tls off|on|mtls] [--majors 10,13,17]`
import { PG_MAJORS, startPostgres, stopPostgres, type PgMajor } from '../test/world/postgres.ts';

const argv = process.argv.slice(2);
const arg = (f: string, d: string) => {
  const i = argv.indexOf(f);
  return i === -1 ? d : (argv[i + 1] ?? d);
};
const rounds = Number(arg('--rounds', '3'));
const tls = arg('--tls', 'off') as 'off' | 'on' | 'mtls';
const majors = arg('--majors', PG_MAJORS.join(',')).split(',').map(Number) as PgMajor[];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const rows = [];
for (const major of majors) {
  const start: number[] = [];
  const stop: number[] = [];
  let version = '';
  for (let r = 0; r < rounds; r++) {
    const info = await startPostgres({ major, tls });
    start.push(info.startupMs);
    version = info.serverVersion;
    const t = performance.now();
    await stopPostgres(info);
    stop.push(performance.now() - t);
  }
  rows.push({ major, version, tls, startMedianMs: median(start), startMinMs: Math.min(...start), stopMedianMs: Math.round(median(stop)) });
}
console.log(`PostgreSQL world startup (initdb + start + roles), median of ${rounds}`);
console.table(rows);
