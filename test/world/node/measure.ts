// Measure the real node: start time (per phase), RSS of its daemons idle and with N pods, stop
// time. Runs in a world dir of its own (control plane included) and leaves the host as it was.
//
//   node test/world/node/measure.ts [--pods 5] [--no-netpol]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const podsArg = args.indexOf('--pods');
const pods = podsArg >= 0 ? Number(args[podsArg + 1]) : 5;
const netpol = !args.includes('--no-netpol');

// A closed stdout (e.g. `| head`) must not kill us before the node is torn down.
process.stdout.on('error', () => undefined);
let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGPIPE'] as const) process.on(sig, () => (stopping = true));

const dir = mkdtempSync(join(tmpdir(), 'node-measure-'));
process.env.CODER_PREFLIGHT_WORLD_DIR = dir;
// proc.ts reads the world dir at import time, so import after setting it.
const { upKube, downKube } = await import('../kube/kube.ts');
const { upNode, downNode, nodeMemory } = await import('./node.ts');
const { execFileSync } = await import('node:child_process');

const kib = (m: Record<string, number>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, `${(v / 1024).toFixed(1)} MiB`]));
try {
  const kube = await upKube();
  const node = await upNode(kube, { netpol });
  console.log(`node start: ${node.startMs} ms (netpol ${netpol})`, node.phasesMs);
  await new Promise((r) => setTimeout(r, 5000));
  const idle = nodeMemory(node);
  console.log(`RSS idle: total ${(idle.totalKiB / 1024).toFixed(1)} MiB`, kib(idle.rssKiB));
  const kubectl = (a: string[]) => execFileSync(node.kubectl, ['--kubeconfig', node.kubeconfig, ...a], { encoding: 'utf8' });
  const t0 = Date.now();
  for (let i = 0; i < pods; i++) {
    kubectl([
      'run', `m${i}`, `--image=${node.probeImage}`, '--image-pull-policy=Never', '--restart=Never',
      `--overrides=${JSON.stringify({ spec: { automountServiceAccountToken: false, nodeSelector: { 'kubernetes.io/hostname': node.name } } })}`,
      '--', 'httpd', '-f', '-p', '8080', '-h', '/var/www',
    ]);
  }
  if (stopping) throw new Error('interrupted');
  kubectl(['wait', '--for=condition=Ready', 'pod', '--all', '--timeout=120s']);
  console.log(`${pods} pods Ready in ${Date.now() - t0} ms`);
  await new Promise((r) => setTimeout(r, 5000));
  const busy = nodeMemory(node);
  console.log(`RSS with ${pods} pods: total ${(busy.totalKiB / 1024).toFixed(1)} MiB`, kib(busy.rssKiB));
  kubectl(['delete', 'pod', '--all', '--wait=true', '--timeout=60s']);
  const t1 = Date.now();
  const left = await downNode();
  console.log(`node stop: ${Date.now() - t1} ms; host differences left: ${left.length ? left.join('; ') : 'none'}`);
} finally {
  await downNode().catch(() => undefined);
  await downKube();
  rmSync(dir, { recursive: true, force: true });
}
