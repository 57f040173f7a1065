// The real node of the test world (issue 4): a kubelet with containerd, the bridge CNI, kube-router
// as NetworkPolicy enforcer and local-path-provisioner, registered with the shared control plane.
// Pods really run and talk here: all traffic stays on the pod bridge (10.88.0.0/24) and loopback.
//
// Needs root and: scripts/install-node-deps.sh, scripts/build-kube.sh (kubelet), scripts/build-node.sh.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CoreV1Api, NetworkingV1Api, StorageV1Api, type KubeConfig, type V1NetworkPolicy, type V1Pod } from '@kubernetes/client-node';
import { repoRoot, waitFor } from '../world/proc.ts';
import { kubeConfig, type KubeInfo } from '../world/kube/kube.ts';
import { downNode, GATEWAY, nodeMemory, upNode, type NodeInfo } from '../world/node/node.ts';
import { diffHost, snapshotHost, type HostState } from '../world/node/host.ts';
import { exposeOnBridge, unexpose } from '../world/node/expose.ts';
import { startPostgres, stopPostgres } from '../world/postgres.ts';

const NS = `node-world-${process.pid}`;
const isRoot = process.getuid?.() === 0;

let kube: KubeInfo;
let kc: KubeConfig;
let core: CoreV1Api;
let net: NetworkingV1Api;

interface PodResult {
  phase: string;
  exitCode: number | undefined;
  logs: string;
  pod: V1Pod;
}

function probePod(node: NodeInfo, name: string, script: string, extra: { labels?: Record<string, string>; volumeClaim?: string; restartNever?: boolean } = {}): V1Pod {
  return {
    metadata: { name, namespace: NS, labels: extra.labels ?? { role: 'probe' } },
    spec: {
      automountServiceAccountToken: false,
      restartPolicy: extra.restartNever === false ? 'Always' : 'Never',
      nodeSelector: { 'kubernetes.io/hostname': node.name }, // never a kwok fake node
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: 'main',
          image: node.probeImage,
          imagePullPolicy: 'Never',
          command: ['sh', '-c', script],
          resources: { limits: { cpu: '100m', memory: '32Mi' } },
          ...(extra.volumeClaim ? { volumeMounts: [{ name: 'data', mountPath: '/data' }] } : {}),
        },
      ],
      ...(extra.volumeClaim ? { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: extra.volumeClaim } }] } : {}),
    },
  };
}

async function runToCompletion(pod: V1Pod, timeoutMs = 60_000): Promise<PodResult> {
  const name = pod.metadata!.name!;
  await core.createNamespacedPod({ namespace: NS, body: pod });
  const done = await waitFor(
    `pod ${name} finished`,
    async () => {
      const p = await core.readNamespacedPod({ name, namespace: NS });
      return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed' ? p : undefined;
    },
    { timeoutMs, intervalMs: 250 },
  );
  const logs = await core.readNamespacedPodLog({ name, namespace: NS, container: 'main' });
  return {
    phase: done.status!.phase!,
    exitCode: done.status?.containerStatuses?.[0]?.state?.terminated?.exitCode,
    logs,
    pod: done,
  };
}

async function startServer(node: NodeInfo, name: string, labels: Record<string, string>): Promise<string> {
  await core.createNamespacedPod({ namespace: NS, body: probePod(node, name, 'exec httpd -f -p 8080 -h /var/www', { labels, restartNever: false }) });
  const p = await waitFor(
    `pod ${name} Running`,
    async () => {
      const x = await core.readNamespacedPod({ name, namespace: NS });
      return x.status?.phase === 'Running' && x.status.podIP ? x : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 200 },
  );
  return p.status!.podIP!;
}

/** A client pod that tries `tries` times to GET the server; REACHED/UNREACHABLE and exit 0/1. */
function clientScript(ip: string, tries: number): string {
  // busybox-static 1.35's `wget -T` segfaults (Debian build), so the timeout comes from `timeout`.
  return `i=0; while [ $i -lt ${tries} ]; do i=$((i+1)); if timeout 3 wget -q -O - http://${ip}:8080/; then echo REACHED; exit 0; fi; sleep 1; done; echo UNREACHABLE; exit 1`;
}

async function applyPolicy(p: V1NetworkPolicy): Promise<void> {
  await net.createNamespacedNetworkPolicy({ namespace: NS, body: p });
}

