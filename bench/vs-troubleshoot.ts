// Side by side with the peer: coder-preflight vs troubleshoot's `preflight` (v0.133.0, built from its
// Go module by scripts/build-troubleshoot.sh) on one local world (PostgreSQL 17 + the real control
// plane with kwok nodes), alternating, N runs each. Prints median wall, CPU (user+sys) and peak RSS
// of every command and our ratios to troubleshoot's. Benchmark only: asserts nothing, never in CI.
//
//   node bench/vs-troubleshoot.ts                 normal world (5 kwok nodes), RUNS=15 by default
//   SCALE=1 node bench/vs-troubleshoot.ts         also seed 5,000 kwok nodes, 50 StorageClasses,
//                                                 200 DaemonSets, 2,000 namespaces (= bench/cluster-scale.ts)
//   KEEP=1 …                                      leave the world up (and reuse it next time: no re-seeding)
//   RUNS=5 …                                      fewer samples
//   BEFORE_CLI=/other/tree/bin/coder-preflight.js  also time another build of ours (before/after a change)
//
// The spec is shared/reference/troubleshoot-preflight-equivalent.yaml (cluster version, default
// StorageClass, node resources, PostgreSQL connect + version) with the world's database URL; in SCALE
// mode it is clusterInfo + clusterResources with the cluster-version, StorageClass and node-resources
// analyzers (as the issue measured). Wall is performance.now() around the spawn; CPU and peak RSS
// come from GNU time (/usr/bin/time -f, wait4's rusage of the child: apt-get install -y time).
// troubleshoot's self-update check (on by default; it would call GitHub) is off by flag and env, and
// any proxy-aware client is pointed at a dead loopback proxy, so nothing leaves the machine.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const root = fileURLToPath(new URL('..', import.meta.url));
const SCALE = process.env.SCALE === '1';
const KEEP = process.env.KEEP === '1';
const RUNS = Number(process.env.RUNS ?? 15);
const WARMUP = Number(process.env.WARMUP ?? 2);
process.env.CODER_PREFLIGHT_WORLD_DIR ??= join(root, '.world', SCALE ? 'bench-scale' : 'bench-vs');
const SPEC_SOURCE = process.env.TS_SPEC ?? join(root, '..', 'shared', 'reference', 'troubleshoot-preflight-equivalent.yaml');
const GNU_TIME = '/usr/bin/time';

const say = (m: string) => process.stderr.write(`bench: ${m}\n`);

if (!existsSync(GNU_TIME)) throw new Error(`${GNU_TIME} is missing: apt-get install -y time`);
const tsBuild = spawnSync('bash', [join(root, 'scripts/build-troubleshoot.sh'), '--print-bin'], { encoding: 'utf8' });
if (tsBuild.status !== 0) throw new Error(`troubleshoot's preflight is not built: run scripts/build-troubleshoot.sh (${tsBuild.stderr.trim()})`);
const TS_BIN = tsBuild.stdout.trim().split('\n').pop()!;
if (!existsSync(join(root, 'dist/cli.js'))) throw new Error('dist/ is missing: node scripts/build.mjs');

const { upWorld, downWorld, readWorld } = await import('../test/world/world.ts');
const { isAlive } = await import('../test/world/proc.ts');
type World = Awaited<ReturnType<typeof upWorld>>;

// ---------------------------------------------------------------------------------------------
// The world

