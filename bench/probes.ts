// The active probes on the world's real node (kube-router enforcing NetworkPolicy, local-path as the
// default class, the world's Node image, PostgreSQL 17 and the world's TLS front door exposed on the
// host side of the node's bridge: the access URL and the egress endpoint point there), in two tables:
//  1. wall time of each probe alone (`--probe <name>`) and of `--active` as a whole, split into the
//     probe itself (its fact's time, from --save-facts) and the disposer (removing the scratch
//     namespace: the namespace controller waits 5 s before it deletes one, on every cluster).
//     Budget (issue 7): --active with all probes <= 20 s.
//  2. postgres.latency against injected round-trip delays of 0, 2, 5, 9, 11 and 20 ms (the world's
//     delay proxy, half each way, in front of the same server), from this machine and from a pod
//     on the node: p50/p95 of SELECT 1 (a warm connection) and SSLRequest (fresh connections), the
//     error of each p50 against the truth (the 0 ms baseline + the delay), and the verdict. Budget:
//     error <= max(10 %, 0.5 ms).
// RUNS=3 by default; starts and stops its own world (one real node per machine: nothing else may
// run one meanwhile). Run: node bench/probes.ts
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
process.env.CODER_PREFLIGHT_WORLD_DIR ??= join(root, '.world', 'bench-probes');
const { upWorld, downWorld } = await import('../test/world/world.ts');
const { kubeConfig } = await import('../test/world/kube/kube.ts');
const { setDefaultStorageClass } = await import('../test/world/kube/scenario.ts');
const { exposeOnBridge, unexpose } = await import('../test/world/node/expose.ts');
const { startDelayProxy } = await import('../test/world/delay-proxy.ts');
const { makeFrontDoorPki, startFrontDoor } = await import('../test/world/front-door.ts');

const runs = Number(process.env.RUNS ?? 3);
const PROBES = {
  'dynamic-provisioning': 'kubernetes.dynamic-provisioning',
  'network-policy': 'kubernetes.network-policy-enforcement',
  'pg-latency': 'postgres.latency',
  'pg-connect': 'postgres.connect-from-cluster',
  'access-url': 'access-url.reachability',
  egress: 'cluster.egress',
} as const;
const FACT = (probe: string) => `probe.${probe}`;