const denyAll: V1NetworkPolicy = {
  metadata: { name: 'deny-all-ingress', namespace: NS },
  spec: { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'] },
};
const allowClients: V1NetworkPolicy = {
  metadata: { name: 'allow-clients', namespace: NS },
  spec: {
    podSelector: { matchLabels: { app: 'web' } },
    policyTypes: ['Ingress'],
    ingress: [{ _from: [{ podSelector: { matchLabels: { role: 'client' } } }], ports: [{ port: 8080, protocol: 'TCP' }] }],
  },
};

/** kube-router has put the policy on the pod's firewall chain (an observable sync point, not the outcome). */
async function waitPolicyInstalled(policy: string, podIP: string): Promise<void> {
  await waitFor(
    `kube-router rules for ${policy} on ${podIP}`,
    () =>
      execFileSync('iptables-save', { encoding: 'utf8' })
        .split('\n')
        .some((l) => l.includes(`-d ${podIP}/32`) && l.includes(`nw policy ${policy}`)),
    { timeoutMs: 30_000, intervalMs: 200 },
  );
}

async function deleteNamespace(): Promise<void> {
  await core.deleteNamespace({ name: NS }).catch(() => undefined);
  await waitFor(
    `namespace ${NS} gone`,
    async () => {
      try {
        await core.readNamespace({ name: NS });
        return false;
      } catch {
        return true;
      }
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  ).catch(() => undefined);
}

/** The shared control plane's clients, a host snapshot, then the node and a namespace with its default SA. */
async function startNode(netpol: boolean): Promise<{ node: NodeInfo; hostBefore: HostState }> {
  kube = inject('kube');
  kc = kubeConfig(kube);
  core = kc.makeApiClient(CoreV1Api);
  net = kc.makeApiClient(NetworkingV1Api);
  const hostBefore = snapshotHost();
  const node = await upNode(kube, { netpol });
  await core.createNamespace({ body: { metadata: { name: NS } } });
  await waitFor('default ServiceAccount', () => core.readNamespacedServiceAccount({ name: 'default', namespace: NS }), { timeoutMs: 30_000 });
  return { node, hostBefore };
}

describe.skipIf(!isRoot)('real node with the NetworkPolicy enforcer (kube-router)', () => {
  let node: NodeInfo;
  let hostBefore: HostState;

  beforeAll(async () => {
    ({ node, hostBefore } = await startNode(true));
    const mem = nodeMemory(node);
    console.log(`real node up in ${node.startMs} ms ${JSON.stringify(node.phasesMs)}; RSS KiB ${JSON.stringify(mem.rssKiB)} total ${mem.totalKiB}`);
  });

  afterAll(async () => {
    if (!node) return;
    await deleteNamespace();
    await downNode();
  });

  it('registers a Ready node with the node-group labels and the bridge gateway as InternalIP', async () => {
    const n = await core.readNode({ name: node.name });
    expect(n.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address).toBe(GATEWAY);
    expect(n.metadata?.labels?.['eks.amazonaws.com/nodegroup']).toBe('workspaces');
    expect(n.metadata?.labels?.['node.kubernetes.io/instance-type']).toBe('world.real');
    expect(n.status?.nodeInfo?.kubeletVersion).toBe(kube.version);
    expect(n.status?.nodeInfo?.containerRuntimeVersion).toMatch(/^containerd:\/\/1\.6\./);
    expect(n.metadata?.annotations?.['kwok.x-k8s.io/node']).toBeUndefined();
  });

  it('runs a pod whose logs are readable through the API; the pod has no route off the machine', async () => {
    const r = await runToCompletion(probePod(node, 'hello', 'echo hello-from-the-real-node; ip -4 route; exit 3'));
    expect(r.logs).toContain('hello-from-the-real-node');
    // The exit code travels back from runc through the kubelet: the pod really ran.
    expect(r.phase).toBe('Failed');
    expect(r.exitCode).toBe(3);
    expect(r.pod.status?.podIP).toMatch(/^10\.88\.0\./);
    const routes = r.logs.split('\n').filter((l) => /^\S+\s/.test(l) && !l.startsWith('hello'));
    expect(routes).toEqual([expect.stringMatching(/^10\.88\.0\.0\/24 dev eth0/)]);
    expect(r.logs).not.toMatch(/^default/m);
  });

  it('two pods reach each other over the pod network', async () => {
    const ip = await startServer(node, 'web', { app: 'web' });
    expect(ip.startsWith('10.88.0.')).toBe(true);
    const r = await runToCompletion(probePod(node, 'client-open', clientScript(ip, 5), { labels: { role: 'client' } }));
    expect(r.logs).toContain('preflight probe'); // the body httpd served from the other pod
    expect(r.logs).toContain('REACHED');
    expect(r.exitCode).toBe(0);
  });

  it('a deny-all ingress NetworkPolicy blocks that traffic, and an allow rule restores it', async () => {
    const web = await core.readNamespacedPod({ name: 'web', namespace: NS });
    const ip = web.status!.podIP!;
    await applyPolicy(denyAll);
    await waitPolicyInstalled(denyAll.metadata!.name!, ip);
    const blocked = await runToCompletion(probePod(node, 'client-denied', clientScript(ip, 3), { labels: { role: 'client' } }));
    expect(blocked.logs).toContain('UNREACHABLE');
    expect(blocked.logs).not.toContain('preflight probe');
    expect(blocked.exitCode).toBe(1);

    await applyPolicy(allowClients);
    await waitPolicyInstalled(allowClients.metadata!.name!, ip);
    const allowed = await runToCompletion(probePod(node, 'client-allowed', clientScript(ip, 8), { labels: { role: 'client' } }));
    expect(allowed.logs).toContain('REACHED');
    expect(allowed.exitCode).toBe(0);
    // The allow rule only admits role=client: a pod without that label is still blocked.
    const stranger = await runToCompletion(probePod(node, 'stranger', clientScript(ip, 3), { labels: { role: 'other' } }));
    expect(stranger.logs).toContain('UNREACHABLE');
    expect(stranger.exitCode).toBe(1);
  });

  it('a PVC on local-path (WaitForFirstConsumer) binds when its consumer pod starts, and the pod writes to it', async () => {
    await core.createNamespacedPersistentVolumeClaim({
      namespace: NS,
      body: {
        metadata: { name: 'data', namespace: NS },
        spec: { storageClassName: node.storageClass, accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '16Mi' } } },
      },
    });
    // No consumer yet: it must stay Pending (WaitForFirstConsumer).
    await new Promise((r) => setTimeout(r, 3000));
    expect((await core.readNamespacedPersistentVolumeClaim({ name: 'data', namespace: NS })).status?.phase).toBe('Pending');

    const marker = `written-${Date.now()}`;
    const r = await runToCompletion(probePod(node, 'writer', `echo ${marker} > /data/proof && cat /data/proof`, { volumeClaim: 'data' }), 90_000);
    expect(r.exitCode).toBe(0);
    expect(r.logs).toContain(marker);
    const pvc = await core.readNamespacedPersistentVolumeClaim({ name: 'data', namespace: NS });
    expect(pvc.status?.phase).toBe('Bound');
    expect(pvc.metadata?.annotations?.['volume.kubernetes.io/selected-node']).toBe(node.name);
    const pv = await core.readPersistentVolume({ name: pvc.spec!.volumeName! });
    expect(pv.spec?.storageClassName).toBe('local-path');
    // The bytes are on the node's disk, in the provisioner's directory.
    const volumes = join(node.dir, 'local-path', 'volumes');
    const dir = readdirSync(volumes).find((d) => d.startsWith(pv.metadata!.name!));
    expect(dir).toBeDefined();
    expect(readFileSync(join(volumes, dir!, 'proof'), 'utf8').trim()).toBe(marker);
  });

  it('a pod reaches a world PostgreSQL on the host side of the bridge (and not a port where nothing listens)', async () => {
    const pg = await startPostgres({ major: 17 });
    const ep = await exposeOnBridge({ name: 'pg17', target: { host: pg.host, port: pg.port } });
    try {
      expect(ep.host).toBe(GATEWAY);
      // SSLRequest (length 8, code 80877103): a PostgreSQL server answers one byte, 'N' without TLS.
      const ssl = '\\000\\000\\000\\010\\004\\322\\026\\057';
      const script = (port: number) => `printf '${ssl}' | nc -w 3 ${GATEWAY} ${port} > /tmp/a; echo "answer=[$(cat /tmp/a)]"; [ "$(cat /tmp/a)" = N ]`;
      const r = await runToCompletion(probePod(node, 'pg-probe', script(ep.port)));
      expect(r.logs).toContain('answer=[N]');
      expect(r.exitCode).toBe(0);
      const closed = await runToCompletion(probePod(node, 'pg-probe-closed', script(pg.port))); // bound to 127.0.0.1 only
      expect(closed.logs).toContain('answer=[]');
      expect(closed.exitCode).not.toBe(0);
    } finally {
      await unexpose(ep);
      await stopPostgres(pg);
    }
  });

  it('downNode leaves the machine as it found it (links, iptables, ipsets, mounts, sysctls, cgroups)', async () => {
    await deleteNamespace();
    const remaining = await downNode();
    node = undefined as unknown as NodeInfo;
    expect(remaining).toEqual([]);
    expect(diffHost(hostBefore, snapshotHost())).toEqual([]);
    expect(execFileSync('iptables-save', { encoding: 'utf8' })).not.toContain('KUBE-ROUTER');
    expect(existsSync('/sys/class/net/pfbr0')).toBe(false);
    // ...and the shared control plane as it found it: no Node, no local-path class or volumes.
    const gone = async (p: Promise<unknown>) => p.then(() => false, (e: { code?: number }) => e.code === 404);
    expect(await gone(core.readNode({ name: 'world-node-1' }))).toBe(true);
    expect(await gone(kc.makeApiClient(StorageV1Api).readStorageClass({ name: 'local-path' }))).toBe(true);
    const pvs = await core.listPersistentVolume();
    expect(pvs.items.filter((pv) => pv.spec?.storageClassName === 'local-path')).toEqual([]);
  });
});