async function world(): Promise<World> {
  const w = readWorld();
  if (w?.kube && w.postgres[0] && isAlive(w.kube.pids.apiserver) && isAlive(w.postgres[0].pid)) {
    say(`reusing the world in ${w.dir}`);
    return w;
  }
  say(`starting a world (PostgreSQL 17 + control plane) in ${process.env.CODER_PREFLIGHT_WORLD_DIR}…`);
  const t = performance.now();
  const up = await upWorld({ pg: [17], kube: true });
  say(`world up in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  return up;
}

/** Run fn over items with at most `limit` in flight; returns when all are done (first error wins). */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

const SEED = { nodes: 5000, storageClasses: 50, daemonSets: 200, namespaces: 2000 };
const SEED_SCENARIO = 'bench-scale';

/** Seed the scale objects (idempotent: what exists already is kept). Prints how long each kind took. */
async function seed(w: World): Promise<void> {
  const k8s = await import('@kubernetes/client-node');
  const { kubeConfig, NOOP_PROVISIONER } = await import('../test/world/kube/kube.ts');
  const { createFakeNodes, SCENARIO_LABEL, FAKE_NODE_LABEL } = await import('../test/world/kube/scenario.ts');
  const kc = kubeConfig(w.kube!, 'admin');
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const storage = kc.makeApiClient(k8s.StorageV1Api);
  const exists = (e: unknown) => {
    if ((e as { code?: number }).code !== 409) throw e;
  };
  const labels = { [SCENARIO_LABEL]: SEED_SCENARIO };
  const count = async (list: (o: { limit: number; _continue?: string; labelSelector: string }) => Promise<{ items: unknown[]; metadata?: { _continue?: string } }>) => {
    let n = 0;
    let token: string | undefined;
    do {
      const p = await list({ limit: 500, labelSelector: `${SCENARIO_LABEL}=${SEED_SCENARIO}`, ...(token ? { _continue: token } : {}) });
      n += p.items.length;
      token = p.metadata?._continue || undefined;
    } while (token);
    return n;
  };
  const timed = async (what: string, n: number, fn: () => Promise<void>) => {
    const t = performance.now();
    await fn();
    const s = (performance.now() - t) / 1000;
    say(`seeded ${n} ${what} in ${s.toFixed(1)} s (${(n / s).toFixed(0)}/s)`);
    seedTimes.push([what, n, s]);
  };

  // Namespaces first: the DaemonSets go into some of them.
  const nsNames = Array.from({ length: SEED.namespaces }, (_, i) => `bench-ns-${String(i).padStart(4, '0')}`);
  if ((await count((o) => core.listNamespace(o))) < SEED.namespaces) {
    await timed('namespaces', SEED.namespaces, () => pool(nsNames, 32, (name) => core.createNamespace({ body: { metadata: { name, labels } } }).catch(exists)));
  }
  if ((await count((o) => storage.listStorageClass(o))) < SEED.storageClasses) {
    const names = Array.from({ length: SEED.storageClasses }, (_, i) => `bench-sc-${String(i).padStart(2, '0')}`);
    await timed('StorageClasses', names.length, () =>
      pool(names, 16, (name) =>
        storage.createStorageClass({ body: { metadata: { name, labels }, provisioner: NOOP_PROVISIONER, volumeBindingMode: 'WaitForFirstConsumer', reclaimPolicy: 'Delete' } }).catch(exists),
      ),
    );
  }
  if ((await count((o) => apps.listDaemonSetForAllNamespaces(o))) < SEED.daemonSets) {
    // Selecting no node: 200 DaemonSets × 5,000 nodes would be a million pods. The lists read them all the same.
    const sets = Array.from({ length: SEED.daemonSets }, (_, i) => ({ namespace: nsNames[i % nsNames.length]!, name: `bench-agent-${String(i).padStart(3, '0')}` }));
    await timed('DaemonSets', sets.length, () =>
      pool(sets, 16, ({ namespace, name }) =>
        apps
          .createNamespacedDaemonSet({
            namespace,
            body: {
              metadata: { name, namespace, labels },
              spec: {
                selector: { matchLabels: { app: name } },
                template: {
                  metadata: { labels: { app: name, ...labels } },
                  spec: {
                    nodeSelector: { 'preflight.test/bench-no-node': 'true', [FAKE_NODE_LABEL]: 'true' },
                    tolerations: [{ operator: 'Exists' }],
                    containers: [{ name: 'agent', image: 'registry.example/agent:1.0', resources: { requests: { cpu: '50m', memory: '64Mi' } } }],
                  },
                },
              },
            },
          })
          .catch(exists),
      ),
    );
  }
  const have = await count((o) => core.listNode(o));
  if (have < SEED.nodes) {
    // Ten EKS node groups over three zones, like a large real cluster.
    const zones = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
    const specs = Array.from({ length: SEED.nodes }, (_, i) => {
      const g = i % 10;
      return { name: `bench-ng${g}-${String(i).padStart(4, '0')}`, group: { kind: 'eks' as const, name: `bench-ng${g}` }, zone: zones[i % 3]!, instanceType: g < 2 ? 'm5.xlarge' : 'm5.2xlarge' };
    });
    await timed('kwok nodes', SEED.nodes, () => pool(specs, 48, (s) => createFakeNodes(kc, SEED_SCENARIO, [s]).catch(exists)));
  }
  // kwok marks them Ready (and the node lifecycle controller lifts its not-ready taint) in a while.
  const t = performance.now();
  for (;;) {
    let ready = 0;
    let total = 0;
    let token: string | undefined;
    do {
      const p = await core.listNode({ limit: 500, labelSelector: `${SCENARIO_LABEL}=${SEED_SCENARIO}`, ...(token ? { _continue: token } : {}) });
      total += p.items.length;
      ready += p.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && !n.spec?.taints?.some((x) => x.key.startsWith('node.kubernetes.io/'))).length;
      token = p.metadata?._continue || undefined;
    } while (token);
    if (ready === total) {
      say(`${ready}/${total} seeded nodes Ready and untainted after ${((performance.now() - t) / 1000).toFixed(1)} s more`);
      break;
    }
    if (performance.now() - t > 600_000) {
      say(`only ${ready}/${total} seeded nodes Ready after 10 min; benchmarking anyway`);
      break;
    }
    await new Promise((r) => setTimeout(r, 3000));
  }
  // Let the controllers finish the namespaces' ServiceAccounts and ConfigMaps before timing anything.
  await new Promise((r) => setTimeout(r, Number(process.env.SETTLE_MS ?? 15_000)));
}
const seedTimes: [string, number, number][] = [];

// ---------------------------------------------------------------------------------------------
// Measuring

interface Sample {
  wallMs: number;
  cpuMs: number;
  rssMiB: number;
  code: number;
  stdout: string;
  stderr: string;
}

const work = mkdtempSync(join(tmpdir(), 'cp-vs-ts-'));
// One HOME for every run of both tools, so each keeps whatever caches it keeps across runs (our
// compile cache, client-go's discovery cache) as it would on a user's machine.
const HOME = join(work, 'home');
mkdirSync(HOME);
const DEAD_PROXY = 'http://127.0.0.1:9';
const env = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME,
  TMPDIR: work,
  PREFLIGHT_AUTO_UPDATE: 'false',
  HTTPS_PROXY: DEAD_PROXY,
  HTTP_PROXY: DEAD_PROXY,
  NO_PROXY: '127.0.0.1,localhost,::1',
};

function measure(cmd: string, args: string[]): Promise<Sample> {
  const timeFile = join(work, 'time.out');
  rmSync(timeFile, { force: true });
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(GNU_TIME, ['-o', timeFile, '-f', '%e %U %S %M %x', cmd, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', () => {
      const wallMs = performance.now() - t;
      const line = readFileSync(timeFile, 'utf8').trim().split('\n').pop() ?? '';
      const [, user, sys, maxKiB, code] = line.split(' ').map(Number) as [number, number, number, number, number];
      resolve({ wallMs, cpuMs: (user + sys) * 1000, rssMiB: maxKiB / 1024, code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

interface Subject {
  name: string;
  cmd: string;
  args: string[];
  /** Throws when the run did not do the work (so a broken setup is never timed as fast). */
  check: (s: Sample) => string;
}

function ours(w: World, name: string, extra: string[], cli = join(root, 'bin/coder-preflight.js')): Subject {
  return {
    name,
    cmd: process.execPath,
    args: [cli, '--kubeconfig', w.kube!.kubeconfig, '--postgres-url', w.postgres[0]!.urls.coder, '-o', 'json', ...extra],
    check: (s) => {
      // 0, 3 (a fail) and 4 are verdicts; 1 (a check could not decide) or 2 (usage) would mean a broken bench.
      if (s.code !== 0 && s.code !== 3 && s.code !== 4) throw new Error(`${name} exited ${s.code}: ${s.stderr.slice(0, 2000)}`);
      const r = JSON.parse(s.stdout) as { results: { id: string; status: string }[] };
      const by: Record<string, number> = {};
      for (const x of r.results) by[x.status] = (by[x.status] ?? 0) + 1;
      return `${r.results.length} checks (${Object.entries(by).map(([k, v]) => `${v} ${k}`).join(', ')}): ${r.results.map((x) => `${x.id}=${x.status}`).join(' ')}`;
    },
  };
}

function troubleshoot(w: World): Subject {
  const spec = parse(readFileSync(SPEC_SOURCE, 'utf8')) as { spec: { collectors: Record<string, unknown>[]; analyzers: Record<string, unknown>[] } };
  if (SCALE) {
    spec.spec.collectors = spec.spec.collectors.filter((c) => !('postgres' in c));
    spec.spec.analyzers = spec.spec.analyzers.filter((a) => !('postgres' in a));
    // clusterResources lists a dozen namespaced kinds in every namespace, at client-go's default
    // rate limit: with 2,000 namespaces one run did not finish in 5 min 48 s. The analyzers here
    // need only cluster-scoped objects (nodes, StorageClasses), which it collects whatever the
    // namespaces; TS_ALL_NAMESPACES=1 times the unrestricted collector.
    if (process.env.TS_ALL_NAMESPACES !== '1') for (const c of spec.spec.collectors) if ('clusterResources' in c) c.clusterResources = { namespaces: ['default', 'kube-system'] };
  } else {
    for (const c of spec.spec.collectors) if ('postgres' in c) (c.postgres as { uri: string }).uri = w.postgres[0]!.urls.coder;
  }
  const file = join(work, 'troubleshoot-spec.yaml');
  writeFileSync(file, stringify(spec));
  return {
    name: SCALE ? `troubleshoot preflight (clusterInfo+clusterResources${process.env.TS_ALL_NAMESPACES === '1' ? '' : ' in 2 namespaces'}, 3 analyzers)` : 'troubleshoot preflight (equivalent spec)',
    cmd: TS_BIN,
    args: [file, '--interactive=false', '--format', 'json', '--auto-update=false', '--kubeconfig', w.kube!.kubeconfig],
    check: (s) => {
      // 0 pass, 3 a fail, 4 a warning (pkg/constants EXIT_CODE_FAIL/WARN).
      if (s.code !== 0 && s.code !== 3 && s.code !== 4) throw new Error(`troubleshoot exited ${s.code}: ${s.stderr.slice(0, 2000)}`);
      const r = JSON.parse(s.stdout) as Record<string, { title: string; message: string }[]>;
      return Object.entries(r)
        .flatMap(([k, v]) => (v ?? []).map((x) => `${x.title}=${k} (${x.message})`))
        .join('; ');
    },
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

// ---------------------------------------------------------------------------------------------

const w = await world();
try {
  if (SCALE) await seed(w);
  const SUBSET = ['--check', 'kubernetes.version,kubernetes.storage-class,kubernetes.node-groups,postgres.connect,postgres.version'];
  const before = process.env.BEFORE_CLI;
  const subjects: Subject[] = [
    ours(w, 'coder-preflight, full passive run', []),
    ours(w, 'coder-preflight, equivalent subset', SUBSET),
    troubleshoot(w),
    ...(before ? [ours(w, 'BEFORE_CLI, full passive run', [], before), ours(w, 'BEFORE_CLI, equivalent subset', SUBSET, before)] : []),
  ];
  const samples = new Map<Subject, Sample[]>(subjects.map((s) => [s, []]));
  const seen = new Map<Subject, string>();
  say(`${RUNS} runs each (+${WARMUP} warm-up), alternating`);
  for (let i = 0; i < RUNS + WARMUP; i++) {
    // Rotate who goes first, so none always runs right after another's load.
    for (let j = 0; j < subjects.length; j++) {
      const s = subjects[(i + j) % subjects.length]!;
      const r = await measure(s.cmd, s.args);
      const what = s.check(r);
      if (!seen.has(s)) seen.set(s, what);
      if (i >= WARMUP) samples.get(s)!.push(r);
    }
  }
  const nodes = SCALE ? `${SEED.nodes} seeded kwok nodes + the world's 5, ${SEED.storageClasses} StorageClasses, ${SEED.daemonSets} DaemonSets, ${SEED.namespaces} namespaces` : "the world's 5 kwok nodes";
  console.log(`\ncoder-preflight vs troubleshoot preflight ${TS_BIN.split('/').at(-2)}: ${RUNS} alternating runs each, medians (${nodes}; node ${process.version})`);
  for (const [s, what] of seen) console.log(`  ${s.name}: ${what}`);
  if (seedTimes.length) console.log(`  seeding: ${seedTimes.map(([k, n, t]) => `${n} ${k} ${t.toFixed(1)} s`).join(', ')}`);
  const ts = subjects[2]!;
  const m = (s: Subject, k: 'wallMs' | 'cpuMs' | 'rssMiB') => median(samples.get(s)!.map((x) => x[k]));
  console.log('');
  const width = Math.max(...subjects.map((s) => s.name.length));
  console.log(`| ${'command'.padEnd(width)} | wall ms | CPU ms | peak RSS MiB | wall vs ts | CPU vs ts | RSS vs ts |`);
  console.log(`|${'-'.repeat(width + 2)}|--------:|-------:|-------------:|-----------:|----------:|----------:|`);
  for (const s of subjects) {
    const r = (k: 'wallMs' | 'cpuMs' | 'rssMiB') => (s === ts ? '' : `${(m(s, k) / m(ts, k)).toFixed(2)}x`);
    console.log(`| ${s.name.padEnd(width)} | ${m(s, 'wallMs').toFixed(0).padStart(7)} | ${m(s, 'cpuMs').toFixed(0).padStart(6)} | ${m(s, 'rssMiB').toFixed(0).padStart(12)} | ${r('wallMs').padStart(10)} | ${r('cpuMs').padStart(9)} | ${r('rssMiB').padStart(9)} |`);
  }
  const full = subjects[0]!;
  if (SCALE) {
    console.log(`\nbudget (issue, 5,000 nodes): full run <= 2000 ms wall: ${m(full, 'wallMs').toFixed(0)} ms ${m(full, 'wallMs') <= 2000 ? 'within' : 'OVER'}; <= 150 MiB peak RSS: ${m(full, 'rssMiB').toFixed(0)} MiB ${m(full, 'rssMiB') <= 150 ? 'within' : 'OVER'}`);
  } else {
    const wr = m(full, 'wallMs') / m(ts, 'wallMs');
    const rr = m(full, 'rssMiB') / m(ts, 'rssMiB');
    console.log(`\nbudget (issue): full run wall <= 0.5x troubleshoot's: ${wr.toFixed(2)}x ${wr <= 0.5 ? 'within' : 'OVER'}; peak RSS <= troubleshoot's: ${rr.toFixed(2)}x ${rr <= 1 ? 'within' : 'OVER'}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
  if (KEEP) say(`world left up in ${w.dir} (KEEP=1); stop it with: CODER_PREFLIGHT_WORLD_DIR=${w.dir} npm run world -- down`);
  else await downWorld();
}
