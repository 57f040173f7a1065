// The active probes on the world's real node (kube-router enforcing NetworkPolicy, local-path as the
// default class, the world's Node image): wall time of each probe alone (`--probe <name>`) and of
// `--active` as a whole, split into the probe itself (its fact's time) and the disposer (removing the
// scratch namespace: the namespace controller waits 5 s before it deletes one, on every cluster).
// Budget (issue 7): --active with all probes <= 20 s. RUNS=3 by default; starts and stops its own
// world (one real node per machine: nothing else may run one meanwhile).
// Run: node bench/probes.ts
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
process.env.CODER_PREFLIGHT_WORLD_DIR ??= join(root, '.world', 'bench-probes');
const { upWorld, downWorld } = await import('../test/world/world.ts');
const { kubeConfig } = await import('../test/world/kube/kube.ts');
const { setDefaultStorageClass } = await import('../test/world/kube/scenario.ts');

const runs = Number(process.env.RUNS ?? 3);
const CHECKS = { 'dynamic-provisioning': 'kubernetes.dynamic-provisioning', 'network-policy': 'kubernetes.network-policy-enforcement' } as const;

interface Sample {
  wallMs: number;
  probeMs: Record<string, number>;
  disposeMs: number;
  statuses: string;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

const world = await upWorld({ pg: [], kube: true, node: true, netpol: true });
try {
  const kc = kubeConfig(world.kube!, 'admin');
  await setDefaultStorageClass(kc, 'bench-probes', world.kube!.storageClasses.wffc, false);
  await setDefaultStorageClass(kc, 'bench-probes', world.node!.storageClass, true);
  const run = (select: string[]): Sample => {
    const args = [join(root, 'bin/coder-preflight.js'), '--kubeconfig', world.kube!.kubeconfig, '--probe-image', world.node!.nodeImage, ...Object.values(CHECKS).flatMap((c) => ['--check', c]), ...select, '-o', 'json', '--debug'];
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: '/nonexistent' } });
    const wallMs = Number(process.hrtime.bigint() - t) / 1e6;
    if (r.status !== 0) throw new Error(`run exited ${r.status}: ${r.stdout.slice(0, 2000)} ${r.stderr.slice(-2000)}`);
    const report = JSON.parse(r.stdout) as { results: { id: string; status: string; evidence: { probeMs?: number } }[] };
    const probeMs: Record<string, number> = {};
    for (const [probe, id] of Object.entries(CHECKS)) {
      const x = report.results.find((y) => y.id === id);
      if (x?.evidence.probeMs !== undefined) probeMs[probe] = x.evidence.probeMs;
    }
    const disposeMs = Number(/probes: removed .* in (\d+) ms/.exec(r.stderr)?.[1] ?? NaN);
    return { wallMs, probeMs, disposeMs, statuses: report.results.map((x) => `${x.id.split('.')[1]}=${x.status}`).join(' ') };
  };
  const cases: [string, string[]][] = [...Object.keys(CHECKS).map((p): [string, string[]] => [`--probe ${p}`, ['--probe', p]]), ['--active', ['--active']]];
  const rows: string[][] = [];
  run(['--active']); // warm-up: the first pods on a fresh node pay for the image's first unpack
  for (const [name, select] of cases) {
    const samples = Array.from({ length: runs }, () => run(select));
    const probes = Object.keys(samples[0]!.probeMs);
    rows.push([
      name,
      probes.map((p) => `${p} ${median(samples.map((s) => s.probeMs[p]!)).toFixed(0)}`).join(', '),
      median(samples.map((s) => s.disposeMs)).toFixed(0),
      median(samples.map((s) => s.wallMs)).toFixed(0),
      Math.max(...samples.map((s) => s.wallMs)).toFixed(0),
      samples[0]!.statuses,
    ]);
  }
  const head = ['run', 'probe time (ms, median)', 'disposer (ms)', 'wall median (ms)', 'wall max (ms)', 'results'];
  console.log(`probes on the world's real node (kube-router, local-path), ${runs} runs each after one warm-up; budget --active <= 20000 ms`);
  console.log(`| ${head.join(' | ')} |`);
  console.log(`|${head.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
} finally {
  await downWorld();
}
