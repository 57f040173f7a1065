// The Kubernetes part of the local test world, against the real control plane (issue 3): real API
// and version, RBAC for a view-only user, PVC binding through kube-controller-manager's PV binder and
// our provisioner (Immediate and WaitForFirstConsumer), a class nobody serves, an unavailable
// APIService, kwok nodes with node-group labels, CNI DaemonSets, reset, and a clean stop.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiregistrationV1Api,
  AppsV1Api,
  AuthorizationV1Api,
  CoordinationV1Api,
  CoreV1Api,
  NetworkingV1Api,
  StorageV1Api,
  type KubeConfig,
  type V1PersistentVolumeClaim,
} from '@kubernetes/client-node';
import { isAlive, repoRoot, waitFor } from '../world/proc.ts';
import { get, kubeConfig, upKube, K8S_VERSION, HOSTPATH_PROVISIONER, NOOP_PROVISIONER, type KubeInfo } from '../world/kube/kube.ts';
import {
  SCENARIO_LABEL, applyCni, applyManifests, brokenApiService, createFakeNodes, createSecret, ensureNamespace, resetScenario, setDefaultStorageClass,
  waitForDaemonSet, waitForNodesReady,
} from '../world/kube/scenario.ts';

const SCENARIO = `kw-${process.pid}`;
const NS = `kube-world-${process.pid}`;
let info: KubeInfo;
let admin: KubeConfig;
let viewer: KubeConfig;

const status = async (p: Promise<unknown>): Promise<number> => {
  try {
    await p;
    return 200;
  } catch (e) {
    const c = (e as { code?: number }).code;
    if (typeof c !== 'number') throw e;
    return c;
  }
};

