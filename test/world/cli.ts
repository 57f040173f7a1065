// npm run world -- up [--pg <major>...] [--kube] [--node [--netpol]] [--pgbouncer] [--delay-ms N]   prints one JSON object
// npm run world -- down                                                        stops what it started
// npm run world -- status                                                      prints world.json
import { parseArgs } from 'node:util';
import { downWorld, readWorld, upWorld } from './world.ts';
import { isAlive } from './proc.ts';

const usage = 'usage: npm run world -- up [--pg <major>]... [--kube] [--node [--netpol]] [--pgbouncer] [--delay-ms N] | down | status';

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: {
      pg: { type: 'string', multiple: true },
      kube: { type: 'boolean' },
      node: { type: 'boolean' },
      netpol: { type: 'boolean' },
      pgbouncer: { type: 'boolean' },
      'delay-ms': { type: 'string' },
    },
  });
  switch (positionals[0]) {
    case 'up': {
      const pg = (values.pg ?? (values.kube ? [] : ['17'])).flatMap((s) => s.split(',')).map(Number);
      if (pg.some((m) => !Number.isInteger(m) || m < 10 || m > 18)) throw new Error(`--pg takes majors 10..18, got ${values.pg?.join(',')}`);
      const node = values.node ?? values.netpol ?? false;
      const info = await upWorld({ pg, kube: (values.kube ?? false) || node, node, netpol: values.netpol ?? false, pgbouncer: values.pgbouncer ?? false, ...(values['delay-ms'] ? { delayMs: Number(values['delay-ms']) } : {}) });
      process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
      return 0;
    }
    case 'down': {
      const stopped = await downWorld();
      process.stderr.write(`world: stopped ${stopped.length} processes${stopped.length ? ` (${stopped.map((d) => d.name).join(', ')})` : ''}\n`);
      const left = stopped.filter((d) => isAlive(d.pid));
      if (left.length) throw new Error(`still running: ${left.map((d) => `${d.name} (${d.pid})`).join(', ')}`);
      return 0;
    }
    case 'status': {
      const w = readWorld();
      process.stdout.write(`${JSON.stringify(w ?? null, null, 2)}\n`);
      return w ? 0 : 1;
    }
    default:
      process.stderr.write(`${usage}\n`);
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`world: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
