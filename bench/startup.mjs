// Cold start of the CLI against bare Node (median of N runs each), and the time to a finished
// run with no targets, with and without a plugin. Prints figures and ratios; asserts nothing.
// Budgets (design.md, issue 13): --version <= 1.5x bare Node; a plugin adds < 20 ms to a run.
// Run: npm run bench   (RUNS=50 npm run bench for more samples)
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const node = process.execPath;
const cli = join(root, 'bin/coder-preflight.js');
const runs = Number(process.env.RUNS ?? 20);
const plugin = join(root, 'examples/region-plugin/index.ts');
const env = { PATH: process.env.PATH, HOME: mkdtempSync(join(tmpdir(), 'cp-bench-')) };

function time(args) {
  const samples = [];
  for (let i = 0; i < runs + 2; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync(node, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    if (r.status !== 0 && r.status !== 1) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    if (i >= 2) samples.push(ms); // the first two warm the OS cache and Node's compile cache
  }
  samples.sort((a, b) => a - b);
  const q = (p) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))];
  return { median: q(0.5), p90: q(0.9), min: samples[0] };
}

const rows = [
  ['bare node -e 0', ['-e', '0']],
  ['coder-preflight --version', [cli, '--version']],
  ['coder-preflight --help', [cli, '--help']],
  ['coder-preflight list', [cli, 'list']],
  ['run, no targets (all skip)', [cli, '-o', 'json']],
  ['run, no targets, + example plugin', [cli, '--plugin', plugin, '-o', 'json']],
  ['--version --plugin (not loaded)', [cli, '--version', '--plugin', plugin]],
];
console.log(`node ${process.version}, ${runs} runs each (median / p90 / min, ms)`);
const results = rows.map(([name, args]) => [name, time(args)]);
const bare = results[0][1].median;
for (const [name, r] of results) {
  console.log(`${name.padEnd(30)} ${r.median.toFixed(1).padStart(7)} ${r.p90.toFixed(1).padStart(7)} ${r.min.toFixed(1).padStart(7)}   ${(r.median / bare).toFixed(2)}x bare`);
}
const v = results[1][1].median / bare;
console.log(`--version is ${v.toFixed(2)}x bare Node (budget 1.5x): ${v <= 1.5 ? 'within budget' : 'OVER BUDGET'}`);
const withPlugin = results[5][1].median - results[4][1].median;
console.log(`a run with the example plugin loaded: ${results[5][1].median.toFixed(1)} ms vs ${results[4][1].median.toFixed(1)} ms without, +${withPlugin.toFixed(1)} ms (budget < 20 ms): ${withPlugin < 20 ? 'within budget' : 'OVER BUDGET'}`);