describe.skipIf(!isRoot)('real node without the enforcer', () => {
  let node: NodeInfo;
  let hostBefore: HostState;

  beforeAll(async () => {
    ({ node, hostBefore } = await startNode(false));
  });

  afterAll(async () => {
    if (!node) return;
    await deleteNamespace();
    await downNode();
  });

  it('the same deny-all policy blocks nothing (the bridge CNI alone ignores NetworkPolicy)', async () => {
    expect(node.netpol).toBe(false);
    expect(node.daemons.map((d) => d.name)).not.toContain('node-kube-router');
    const ip = await startServer(node, 'web', { app: 'web' });
    await applyPolicy(denyAll);
    // Give a (non-existent) enforcer ample time; with kube-router the rule lands in well under a second.
    await new Promise((r) => setTimeout(r, 3000));
    expect(execFileSync('iptables-save', { encoding: 'utf8' })).not.toContain('KUBE-NWPLCY');
    const r = await runToCompletion(probePod(node, 'client-unenforced', clientScript(ip, 3), { labels: { role: 'other' } }));
    expect(r.logs).toContain('preflight probe');
    expect(r.logs).toContain('REACHED');
    expect(r.exitCode).toBe(0);
  });

  it('downNode leaves the machine as it found it', async () => {
    await deleteNamespace();
    const remaining = await downNode();
    node = undefined as unknown as NodeInfo;
    expect(remaining).toEqual([]);
    expect(diffHost(hostBefore, snapshotHost())).toEqual([]);
  });
});

