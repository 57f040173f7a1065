// The whole local world in one place: what `npm run world -- up/down`, the demo and the vitest
// global setup start and stop. Its description is written to <worldDir>/world.json.
import { existsSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startPostgres, startPgBouncer, type PgBouncerInstance, type PgInstance } from './postgres.ts';
import { startDelayProxyDaemon } from './delay-proxy.ts';
import { stopAll, worldDir, type Daemon } from './proc.ts';
import type { KubeInfo } from './kube/kube.ts';
import type { NodeInfo } from './node/node.ts';

export interface WorldOptions {
  /** PostgreSQL majors to start (plain, no TLS), e.g. [17]. */
  pg: number[];
  /** Start the real control plane. */
  kube: boolean;
  /** Add PgBouncer (transaction pooling) in front of the first PostgreSQL. */
  pgbouncer?: boolean;
  /** Add a TCP delay proxy (one-way ms each direction) in front of the first PostgreSQL. */
  delayMs?: number;
  /** Add one real node (kubelet + containerd + bridge CNI); needs kube and root. */
  node?: boolean;
  /** With node: enforce NetworkPolicy (kube-router firewall). */
  netpol?: boolean;
}

export interface WorldInfo {
  dir: string;
  startedAt: string;
  postgres: PgInstance[];
  pgbouncer?: PgBouncerInstance;
  delayProxy?: { port: number; pid: number; delayMs: number; url: string };
  kube?: KubeInfo;
  node?: NodeInfo;
  startupMs: number;
}

const stateFile = () => join(worldDir, 'world.json');

export function readWorld(): WorldInfo | undefined {
  if (!existsSync(stateFile())) return undefined;
  return JSON.parse(readFileSync(stateFile(), 'utf8')) as WorldInfo;
}

export async function upWorld(o: WorldOptions): Promise<WorldInfo> {
  const started = performance.now();
  mkdirSync(worldDir, { recursive: true });
  const info: WorldInfo = { dir: worldDir, startedAt: new Date().toISOString(), postgres: [], startupMs: 0 };
  try {
    const pgs = Promise.all(o.pg.map((major) => startPostgres({ major, name: `pg${major}` })));
    const kube = o.kube ? (await import('./kube/kube.ts')).upKube() : undefined;
    info.postgres = await pgs;
    const first = info.postgres[0];
    if (first && o.pgbouncer) info.pgbouncer = await startPgBouncer(first);
    if (first && o.delayMs !== undefined) {
      const p = await startDelayProxyDaemon({ name: `${first.name}-delay`, target: { host: first.host, port: first.port }, upstreamDelayMs: o.delayMs, downstreamDelayMs: o.delayMs });
      info.delayProxy = { port: p.port, pid: p.pid, delayMs: o.delayMs, url: first.urls.coder.replace(`:${first.port}/`, `:${p.port}/`) };
    }
    if (kube) {
      info.kube = await kube;
      // A world people run the tool against looks like a usable cluster: one default class, served
      // by the world's provisioner. (Tests use upKube directly and start with no default.)
      const { kubeConfig } = await import('./kube/kube.ts');
      const { createFakeNodes, setDefaultStorageClass, waitForNodesReady } = await import('./kube/scenario.ts');
      const kc = kubeConfig(info.kube, 'admin');
      await setDefaultStorageClass(kc, 'world', info.kube.storageClasses.wffc);
      // …and two EKS-style node groups (kwok nodes: no pod really runs on them), one for Coder and
      // one for workspaces. Not with --node, whose probe pods must land on the real node.
      if (!o.node) {
        const zones = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
        const specs = [
          ...zones.map((zone, i) => ({ name: `world-coder-${i}`, group: { kind: 'eks' as const, name: 'coder' }, zone, instanceType: 'm5.xlarge' })),
          ...zones.slice(0, 2).map((zone, i) => ({ name: `world-workspaces-${i}`, group: { kind: 'eks' as const, name: 'workspaces' }, zone, instanceType: 'm5.2xlarge', capacity: { cpu: '8', memory: '32Gi', pods: '110', 'ephemeral-storage': '100Gi' } })),
        ];
        await createFakeNodes(kc, 'world', specs);
        await waitForNodesReady(kc, specs.map((x) => x.name));
      }
    }
    if (o.node) {
      if (!info.kube) throw new Error('--node needs --kube');
      info.node = await (await import('./node/node.ts')).upNode(info.kube, { netpol: o.netpol ?? false });
    }
  } catch (e) {
    await downWorld();
    throw e;
  }
  info.startupMs = Math.round(performance.now() - started);
  writeFileSync(stateFile(), JSON.stringify(info, null, 2));
  return info;
}

/** Stop everything the world started (by PID), newest first, and forget it. */
export async function downWorld(): Promise<Daemon[]> {
  // The node first: it removes its pods, network namespaces, bridge, iptables/ipset rules and
  // mounts, and the objects it made in the control plane, while that still answers.
  if (readWorld()?.node) await (await import('./node/node.ts')).downNode();
  const stopped = await stopAll();
  rmSync(stateFile(), { force: true });
  return stopped;
}