function pvc(name: string, storageClassName: string): V1PersistentVolumeClaim {
  return {
    metadata: { name, namespace: NS, labels: { [SCENARIO_LABEL]: SCENARIO } },
    spec: { storageClassName, accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
  };
}

async function waitPvcBound(core: CoreV1Api, name: string, timeoutMs = 60_000): Promise<V1PersistentVolumeClaim> {
  return waitFor(
    `PVC ${NS}/${name} Bound`,
    async () => {
      const c = await core.readNamespacedPersistentVolumeClaim({ name, namespace: NS });
      return c.status?.phase === 'Bound' ? c : undefined;
    },
    { timeoutMs, intervalMs: 200 },
  );
}

beforeAll(async () => {
  info = await upKube();
  admin = kubeConfig(info, 'admin');
  viewer = kubeConfig(info, 'viewer');
  await ensureNamespace(admin, SCENARIO, NS);
});

// The control plane may be the one test/global-setup.ts shares with other files: leave it running,
// only remove what this file seeded.
afterAll(async () => {
  if (admin) await resetScenario(admin, SCENARIO).catch(() => {});
});

/** Run a snippet against kube.ts in a separate process and world dir (so the shared one stays up). */
function inOtherWorld(dir: string, code: string): string {
  const kubeTs = join(repoRoot, 'test', 'world', 'kube', 'kube.ts');
  return execFileSync(join(repoRoot, 'node_modules', '.bin', 'node'), ['--no-warnings', '--input-type=module', '-e', `import * as k from ${JSON.stringify(kubeTs)};\n${code}`], {
    env: { ...process.env, CODER_PREFLIGHT_WORLD_DIR: dir },
    encoding: 'utf8',
    timeout: 120_000,
  });
}

describe('kube world control plane', () => {
  it('serves the real API at the pinned version on loopback', async () => {
    expect(info.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = readFileSync(info.caFile, 'utf8');
    const v = JSON.parse((await get(`${info.server}/version`, { ca })).body) as Record<string, string>;
    expect(v.gitVersion).toBe(K8S_VERSION);
    expect(v.major).toBe('1');
    expect(v.minor).toBe(K8S_VERSION.split('.')[1]);
    expect(v.gitTreeState).toBe('clean');
    expect((await get(`${info.server}/readyz`, { ca })).status).toBe(200);
    const core = admin.makeApiClient(CoreV1Api);
    const names = (await core.listNamespace()).items.map((n) => n.metadata?.name);
    expect(names).toEqual(expect.arrayContaining(['default', 'kube-system', 'kube-public', 'kube-node-lease', NS]));
    // The controller manager's token controller and SA controller are running.
    const sa = await core.readNamespacedServiceAccount({ name: 'default', namespace: NS });
    expect(sa.metadata?.name).toBe('default');
    const rootCa = await core.readNamespacedConfigMap({ name: 'kube-root-ca.crt', namespace: NS });
    expect(rootCa.data?.['ca.crt']).toBe(ca);
  });

  it('gives the restricted user view rights only (RBAC, real 403s)', async () => {
    const core = viewer.makeApiClient(CoreV1Api);
    expect(await status(core.listNamespacedPod({ namespace: NS }))).toBe(200);
    expect(await status(core.listPodForAllNamespaces())).toBe(200);
    expect(await status(core.listNamespacedConfigMap({ namespace: NS }))).toBe(200);
    expect(await status(core.createNamespace({ body: { metadata: { name: `${NS}-nope` } } }))).toBe(403);
    expect(await status(core.listSecretForAllNamespaces())).toBe(403);
    expect(await status(core.listNamespacedSecret({ namespace: NS }))).toBe(403);
    // `view` is namespaced content only: cluster-scoped nodes are not in it.
    expect(await status(core.listNode())).toBe(403);
    const ssar = await viewer.makeApiClient(AuthorizationV1Api).createSelfSubjectAccessReview({
      body: { spec: { resourceAttributes: { verb: 'create', resource: 'pods', namespace: NS } } },
    });
    expect(ssar.status?.allowed).toBe(false);
    const who = await viewer.makeApiClient(AuthorizationV1Api).createSelfSubjectAccessReview({
      body: { spec: { resourceAttributes: { verb: 'list', resource: 'deployments', group: 'apps', namespace: NS } } },
    });
    expect(who.status?.allowed).toBe(true);
    // The admin is a superuser.
    expect(await status(admin.makeApiClient(CoreV1Api).listSecretForAllNamespaces())).toBe(200);
  });

  it('makes kwok nodes Ready with their node-group labels, capacity and taints', async () => {
    const nodes = await createFakeNodes(admin, SCENARIO, [
      { name: 'eks-a-0', group: { kind: 'eks', name: 'workspaces' }, instanceType: 'm5.xlarge', zone: 'us-east-1a' },
      { name: 'gke-a-0', group: { kind: 'gke', name: 'pool-1' }, instanceType: 'e2-standard-8', capacity: { cpu: '8', memory: '32Gi' } },
      { name: 'aks-a-0', group: { kind: 'aks', name: 'userpool' } },
      {
        name: 'karp-a-0',
        group: { kind: 'karpenter', name: 'default' },
        taints: [{ key: 'coder.com/workspaces', value: 'true', effect: 'NoSchedule' }],
      },
      { name: 'custom-a-0', group: { kind: 'custom', name: 'blue', label: 'node-group.example.com/name' }, allocatable: { cpu: '3', memory: '12Gi', pods: '50' } },
    ]);
    expect(nodes).toHaveLength(5);
    const ready = await waitForNodesReady(admin, nodes.map((n) => n.metadata!.name!));
    const byName = new Map(ready.map((n) => [n.metadata!.name!, n]));
    expect(byName.get('eks-a-0')!.metadata!.labels!['eks.amazonaws.com/nodegroup']).toBe('workspaces');
    expect(byName.get('eks-a-0')!.metadata!.labels!['node.kubernetes.io/instance-type']).toBe('m5.xlarge');
    expect(byName.get('gke-a-0')!.metadata!.labels!['cloud.google.com/gke-nodepool']).toBe('pool-1');
    expect(byName.get('gke-a-0')!.status!.capacity!.cpu).toBe('8');
    expect(byName.get('aks-a-0')!.metadata!.labels!['kubernetes.azure.com/agentpool']).toBe('userpool');
    expect(byName.get('karp-a-0')!.metadata!.labels!['karpenter.sh/nodepool']).toBe('default');
    expect(byName.get('karp-a-0')!.spec!.taints).toEqual([{ key: 'coder.com/workspaces', value: 'true', effect: 'NoSchedule' }]);
    expect(byName.get('custom-a-0')!.metadata!.labels!['node-group.example.com/name']).toBe('blue');
    expect(byName.get('custom-a-0')!.status!.allocatable).toMatchObject({ cpu: '3', memory: '12Gi', pods: '50' });
    expect(byName.get('eks-a-0')!.status!.nodeInfo!.kubeletVersion).toContain(K8S_VERSION);
    // kwok heartbeats through node leases, as kubelets do.
    const lease = await waitFor('node lease', () =>
      admin.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: 'eks-a-0', namespace: 'kube-node-lease' }),
    );
    expect(lease.spec?.holderIdentity).toBeTruthy(); // kwok's identity
    expect(lease.spec?.leaseDurationSeconds).toBe(40);
    expect(Date.now() - new Date(lease.spec!.renewTime!).getTime()).toBeLessThan(60_000);
  });

  it('binds a world-immediate PVC through the PV binder and our provisioner, and reclaims it', async () => {
    const core = admin.makeApiClient(CoreV1Api);
    const created = await core.createNamespacedPersistentVolumeClaim({ namespace: NS, body: pvc('imm', info.storageClasses.immediate) });
    const bound = await waitPvcBound(core, 'imm');
    expect(bound.spec?.volumeName).toBe(`pvc-${created.metadata!.uid}`);
    expect(bound.metadata?.annotations?.['volume.kubernetes.io/storage-provisioner']).toBe(HOSTPATH_PROVISIONER);
    expect(bound.metadata?.annotations?.['pv.kubernetes.io/bind-completed']).toBe('yes');
    const pv = await core.readPersistentVolume({ name: bound.spec!.volumeName! });
    expect(pv.status?.phase).toBe('Bound');
    expect(pv.metadata?.annotations?.['pv.kubernetes.io/provisioned-by']).toBe(HOSTPATH_PROVISIONER);
    expect(pv.spec?.claimRef?.uid).toBe(created.metadata!.uid);
    expect(pv.spec?.hostPath?.path).toBe(join(info.volumesDir, pv.metadata!.name!));
    expect(existsSync(pv.spec!.hostPath!.path)).toBe(true);
    // Delete the claim: the PV controller releases the PV, the provisioner deletes it.
    await core.deleteNamespacedPersistentVolumeClaim({ name: 'imm', namespace: NS });
    await waitFor('released PV deleted', async () => (await status(core.readPersistentVolume({ name: pv.metadata!.name! }))) === 404, {
      timeoutMs: 60_000,
      intervalMs: 200,
    });
    expect(existsSync(pv.spec!.hostPath!.path)).toBe(false);
  });

  it('binds a world-wffc PVC only once a pod using it is scheduled on a kwok node', async () => {
    const core = admin.makeApiClient(CoreV1Api);
    await core.createNamespacedPersistentVolumeClaim({ namespace: NS, body: pvc('wffc', info.storageClasses.wffc) });
    // Nothing consumes it yet: the PV binder waits and says so.
    const waiting = await waitFor('WaitForFirstConsumer event', async () => {
      const ev = await core.listNamespacedEvent({ namespace: NS, fieldSelector: 'involvedObject.name=wffc' });
      return ev.items.find((e) => e.reason === 'WaitForFirstConsumer');
    });
    expect(waiting.reason).toBe('WaitForFirstConsumer');
    expect((await core.readNamespacedPersistentVolumeClaim({ name: 'wffc', namespace: NS })).status?.phase).toBe('Pending');

    await createFakeNodes(admin, SCENARIO, [{ name: 'wffc-node-0', group: { kind: 'eks', name: 'wffc' } }]);
    await waitForNodesReady(admin, ['wffc-node-0']);
    await core.createNamespacedPod({
      namespace: NS,
      body: {
        metadata: { name: 'uses-wffc', labels: { [SCENARIO_LABEL]: SCENARIO } },
        spec: {
          nodeSelector: { 'kubernetes.io/hostname': 'wffc-node-0' },
          terminationGracePeriodSeconds: 1,
          containers: [{ name: 'c', image: 'busybox', volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
          volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'wffc' } }],
        },
      },
    });
    const bound = await waitPvcBound(core, 'wffc');
    expect(bound.metadata?.annotations?.['volume.kubernetes.io/selected-node']).toBe('wffc-node-0');
    const pv = await core.readPersistentVolume({ name: bound.spec!.volumeName! });
    expect(pv.spec?.nodeAffinity?.required?.nodeSelectorTerms?.[0]?.matchExpressions?.[0]?.values).toEqual(['wffc-node-0']);
    const pod = await waitFor('pod Running', async () => {
      const p = await core.readNamespacedPod({ name: 'uses-wffc', namespace: NS });
      return p.status?.phase === 'Running' ? p : undefined;
    });
    expect(pod.spec?.nodeName).toBe('wffc-node-0');
  });

  it('leaves a world-noop PVC Pending: the binder hands it to a provisioner nobody runs', async () => {
    const core = admin.makeApiClient(CoreV1Api);
    await core.createNamespacedPersistentVolumeClaim({ namespace: NS, body: pvc('noop', info.storageClasses.noop) });
    const ev = await waitFor('ExternalProvisioning event', async () => {
      const l = await core.listNamespacedEvent({ namespace: NS, fieldSelector: 'involvedObject.name=noop' });
      return l.items.find((e) => e.reason === 'ExternalProvisioning');
    });
    expect(ev.message).toContain(NOOP_PROVISIONER);
    await new Promise((r) => setTimeout(r, 6000));
    const c = await core.readNamespacedPersistentVolumeClaim({ name: 'noop', namespace: NS });
    expect(c.status?.phase).toBe('Pending');
    expect(c.spec?.volumeName ?? '').toBe('');
    expect(c.metadata?.annotations?.['volume.kubernetes.io/storage-provisioner']).toBe(NOOP_PROVISIONER);
  });

  it('reports the APIService of a missing backing Service as Available=False', async () => {
    const name = await brokenApiService(admin, SCENARIO);
    const api = admin.makeApiClient(ApiregistrationV1Api);
    const cond = await waitFor('Available condition', async () => {
      const s = await api.readAPIService({ name });
      return s.status?.conditions?.find((c) => c.type === 'Available');
    });
    expect(cond.status).toBe('False');
    expect(cond.reason).toBe('ServiceNotFound');
  });

  it('runs CNI DaemonSets on the kwok nodes and can mark a world class default', async () => {
    const ds = await applyCni(admin, SCENARIO, 'calico');
    expect(ds.metadata?.namespace).toBe('kube-system');
    const ready = await waitForDaemonSet(admin, 'kube-system', 'calico-node');
    expect(ready.status?.numberReady).toBeGreaterThanOrEqual(6);
    const pods = await admin.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'kube-system', labelSelector: 'k8s-app=calico-node' });
    expect(pods.items.every((p) => p.status?.phase === 'Running')).toBe(true);
    await applyCni(admin, SCENARIO, 'flannel'); // its own namespace, as upstream ships it
    expect((await admin.makeApiClient(AppsV1Api).readNamespacedDaemonSet({ name: 'kube-flannel-ds', namespace: 'kube-flannel' })).metadata?.name).toBe(
      'kube-flannel-ds',
    );
    await createSecret(admin, SCENARIO, { namespace: NS, name: 'pg', stringData: { url: 'postgres://127.0.0.1:5432/coder' } });
    const applied = await applyManifests(
      admin,
      SCENARIO,
      `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: ${NS}}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: coder-values, namespace: ${NS}}
data: {values.yaml: "coder: {}"}
`,
    );
    expect(applied.map((o) => o.metadata?.labels?.[SCENARIO_LABEL])).toEqual([SCENARIO, SCENARIO]);
    expect(
      (await admin.makeApiClient(NetworkingV1Api).readNamespacedNetworkPolicy({ name: 'deny-all', namespace: NS })).spec?.policyTypes,
    ).toEqual(['Ingress', 'Egress']);
    await setDefaultStorageClass(admin, SCENARIO, info.storageClasses.immediate);
    // DefaultStorageClass admission now fills in the class of a PVC that names none.
    const c = await admin.makeApiClient(CoreV1Api).createNamespacedPersistentVolumeClaim({
      namespace: NS,
      body: { metadata: { name: 'defaulted', labels: { [SCENARIO_LABEL]: SCENARIO } }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
    });
    expect(c.spec?.storageClassName).toBe(info.storageClasses.immediate);
  });

  it('resetScenario removes everything the scenario created', async () => {
    const deleted = await resetScenario(admin, SCENARIO);
    expect(deleted).toBeGreaterThan(10);
    const core = admin.makeApiClient(CoreV1Api);
    expect((await core.listNode({ labelSelector: `${SCENARIO_LABEL}=${SCENARIO}` })).items).toHaveLength(0);
    expect(await status(core.readNamespace({ name: NS }))).toBe(404);
    expect(await status(core.readNamespace({ name: 'kube-flannel' }))).toBe(404);
    expect(await status(admin.makeApiClient(ApiregistrationV1Api).readAPIService({ name: 'v1beta1.metrics.k8s.io' }))).toBe(404);
    const sc = await admin.makeApiClient(StorageV1Api).readStorageClass({ name: info.storageClasses.immediate });
    expect(sc.metadata?.annotations?.['storageclass.kubernetes.io/is-default-class']).toBeUndefined();
  });

  it('downKube stops every process by PID and removes its state (in a world of its own)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kube-world-down-'));
    try {
      const other = JSON.parse(inOtherWorld(dir, 'console.log(JSON.stringify(await k.upKube()));').trim().split('\n').pop()!) as KubeInfo;
      const pids = Object.values(other.pids).filter((p) => p > 0);
      expect(pids).toHaveLength(6);
      expect(pids.every(isAlive)).toBe(true);
      expect(other.server).not.toBe(info.server);
      expect(other.version).toBe(K8S_VERSION);
      const stopped = JSON.parse(inOtherWorld(dir, 'console.log(JSON.stringify((await k.downKube()).map((d) => d.pid)));').trim()) as number[];
      expect([...stopped].sort()).toEqual([...pids].sort());
      expect(pids.filter(isAlive)).toEqual([]);
      expect(existsSync(other.stateDir)).toBe(false);
      // The shared control plane is untouched.
      expect(Object.values(info.pids).every(isAlive)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