describe.skipIf(!isRoot)('one real node per machine', () => {
  let hostBefore: HostState;
  let otherWorld: string;

  beforeAll(() => {
    kube = inject('kube');
    kc = kubeConfig(kube);
    hostBefore = snapshotHost();
    otherWorld = mkdtempSync(join(tmpdir(), 'node-world-other-'));
  });

  afterAll(async () => {
    await downNode();
    // If the take-over failed, the other world's node may still be there: stop it from that world.
    const down = `import { downNode } from ${JSON.stringify(join(repoRoot, 'test/world/node/node.ts'))}; await downNode();`;
    execFileSync(join(repoRoot, 'node_modules/.bin/node'), ['--no-warnings', '--input-type=module', '-e', down], {
      env: { ...process.env, CODER_PREFLIGHT_WORLD_DIR: otherWorld },
      timeout: 120_000,
    });
    // Never rm through a mount a failed take-over may have left there.
    if (!readFileSync('/proc/mounts', 'utf8').includes(otherWorld)) rmSync(otherWorld, { recursive: true, force: true });
  });

  it("refuses to start while another world's node runs, and takes over once that run was killed", async () => {
    // Another world (another test run, another clone) starts a node and exits, leaving it running.
    const code = `import { upNode } from ${JSON.stringify(join(repoRoot, 'test/world/node/node.ts'))};
      const info = await upNode(JSON.parse(process.env.KUBE_INFO), { netpol: true });
      console.log(JSON.stringify(info.daemons.map((d) => d.pid)));`;
    const out = execFileSync(join(repoRoot, 'node_modules/.bin/node'), ['--no-warnings', '--input-type=module', '-e', code], {
      env: { ...process.env, CODER_PREFLIGHT_WORLD_DIR: otherWorld, KUBE_INFO: JSON.stringify(kube) },
      encoding: 'utf8',
      timeout: 120_000,
    });
    const pids = JSON.parse(out.trim().split('\n').pop()!) as number[];
    expect(pids.length).toBe(4); // containerd, kubelet, kube-router, local-path-provisioner

    await expect(upNode(kube, { netpol: false })).rejects.toThrow(/already running on this machine for the world in/);
    expect(existsSync('/sys/class/net/pfbr0')).toBe(true); // the refusal left the other node alone

    // That run is killed hard (no downNode): its processes die, its pods, mounts and rules stay.
    for (const pid of pids) {
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
    await waitFor('killed node processes gone', () => pids.every((pid) => !existsSync(`/proc/${pid}/cmdline`) || !readFileSync(`/proc/${pid}/cmdline`, 'utf8')), {
      timeoutMs: 15_000,
    });
    const node = await upNode(kube, { netpol: false });
    expect(node.netpol).toBe(false);
    expect((await kc.makeApiClient(CoreV1Api).readNode({ name: node.name })).metadata?.name).toBe(node.name);
    expect(await downNode()).toEqual([]);
    expect(diffHost(hostBefore, snapshotHost())).toEqual([]);
  });
});