interface Sample {
  wallMs: number;
  probeMs: Record<string, number>;
  disposeMs: number;
  statuses: string;
  report: { results: { id: string; status: string; summary: string; evidence: Record<string, unknown> }[] };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const tmp = mkdtempSync(join(tmpdir(), 'bench-probes-'));

const world = await upWorld({ pg: [17], kube: true, node: true, netpol: true });
const pg = world.postgres[0]!;
const url = (e: { host: string; port: number }) => `postgres://${pg.roles.coder.name}:${encodeURIComponent(pg.roles.coder.password)}@${e.host}:${e.port}/coder?sslmode=disable`;
const exposed: Awaited<ReturnType<typeof exposeOnBridge>>[] = [];
const proxies: { close(): Promise<void> }[] = [];
try {
  const kc = kubeConfig(world.kube!, 'admin');
  await setDefaultStorageClass(kc, 'bench-probes', world.kube!.storageClasses.wffc, false);
  await setDefaultStorageClass(kc, 'bench-probes', world.node!.storageClass, true);
  const straight = await exposeOnBridge({ name: 'bench-pg', target: { host: '127.0.0.1', port: pg.port } });
  exposed.push(straight);
  // The access URL and the egress endpoint: the world's front door on the host side of the bridge
  // (every default endpoint replaced: nothing leaves the machine).
  const pki = makeFrontDoorPki();
  const door = await startFrontDoor(pki, 'good', 'coder', { address: '127.0.0.1', port: 0 });
  proxies.push(door);
  const doorOnBridge = await exposeOnBridge({ name: 'bench-door', target: { host: '127.0.0.1', port: door.port } });
  exposed.push(doorOnBridge);
  const outside = ['--access-url', `https://${doorOnBridge.host}:${doorOnBridge.port}`, '--ca-bundle', pki.rootCa, '--egress-endpoint', `https://${doorOnBridge.host}:${doorOnBridge.port}/v2/`];
  // Asynchronous: the front door and the delay proxies run in this process and must keep serving.
  const spawnAsync = (args: string[]) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const c = spawn(process.execPath, args, { env: { PATH: process.env.PATH, HOME: '/nonexistent' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      c.stdout.on('data', (d) => (stdout += d));
      c.stderr.on('data', (d) => (stderr += d));
      c.on('error', reject);
      c.on('close', (status) => resolve({ status, stdout, stderr }));
    });
  const run = async (select: string[], checks: string[], pgUrl: string): Promise<Sample> => {
    const facts = join(tmp, 'facts.json');
    const args = [join(root, 'bin/coder-preflight.js'), '--kubeconfig', world.kube!.kubeconfig, '--probe-image', world.node!.nodeImage, '--postgres-url', pgUrl, ...outside, ...checks.flatMap((c) => ['--check', c]), ...select, '-o', 'json', '--debug', '--save-facts', facts];
    const t = process.hrtime.bigint();
    const r = await spawnAsync(args);
    const wallMs = Number(process.hrtime.bigint() - t) / 1e6;
    if (![0, 1, 3, 4].includes(r.status ?? -1)) throw new Error(`run exited ${r.status}: ${r.stdout.slice(0, 2000)} ${r.stderr.slice(-2000)}`);
    const report = JSON.parse(r.stdout) as Sample['report'];
    const saved = JSON.parse(readFileSync(facts, 'utf8')) as { facts: Record<string, { ok: boolean; value?: { state?: string; durationMs?: number } }> };
    const probeMs: Record<string, number> = {};
    for (const probe of Object.keys(PROBES)) {
      const f = saved.facts[FACT(probe)];
      if (f?.ok && f.value?.state === 'ran' && f.value.durationMs !== undefined) probeMs[probe] = f.value.durationMs;
    }
    const disposeMs = Number(/probes: removed .* in (\d+) ms/.exec(r.stderr)?.[1] ?? NaN);
    return { wallMs, probeMs, disposeMs, statuses: report.results.map((x) => `${x.id.split('.')[1]}=${x.status}`).join(' '), report };
  };

  // 1. Time of each probe, and of --active (PART=latency skips it; PART=time skips 2).
  const part = process.env.PART ?? 'all';
  const all = Object.values(PROBES);
  const cases: [string, string[], string[]][] = [...Object.entries(PROBES).map(([p, c]): [string, string[], string[]] => [`--probe ${p}`, ['--probe', p], [c]]), ['--active', ['--active'], all]];
  const rows: string[][] = [];
  if (part !== 'latency') await run(['--active'], all, url(straight)); // warm-up: the first pods on a fresh node pay for the image's first unpack
  for (const [name, select, checks] of part === 'latency' ? [] : cases) {
    const samples: Sample[] = [];
    for (let i = 0; i < runs; i++) samples.push(await run(select, checks, url(straight)));
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
  console.log(`probes on the world's real node (kube-router, local-path, PostgreSQL 17 on the bridge), ${runs} runs each after one warm-up; budget --active <= 20000 ms`);
  console.log(`| ${head.join(' | ')} |`);
  console.log(`|${head.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);

  // 2. Latency against injected delays, from this machine and from the pod.
  if (part !== 'time') {
  const DELAYS = [0, 2, 5, 9, 11, 20];
  const parse = (line: string) => {
    const q = /SELECT 1 round trips p50 ([\d.]+) ms, p95 ([\d.]+) ms/.exec(line);
    const s = /SSLRequest p50 ([\d.]+) ms/.exec(line);
    const t = /TCP connect p50 ([\d.]+) ms/.exec(line);
    return { q50: Number(q?.[1]), q95: Number(q?.[2]), ssl50: Number(s?.[1]), tcp50: Number(t?.[1]) };
  };
  type Vantage = 'host' | 'pod';
  const measured: Record<number, Record<Vantage, ReturnType<typeof parse>[]> & { verdict: string[]; ref: number[] }> = {};
  for (const d of DELAYS) {
    const proxy = await startDelayProxy({ target: { host: '127.0.0.1', port: pg.port }, upstreamDelayMs: d / 2, downstreamDelayMs: d / 2 });
    proxies.push(proxy);
    const e = await exposeOnBridge({ name: `bench-pg-${d}`, target: { host: '127.0.0.1', port: proxy.port } });
    exposed.push(e);
    measured[d] = { host: [], pod: [], verdict: [], ref: [] };
    for (let i = 0; i < runs; i++) {
      // The reference, right before: an independent client's SELECT 1 p50 over the same path.
      const ref = await spawnAsync([join(root, 'bench', 'pg-rtt.mjs'), url(e)]);
      measured[d]!.ref.push((JSON.parse(ref.stdout) as { p50: number }).p50);
      const s = await run(['--probe', 'pg-latency'], ['postgres.latency'], url(e));
      const res = s.report.results.find((x) => x.id === 'postgres.latency')!;
      const lines = res.evidence['measurements'] as string[] | undefined;
      if (!lines) throw new Error(`postgres.latency at ${d} ms: ${res.status}: ${res.summary}`);
      measured[d]!.host.push(parse(lines.find((l) => !l.startsWith('a pod'))!));
      measured[d]!.pod.push(parse(lines.find((l) => l.startsWith('a pod'))!));
      measured[d]!.verdict.push(res.status);
    }
  }
  const base = (v: Vantage, k: 'q50' | 'ssl50') => median(measured[0]![v].map((x) => x[k]));
  const head2 = ['injected (ms)', 'vantage', 'SELECT 1 p50 / p95 (ms)', 'reference p50 (ms)', 'error vs reference (ms)', 'vs 0 ms + injected (ms)', 'SSLRequest p50 (ms)', 'TCP connect p50 (ms)', 'within budget', 'verdict'];
  console.log(`\npostgres.latency against injected round-trip delays (delay proxy, half each way), median of ${runs} runs of 20 samples; reference = an independent pg client's SELECT 1 p50 over the same path from this machine, right before each run; budget: error vs reference <= max(10 %, 0.5 ms)`);
  console.log(`| ${head2.join(' | ')} |`);
  console.log(`|${head2.map(() => '---').join('|')}|`);
  let worst = 0;
  for (const d of DELAYS) {
    for (const v of ['host', 'pod'] as Vantage[]) {
      const xs = measured[d]![v];
      const q50 = median(xs.map((x) => x.q50));
      const ssl50 = median(xs.map((x) => x.ssl50));
      const ref = median(measured[d]!.ref);
      const qErr = q50 - ref;
      const naive = q50 - (base(v, 'q50') + d);
      const ok = Math.abs(qErr) <= Math.max(0.1 * ref, 0.5);
      worst = Math.max(worst, Math.abs(qErr));
      const verdict = v === 'pod' ? `${measured[d]!.verdict.join(',')} (reference ${ref < 10 ? '< 10: pass' : '≥ 10: fail'})` : '';
      console.log(`| ${d} | ${v === 'host' ? 'this machine' : 'pod on the node'} | ${q50.toFixed(2)} / ${median(xs.map((x) => x.q95)).toFixed(2)} | ${ref.toFixed(2)} | ${qErr >= 0 ? '+' : ''}${qErr.toFixed(2)} | ${naive >= 0 ? '+' : ''}${naive.toFixed(2)} | ${ssl50.toFixed(2)} | ${median(xs.map((x) => x.tcp50)).toFixed(2)} | ${ok ? 'yes' : 'NO'} | ${verdict} |`);
    }
  }
  console.log(`\nworst SELECT 1 p50 error vs the reference: ${worst.toFixed(2)} ms (the TCP handshake is answered by the proxy, so it does not see the delay: evidence only, as the check says)`);
  }
} finally {
  for (const e of exposed) await unexpose(e).catch(() => undefined);
  for (const p of proxies) await p.close().catch(() => undefined);
  await downWorld();
  rmSync(tmp, { recursive: true, force: true });
}
