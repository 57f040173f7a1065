// A full run of every check against the local world (PostgreSQL 17 + the real control plane):
// median / p90 of N runs of the built CLI. Budget (design.md): full passive run <= 1.5 s.
// Run: node bench/run-world.ts   (RUNS=20 for more samples). Starts and stops its own world.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

process.env.CODER_PREFLIGHT_WORLD_DIR ??= join(fileURLToPath(new URL('..', import.meta.url)), '.world', 'bench');
const { upWorld, downWorld } = await import('../test/world/world.ts');

const root = fileURLToPath(new URL('..', import.meta.url));
const runs = Number(process.env.RUNS ?? 10);
const world = await upWorld({ pg: [17], kube: true });
try {
  const args = [join(root, 'bin/coder-preflight.js'), '--kubeconfig', world.kube!.kubeconfig, '--postgres-url', world.postgres[0]!.urls.coder, '-o', 'json'];
  const samples: number[] = [];
  let last = '';
  for (let i = 0; i < runs + 1; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: '/nonexistent' } });
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    // 0, 3 (a fail) and 4 are verdicts; 1 (a check could not decide) or 2 (usage) would mean a broken bench.
    if (r.status !== 0 && r.status !== 3 && r.status !== 4) throw new Error(`run exited ${r.status}: ${r.stderr}`);
    last = r.stdout;
    if (i > 0) samples.push(ms);
  }
  samples.sort((a, b) => a - b);
  const report = JSON.parse(last) as { results: { id: string; status: string; durationMs: number }[]; durationMs: number };
  console.log(`full run, ${report.results.length} checks (${report.results.map((r) => `${r.id}=${r.status}`).join(', ')}), ${runs} runs`);
  console.log(`wall (process start to exit): median ${samples[Math.floor(runs / 2)]!.toFixed(0)} ms, p90 ${samples[Math.floor(runs * 0.9)]!.toFixed(0)} ms, min ${samples[0]!.toFixed(0)} ms (budget 1500 ms)`);
  console.log(`inside the run (report.durationMs, last run): ${report.durationMs} ms; per check: ${report.results.map((r) => `${r.id} ${r.durationMs} ms`).join(', ')}`);
} finally {
  await downWorld();
}
