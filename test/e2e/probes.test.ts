// The active probes (issue 7) as users run them: the built CLI against the world's real control
// plane and its real node (kubelet, containerd, bridge CNI, kube-router with --netpol,
// local-path-provisioner), the probe pods running the world's Node image. Traffic goes only
// between pods on the node's bridge; a kwok node's fake pod addresses are never dialed.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { CoreV1Api, KubernetesObjectApi, type KubernetesObject, type V1PolicyRule } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { Report } from '../../src/report/model.ts';
import { assertValidReport } from '../helpers/report.ts';
import { repoRoot } from '../world/proc.ts';
import { toolImage } from '../world/node/tool-image.ts';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { cleanEnv, cliBin, nodeBin, runCli, runJson, resultOf, spawnRun } from '../helpers/cli.ts';
import { waitFor } from '../world/proc.ts';
import { kubeConfig, HOSTPATH_PROVISIONER } from '../world/kube/kube.ts';
import { applyManifests, createFakeNodes, createSecret, ensureNamespace, resetScenario, setDefaultStorageClass, waitForNodesReady } from '../world/kube/scenario.ts';
import { createTokenUser } from '../world/kube/users.ts';
import { downNode, GATEWAY, upNode, type NodeInfo } from '../world/node/node.ts';
import { runWithResolver, startWorldDns, worldHostsFile, worldResolvConf } from '../world/dns.ts';
import { FRONT_DOOR_HOST, makeFrontDoorPki, startFrontDoor } from '../world/front-door.ts';
import { exposeOnBridge, unexpose } from '../world/node/expose.ts';
import { startDelayProxy } from '../world/delay-proxy.ts';
import { startPostgres, stopPostgres } from '../world/postgres.ts';

const isRoot = process.getuid?.() === 0;
const kube = inject('kube');
const kc = kubeConfig(kube, 'admin');
const core = kc.makeApiClient(CoreV1Api);
const objects = KubernetesObjectApi.makeApiClient(kc);
const S = `probes-${process.pid}`;
const TOOL = 'app.kubernetes.io/managed-by=coder-preflight';
const IDS = ['kubernetes.dynamic-provisioning', 'kubernetes.network-policy-enforcement'];
let node: NodeInfo;

const args = (...more: string[]) => ['--kubeconfig', kube.kubeconfig, '--probe-image', node.nodeImage, ...IDS.flatMap((id) => ['--check', id]), ...more];

/** Every object with the tool's label, cluster-wide, and every volume of a claim in a scratch namespace. */
async function labelledLeft(): Promise<string[]> {
  const out: string[] = [];
  const kinds: [string, string][] = [
    ['v1', 'Namespace'],
    ['v1', 'Pod'],
    ['v1', 'ConfigMap'],
    ['v1', 'Secret'],
    ['v1', 'PersistentVolumeClaim'],
    ['v1', 'PersistentVolume'],
    ['networking.k8s.io/v1', 'NetworkPolicy'],
  ];
  for (const [apiVersion, kind] of kinds) {
    const list = await objects.list(apiVersion, kind, undefined, undefined, undefined, undefined, undefined, TOOL);
    for (const o of list.items) out.push(`${kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`);
  }
  for (const pv of (await core.listPersistentVolume()).items) if (pv.spec?.claimRef?.namespace?.startsWith('coder-preflight-')) out.push(`PersistentVolume ${pv.metadata?.name} (claim ${pv.spec.claimRef.namespace}/${pv.spec.claimRef.name})`);
  return out;
}

/** Only this class is the default one (the admission plugin would pick the newest of several). */
async function onlyDefault(name: string): Promise<void> {
  for (const other of ['local-path', 'world-noop', kube.storageClasses.wffc, kube.storageClasses.immediate]) if (other !== name) await setDefaultStorageClass(kc, S, other, false);
  await setDefaultStorageClass(kc, S, name, true);
}

/** "{apiGroups: ["", "x"], resources: [a, b], verbs: [c]}" (a skip's remediation) as a policy rule. */
function parseRule(s: string): V1PolicyRule {
  const list = (key: string) => (new RegExp(`${key}: \\[([^\\]]*)\\]`).exec(s)?.[1] ?? '').split(',').map((x) => x.trim().replace(/^"|"$/g, '')).filter((x, i, a) => x !== '' || a.length === 1);
  return { apiGroups: list('apiGroups'), resources: list('resources'), verbs: list('verbs') };
}

describe.skipIf(!isRoot)('the probes on the real node, NetworkPolicy enforced (kube-router)', () => {
  beforeAll(async () => {
    node = await upNode(kube, { netpol: true });
  });
  afterEach(async () => {
    await resetScenario(kc, S);
    await setDefaultStorageClass(kc, S, 'local-path', false).catch(() => undefined);
  });
  afterAll(async () => {
    await resetScenario(kc, S);
    await downNode();
  });

  it('--active: a volume binds, mounts and keeps data through local-path; NetworkPolicy is enforced; nothing is left; saved facts replay', async () => {
    await onlyDefault('local-path');
    const saved = join(node.dir, '..', `probe-facts-${process.pid}.json`);
    const { r, report } = await runJson(args('--active', '--save-facts', saved));
    expect(r.code, r.stderr).toBe(0);
    const vol = resultOf(report, 'kubernetes.dynamic-provisioning');
    expect(vol.status, vol.summary).toBe('pass');
    expect(vol.summary).toMatch(/^A claim on local-path \(rancher\.io\/local-path, WaitForFirstConsumer\) bound in [\d.]+ s as pvc-[0-9a-f-]+, and a pod on node world-node-1 wrote and read back 1 MiB; templates on a WaitForFirstConsumer class need wait_until_bound = false/);
    expect(vol.evidence).toMatchObject({ verdict: 'written', storageClass: 'local-path', provisioner: 'rancher.io/local-path', node: 'world-node-1', image: node.nodeImage, written: expect.stringMatching(/^1 MiB as uid 65532: .*identical$/) });
    const np = resultOf(report, 'kubernetes.network-policy-enforcement');
    expect(np.status, np.summary).toBe('pass');
    expect(np.summary).toMatch(/^NetworkPolicy is enforced on node world-node-1: a deny-all ingress policy blocked the client/);
    expect(np.evidence.phases).toEqual([expect.stringMatching(/^control: met .*R$/), expect.stringMatching(/^deny-all: met /), expect.stringMatching(/^allow: met .*R( \[|$)/)]);
    expect(String(np.evidence.server)).toMatch(/^server pod netpol-server-\w+ \(10\.88\.0\.\d+:8080\) on node world-node-1$/);
    // One run: one scratch namespace, the same run id in both results.
    expect(vol.evidence.runId).toBe(np.evidence.runId);
    expect(await labelledLeft()).toEqual([]);

    // The probe facts are plain JSON: judged again offline, with the same results and no cluster.
    const replay = await runJson(['--from-facts', saved, '--check', IDS[0]!, '--check', IDS[1]!]);
    expect(replay.report.results.map((x) => [x.id, x.status, x.summary])).toEqual(report.results.map((x) => [x.id, x.status, x.summary]));
  });

  it('the scratch namespace enforces the restricted Pod Security Standard, which the probe pods pass (a pod that does not is refused)', async () => {
    // The world's API server really enforces it: a plain pod is refused in such a namespace…
    const ns = `${S}-psa`;
    await core.createNamespace({ body: { metadata: { name: ns, labels: { 'preflight.test/scenario': S, 'pod-security.kubernetes.io/enforce': 'restricted' } } } });
    const refused = await core
      .createNamespacedPod({ namespace: ns, body: { metadata: { name: 'plain' }, spec: { containers: [{ name: 'c', image: node.probeImage }] } } })
      .then(() => undefined, (e: { code?: number; body?: string }) => `${e.code} ${(JSON.parse(e.body ?? '{}') as { message?: string }).message}`);
    expect(refused).toMatch(/^403 pods "plain" is forbidden: violates PodSecurity "restricted:latest"/);
    // …and the probes' pods run in theirs (their namespace carries the label: see session.ts), as the pass above shows.
    const { report } = await runJson(args('--probe', 'network-policy'));
    expect(resultOf(report, IDS[1]!).status).toBe('pass');
  });

  it('--probe-pull-secret: the Secret is copied into the scratch namespace for the probe pods, and never shown', async () => {
    const ns = `${S}-coder`;
    await ensureNamespace(kc, S, ns);
    const token = `pull-token-${process.pid}-s3cr3t`;
    const cfg = JSON.stringify({ auths: { 'registry.example.test': { auth: Buffer.from(`robot:${token}`).toString('base64') } } });
    await createSecret(kc, S, { namespace: ns, name: 'regcred', type: 'kubernetes.io/dockerconfigjson', stringData: { '.dockerconfigjson': cfg } });
    const child = spawn(nodeBin, [cliBin, ...args('--probe', 'network-policy', '--namespace', ns, '--probe-pull-secret', 'regcred', '-o', 'json')], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const closed = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
    let copied: string | undefined;
    let pullSecrets: string[] = [];
    await waitFor(
      'the copied Secret and a probe pod that uses it',
      async () => {
        const secrets = await core.listSecretForAllNamespaces({ labelSelector: TOOL });
        const pods = await core.listPodForAllNamespaces({ labelSelector: TOOL });
        copied ??= secrets.items.map((x) => `${x.metadata?.namespace}/${x.metadata?.name} ${x.type}`)[0];
        pullSecrets = pods.items[0]?.spec?.imagePullSecrets?.map((x) => x.name ?? '') ?? pullSecrets;
        return copied !== undefined && pullSecrets.length > 0;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    expect(await closed).toBe(0);
    expect(copied).toMatch(/^coder-preflight-[a-z0-9]{8}\/regcred kubernetes\.io\/dockerconfigjson$/);
    expect(pullSecrets).toEqual(['regcred']);
    expect(out).not.toContain(token);
    expect(out).not.toContain(Buffer.from(`robot:${token}`).toString('base64'));
    expect(await labelledLeft()).toEqual([]);
  });

  it('a class whose provisioner never acts: fails with the events within the run\'s limit', async () => {
    await onlyDefault('world-noop');
    const { r, report } = await runJson(args('--probe', 'dynamic-provisioning', '--timeout', '34s'));
    expect(r.code, r.stderr).toBe(3);
    const vol = resultOf(report, IDS[0]!);
    expect(vol.status).toBe('fail');
    expect(vol.summary).toMatch(/^A claim on world-noop \(preflight\.test\/noop, Immediate\) did not bind within 3\d s: the provisioner preflight\.test\/noop never created a volume \(/);
    expect(vol.summary).toContain('Normal ExternalProvisioning: Waiting for a volume to be created either by the external provisioner \'preflight.test/noop\'');
    expect(vol.evidence.events).toEqual(expect.arrayContaining([expect.stringMatching(/^Warning FailedScheduling: .*unbound immediate PersistentVolumeClaims/)]));
    expect(vol.remediation).toMatch(/make sure the provisioner preflight\.test\/noop is installed and running/);
    expect(resultOf(report, IDS[1]!).status).toBe('skip'); // not selected
    expect(await labelledLeft()).toEqual([]);
  });

  it('the view-only user gets skips naming the missing permissions; a user granted exactly the rules they name runs the probes', async () => {
    const viewer = await runJson(['--kubeconfig', kube.viewerKubeconfig, ...IDS.flatMap((id) => ['--check', id]), '--active']);
    expect(viewer.r.code).toBe(0);
    for (const id of IDS) {
      const x = resultOf(viewer.report, id);
      expect(x.status).toBe('skip');
      expect(x.summary).toMatch(/^Not run: the [a-z-]+ probe needs permissions this user does not have: create namespaces \(cluster-wide\), delete namespaces "coder-preflight-[a-z0-9]{8}" \(cluster-wide\), create configmaps in coder-preflight-[a-z0-9]{8}, create pods in coder-preflight-/);
      expect(x.remediation).toContain('{apiGroups: [""], resources: [namespaces], verbs: [create, delete]}');
    }
    expect(resultOf(viewer.report, IDS[1]!).remediation).toContain('{apiGroups: ["networking.k8s.io"], resources: [networkpolicies], verbs: [create]}');
    expect(await labelledLeft()).toEqual([]); // nothing was created

    // A user who may only list StorageClasses is told every rule; granted exactly those, the probes run.
    await onlyDefault('local-path');
    const base: V1PolicyRule[] = [{ apiGroups: ['storage.k8s.io'], resources: ['storageclasses'], verbs: ['list'] }];
    const bare = await createTokenUser(kc, kube, S, { name: `probe-bare-${process.pid}`, rules: base });
    const told = await runJson(['--kubeconfig', bare.kubeconfig, ...IDS.flatMap((id) => ['--check', id]), '--active', '--probe-image', node.nodeImage]);
    const rules = IDS.flatMap((id) => resultOf(told.report, id).evidence.rules as string[]);
    expect(rules.length).toBeGreaterThan(0);
    const granted = await createTokenUser(kc, kube, S, { name: `probe-granted-${process.pid}`, rules: [...base, ...rules.map(parseRule)] });
    const ran = await runJson(['--kubeconfig', granted.kubeconfig, ...IDS.flatMap((id) => ['--check', id]), '--active', '--probe-image', node.nodeImage]);
    expect(ran.report.results.map((x) => [x.id, x.status])).toEqual([
      [IDS[0], 'pass'],
      [IDS[1], 'pass'],
    ]);
    // This user may not list volumes, so the run could not wait for its volume to go: the provisioner removes it shortly.
    await waitFor('the probe objects gone', async () => (await labelledLeft()).length === 0, { timeoutMs: 30_000, intervalMs: 500 });
  });

  it('probe pods that land on kwok nodes end inconclusive (warn), and no client is started against a fake pod', async () => {
    await onlyDefault('local-path');
    const fake = await createFakeNodes(kc, S, [{ name: `${S}-fake-0`, group: { kind: 'eks', name: 'fake-workspaces' } }]);
    await waitForNodesReady(kc, fake.map((n) => n.metadata!.name!));
    const { r, report } = await runJson(args('--active', '--workspace-selector', 'eks.amazonaws.com/nodegroup=fake-workspaces', '--timeout', '30s'));
    expect(r.code, r.stderr).toBe(0);
    const vol = resultOf(report, IDS[0]!);
    expect(vol.status).toBe('warn');
    expect(vol.summary).toBe(`Inconclusive: the writer landed on node ${S}-fake-0, which fakes pods (annotation kwok.x-k8s.io/node=fake): nothing was written`);
    const np = resultOf(report, IDS[1]!);
    expect(np.status).toBe('warn');
    expect(np.summary).toMatch(new RegExp(`^Inconclusive: pod netpol-server-\\w+ landed on node ${S}-fake-0, which fakes pods`));
    expect(np.evidence.phases).toEqual(['control: not run', 'deny-all: not run', 'allow: not run']);
    expect(np.evidence.server).toBeNull();
    expect(await labelledLeft()).toEqual([]);

    // The access URL and egress probes too (on the workspace and control-plane nodes: both fake here).
    // Every address is the host side of the bridge, on a closed port: nothing is looked up, nothing leaves.
    const more = await runJson(['--kubeconfig', kube.kubeconfig, '--probe-image', node.nodeImage, '--probe', 'access-url', '--probe', 'egress', '--workspace-selector', 'eks.amazonaws.com/nodegroup=fake-workspaces', '--control-plane-selector', 'eks.amazonaws.com/nodegroup=fake-workspaces', '--access-url', `https://${GATEWAY}:9`, '--egress-endpoint', `https://${GATEWAY}:9/`, '--check', 'access-url.reachability', '--check', 'cluster.egress', '--timeout', '30s']);
    expect(resultOf(more.report, 'cluster.egress')).toMatchObject({ status: 'warn', summary: new RegExp(`^Inconclusive: pod egress-\\w+ landed on node ${S}-fake-0, which fakes pods`) });
    const reach = resultOf(more.report, 'access-url.reachability');
    expect(reach.evidence.fromPods).toEqual([expect.stringMatching(new RegExp(`not walked \\(pod access-url-\\w+ landed on node ${S}-fake-0, which fakes pods`))]);
    expect(reach.evidence.findings).toEqual(expect.arrayContaining([expect.stringMatching(/^warn: From a pod in namespace .*, the access URL could not be walked: pod access-url-\w+ landed on node/)]));
    expect(await labelledLeft()).toEqual([]);
  });

  it('--timeout ends the probes (never with a pass) and the disposer still removes everything', async () => {
    await onlyDefault('local-path');
    const { r, report } = await runJson(args('--active', '--timeout', '3s'));
    expect(r.signal).toBeNull();
    for (const id of IDS) expect(['warn', 'error'], `${id}: ${resultOf(report, id).summary}`).toContain(resultOf(report, id).status);
    expect(await labelledLeft()).toEqual([]);
  });

  for (const probe of ['dynamic-provisioning', 'network-policy']) {
    it(`Ctrl-C during the ${probe} probe leaves no object with the tool's label anywhere`, async () => {
      await onlyDefault('local-path');
      const child = spawn(nodeBin, [cliBin, ...args('--probe', probe, '-o', 'json')], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const closed = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
      // In the middle of the probe: its first pod exists.
      await waitFor(`a ${probe} probe pod`, async () => (await core.listPodForAllNamespaces({ labelSelector: `${TOOL},coder-preflight/probe=${probe}` })).items.length > 0, { timeoutMs: 30_000, intervalMs: 50 });
      child.kill('SIGINT');
      const code = await closed;
      expect(code, stderr).toBe(130);
      expect(stderr).toContain('interrupted — stopping and cleaning up');
      const res = (JSON.parse(stdout) as { results: { id: string; status: string; evidence: { reason?: string } }[] }).results;
      expect(res.find((x) => x.id === (probe === 'network-policy' ? IDS[1] : IDS[0]))).toMatchObject({ status: 'error', evidence: { reason: 'aborted' } });
      expect(await labelledLeft()).toEqual([]);
    });
  }

  it('postgres.latency from a pod on the node (--probe pg-latency): the database through the bridge, straight and behind 16 ms of delay', async () => {
    const pg = await startPostgres({ major: 17 });
    const slow = await startDelayProxy({ target: { host: '127.0.0.1', port: pg.port }, upstreamDelayMs: 8, downstreamDelayMs: 8 });
    const straight = await exposeOnBridge({ name: `pg-${process.pid}`, target: { host: '127.0.0.1', port: pg.port } });
    const delayed = await exposeOnBridge({ name: `pg-slow-${process.pid}`, target: { host: '127.0.0.1', port: slow.port } });
    try {
      const url = (e: { host: string; port: number }) => `postgres://${pg.roles.coder.name}:${encodeURIComponent(pg.roles.coder.password)}@${e.host}:${e.port}/coder?sslmode=disable`;
      const run = (e: { host: string; port: number }) => runJson(['--kubeconfig', kube.kubeconfig, '--probe-image', node.nodeImage, '--probe', 'pg-latency', '--postgres-url', url(e), '--check', 'postgres.latency']);
      const fast = resultOf((await run(straight)).report, 'postgres.latency');
      // The pod logs in (through the run's login Secret) and times SELECT 1 as Coder's queries pay it.
      expect(fast).toMatchObject({ status: 'pass', summary: new RegExp(`answers in [\\d.]+ ms \\(p50, SELECT 1 round trips\\) from a pod on node ${node.name}`) });
      expect(fast.evidence.measurements).toHaveLength(2);
      expect((fast.evidence.measurements as string[])[1]).toMatch(/^a pod on node .*: SELECT 1 round trips p50 [\d.]+ ms, p95 [\d.]+ ms \(n=20\); SSLRequest p50/);
      const far = resultOf((await run(delayed)).report, 'postgres.latency');
      // From the cluster, where Coder runs: a fail, not the warn a measurement from here would get.
      expect(far).toMatchObject({ status: 'fail', summary: new RegExp(`from a pod on node ${node.name}.*where Coder runs: over the 10 ms`) });
      expect(far.evidence.p50Ms).toBeGreaterThanOrEqual(16);
      expect(await labelledLeft()).toEqual([]);
    } finally {
      await unexpose(straight);
      await unexpose(delayed);
      await slow.close();
      await stopPostgres(pg);
    }
  });

  it('postgres.connect-from-cluster (--probe pg-connect): logs in through the cluster\'s DNS; a Service name that does not exist is a DNS failure with the near miss; the password is in no pod spec, event, log or output; Ctrl-C mid-probe leaves nothing', async () => {
    const pg = await startPostgres({ major: 17 });
    const exposed = await exposeOnBridge({ name: `pgc-${process.pid}`, target: { host: '127.0.0.1', port: pg.port } });
    // The cluster's DNS: the pods' resolver (kubelet clusterDNS) on the host side of the bridge.
    const dns = await startWorldDns({ a: { 'coder-db-postgresql.coder.svc.cluster.local': GATEWAY }, drop: ['slow-db.coder.svc.cluster.local'] }, GATEWAY);
    await ensureNamespace(kc, S, 'coder');
    await applyManifests(kc, S, [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'coder-db-postgresql', namespace: 'coder' }, spec: { clusterIP: 'None', ports: [{ port: exposed.port, name: 'tcp-postgresql' }] } } as never]);
    const { roles } = pg;
    const password = roles.coder.password;
    const url = (host: string, pw = password) => `postgres://${roles.coder.name}:${encodeURIComponent(pw)}@${host}:${exposed.port}/coder?sslmode=disable`;
    // While a run goes on: every probe pod's spec, its log once it ran, and the events of the scratch namespaces.
    const seen: string[] = [];
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const pods = await core.listPodForAllNamespaces({ labelSelector: 'coder-preflight/probe=pg-connect' }).catch(() => ({ items: [] }));
        for (const p of pods.items) {
          seen.push(JSON.stringify(p));
          if (p.status?.containerStatuses?.[0]?.state?.terminated) seen.push(String(await core.readNamespacedPodLog({ name: p.metadata!.name!, namespace: p.metadata!.namespace! }).catch(() => '')));
          seen.push(JSON.stringify(await core.listNamespacedEvent({ namespace: p.metadata!.namespace! }).catch(() => ({}))));
        }
        await new Promise((r) => setTimeout(r, 150));
      }
    })();
    const run = (u: string) => runJson(['--kubeconfig', kube.kubeconfig, '--probe-image', node.nodeImage, '--probe', 'pg-connect', '--postgres-url', u, '--check', 'postgres.connect-from-cluster']);
    try {
      const good = await run(url('coder-db-postgresql.coder.svc.cluster.local'));
      const ok = resultOf(good.report, 'postgres.connect-from-cluster');
      expect(ok, good.r.stderr).toMatchObject({ status: 'pass', summary: new RegExp(`^From a pod on node ${node.name}, coder-db-postgresql\\.coder\\.svc\\.cluster\\.local:${exposed.port} resolves and accepts Coder's login: PostgreSQL 17\\.\\d+ \\(no TLS, sslmode=disable\\)`) });
      expect(ok.evidence.dns).toMatch(/^10\.88\.0\.1 in \d+ ms$/);
      // A bare Service name resolves as in Coder's namespace (--namespace coder), as it does for Coder.
      const bare = resultOf((await run(url('coder-db-postgresql'))).report, 'postgres.connect-from-cluster');
      expect(bare.status).toBe('pass');

      const miss = await run(url('postgresql.coder.svc.cluster.local'));
      const m = resultOf(miss.report, 'postgres.connect-from-cluster');
      expect(miss.r.code).toBe(3);
      expect(m).toMatchObject({ status: 'fail', summary: /does not resolve \(ENOTFOUND\): Coder's pods would not find the database; did you mean coder-db-postgresql\.coder\.svc\.cluster\.local\? \(Service coder\/coder-db-postgresql has a name like postgresql\)$/ });
      expect(dns.queries.map((q) => q.name)).toContain('postgresql.coder.svc.cluster.local');

      const wrong = resultOf((await run(url('coder-db-postgresql.coder.svc.cluster.local', 'not-the-password'))).report, 'postgres.connect-from-cluster');
      expect(wrong).toMatchObject({ status: 'fail', summary: `From a pod on node ${node.name}, Coder could not connect: password authentication failed for user "${roles.coder.name}"` });

      for (const out of [good, miss]) expect(out.r.stdout + out.r.stderr).not.toContain(password);

      // Ctrl-C while the pod waits on a resolver that never answers: the pod and the login Secret go.
      const child = spawn(nodeBin, [cliBin, '--kubeconfig', kube.kubeconfig, '--probe-image', node.nodeImage, '--probe', 'pg-connect', '--postgres-url', url('slow-db.coder.svc.cluster.local'), '--check', 'postgres.connect-from-cluster', '-o', 'json'], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const closed = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
      await waitFor('the pg-connect pod running', async () => (await core.listPodForAllNamespaces({ labelSelector: `${TOOL},coder-preflight/probe=pg-connect` })).items.some((p) => p.status?.phase === 'Running'), { timeoutMs: 30_000, intervalMs: 50 });
      child.kill('SIGINT');
      expect(await closed, stderr).toBe(130);
      expect(stderr).not.toContain(password);
      watching = false;
      await watch;
      expect(seen.filter((x) => x.includes('"kind":"Pod"') || x.includes('pg-connect')).length).toBeGreaterThan(0);
      expect(seen.join('\n')).toMatch(/"coder-preflight-pg-login"/); // the pods mount the Secret …
      expect(seen.join('\n')).not.toContain(password); // … and nothing the watcher saw holds the password
      expect(await labelledLeft()).toEqual([]);
    } finally {
      watching = false;
      await watch;
      await dns.close();
      await unexpose(exposed);
      await stopPostgres(pg);
    }
  });

  it('access-url.reachability from a pod in the workspace namespace (--probe access-url): the same walk as from here; a name only this machine\'s DNS knows is split-horizon', async () => {
    const pki = makeFrontDoorPki();
    const door = await startFrontDoor(pki, 'good', 'coder', { address: '127.0.0.1', port: 0 });
    // The front door on the host side of the bridge, port 443: this machine and the pods dial the same 10.88.0.1:443.
    const exposed = await exposeOnBridge({ name: `door-${process.pid}`, target: { host: '127.0.0.1', port: door.port }, port: 443 });
    const hostDns = await startWorldDns({ a: { [FRONT_DOOR_HOST]: GATEWAY } });
    const podDns = await startWorldDns({ a: { [FRONT_DOOR_HOST]: GATEWAY } }, GATEWAY);
    await ensureNamespace(kc, S, 'coder');
    const run = async () => {
      const [cmd, argv] = runWithResolver(worldResolvConf(hostDns.address), worldHostsFile(), nodeBin, [cliBin, '--kubeconfig', kube.kubeconfig, '--probe-image', node.nodeImage, '--probe', 'access-url', '-n', 'coder', '--access-url', `https://${FRONT_DOOR_HOST}`, '--ca-bundle', pki.rootCa, '--check', 'access-url.reachability', '-o', 'json']);
      const r = await spawnRun(cmd, argv, { env: cleanEnv(), timeoutMs: 90_000 });
      return { r, res: resultOf(JSON.parse(r.stdout), 'access-url.reachability') };
    };
    try {
      const good = await run();
      expect(good.res, good.r.stderr).toMatchObject({ status: 'pass', summary: new RegExp(`^https://${FRONT_DOOR_HOST.replace(/\./g, '\\.')} is reachable from .*Coder v[\\d.]+ answers /healthz and serves the agent binary \\(ELF\\); and from a pod where workspaces run \\(namespace coder\\)$`) });
      expect(good.res.evidence.fromPods).toEqual([expect.stringMatching(new RegExp(`^a pod in namespace coder on node ${node.name}: DNS ${FRONT_DOOR_HOST.replace(/\./g, '\\.')} → 10\\.88\\.0\\.1 .*TLS TLSv1\\.3`))]);
      expect(podDns.queries.map((q) => q.name)).toContain(FRONT_DOOR_HOST);

      // The cluster's DNS does not know the name this machine's resolver answers.
      podDns.setZone({ a: {} });
      const split = await run();
      expect(split.r.code).toBe(3);
      expect(split.res).toMatchObject({ status: 'fail', summary: new RegExp(`^DNS: ${FRONT_DOOR_HOST.replace(/\./g, '\\.')} resolves here \\(10\\.88\\.0\\.1\\) but not from a pod in namespace coder on node ${node.name} \\(ENOTFOUND\\): split-horizon DNS`) });
      expect(await labelledLeft()).toEqual([]); // the pod and the agent's ConfigMap in namespace coder too
    } finally {
      await hostDns.close();
      await podDns.close();
      await unexpose(exposed);
      await door.close();
    }
  });

  it('cluster.egress from Coder\'s namespace (--probe egress): the endpoints answer; a default-deny egress policy there (DNS allowed) blocks them, named per endpoint', async () => {
    const pki = makeFrontDoorPki();
    const door = await startFrontDoor(pki, 'good', 'coder', { address: '127.0.0.1', port: 0 });
    const exposed = await exposeOnBridge({ name: `egress-${process.pid}`, target: { host: '127.0.0.1', port: door.port } });
    // Names under the front door certificate's wildcard, resolved by the pods' DNS to the host side of the bridge.
    const names = ['registry.apps.preflight.test', 'releases.apps.preflight.test'];
    const podDns = await startWorldDns({ a: Object.fromEntries(names.map((n) => [n, GATEWAY])) }, GATEWAY);
    await ensureNamespace(kc, S, 'coder');
    const endpoints = [`https://${names[0]}:${exposed.port}/v2/`, `https://${names[1]}:${exposed.port}/terraform/index.json`];
    const run = () => runJson(['--kubeconfig', kube.kubeconfig, '--probe-image', node.nodeImage, '--probe', 'egress', '-n', 'coder', '--ca-bundle', pki.rootCa, ...endpoints.flatMap((e) => ['--egress-endpoint', e]), '--check', 'cluster.egress']);
    try {
      const open = await run();
      const ok = resultOf(open.report, 'cluster.egress');
      expect(ok, open.r.stderr).toMatchObject({ status: 'pass', summary: new RegExp(`^From a pod in namespace coder on node ${node.name}, all 2 endpoints answer: registry\\.apps\\.preflight\\.test 404, releases\\.apps\\.preflight\\.test 404$`) });
      expect(ok.evidence.endpointsFrom).toBe('--egress-endpoint');

      // Coder's namespace allows DNS out and nothing else.
      await applyManifests(kc, S, [{ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'default-deny-egress', namespace: 'coder' }, spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] }] } } as never]);
      // kube-router takes a moment to program a new policy: run until it does (bounded), as a user would long after.
      let shut = await run();
      for (let i = 0; i < 5 && shut.r.code !== 3; i++) {
        await new Promise((r) => setTimeout(r, 2000));
        shut = await run();
      }
      const bad = resultOf(shut.report, 'cluster.egress');
      expect(shut.r.code).toBe(3);
      expect(bad).toMatchObject({ status: 'fail', summary: new RegExp(`^From a pod in namespace coder on node ${node.name}, 2 of 2 endpoints an install needs cannot be reached: registry\\.apps\\.preflight\\.test:${exposed.port} cannot be connected to — the connection was dropped`) });
      expect(await labelledLeft()).toEqual([]);
    } finally {
      await objects.delete({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'default-deny-egress', namespace: 'coder' } }).catch(() => undefined);
      await podDns.close();
      await unexpose(exposed);
      await door.close();
    }
  });

  it('in the cluster (deploy/): the Job runs the tool with its read-only service account, the JSON report is its log, and every measurement names the cluster as its vantage point', async () => {
    const image = await toolImage(node);
    const api = await exposeOnBridge({ name: `apiserver-${process.pid}`, target: { host: '127.0.0.1', port: kube.ports.apiserver } });
    const pg = await startPostgres({ major: 17 });
    const db = await exposeOnBridge({ name: `pg-job-${process.pid}`, target: { host: '127.0.0.1', port: pg.port } });
    await ensureNamespace(kc, S, 'coder');
    const docs = (f: string) => parseAllDocuments(readFileSync(join(repoRoot, 'deploy', f), 'utf8')).map((d) => d.toJS() as KubernetesObject);
    const rbac = docs('rbac.yaml').map((o) => ({ ...o, metadata: { ...o.metadata, ...(['ClusterRole', 'ClusterRoleBinding'].includes(o.kind!) ? {} : { namespace: 'coder' }) } }));
    const [job] = docs('job.yaml') as (KubernetesObject & { spec: { template: { spec: { containers: Record<string, unknown>[] } } } })[];
    // As deploy/job.yaml is, but with the tool already in the image (no registry here) and the way to the
    // API server the world has (no kube-proxy: the bridge's gateway, which the server's certificate names).
    const c = job!.spec.template.spec.containers[0]!;
    Object.assign(c, { image, imagePullPolicy: 'Never', command: ['node', '/app/bin/coder-preflight.js'], env: [...(c.env as object[]), { name: 'KUBERNETES_SERVICE_HOST', value: GATEWAY }, { name: 'KUBERNETES_SERVICE_PORT', value: String(api.port) }] });
    // The Helm values the install will use, mounted from a ConfigMap (as the manifest's comment says): the database URL from its Secret.
    Object.assign(c, { args: [...(c.args as string[]), '-f', '/values/values.yaml'], volumeMounts: [...(c.volumeMounts as object[]), { name: 'values', mountPath: '/values', readOnly: true }] });
    const podSpec = job!.spec.template.spec as unknown as { volumes: object[] };
    podSpec.volumes = [...podSpec.volumes, { name: 'values', configMap: { name: 'coder-preflight-values' } }];
    const valuesYaml = 'coder:\n  env:\n    - name: CODER_PG_CONNECTION_URL\n      valueFrom: { secretKeyRef: { name: coder-db-url, key: url } }\n';
    await createSecret(kc, S, { namespace: 'coder', name: 'coder-db-url', stringData: { url: `postgres://${pg.roles.coder.name}:${encodeURIComponent(pg.roles.coder.password)}@${db.host}:${db.port}/coder?sslmode=disable` } });
    try {
      await applyManifests(kc, S, [...rbac, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'coder-preflight-values', namespace: 'coder' }, data: { 'values.yaml': valuesYaml } } as KubernetesObject, { ...job!, metadata: { ...job!.metadata, namespace: 'coder' } }]);
      const pod = await waitFor('the Job\'s pod to finish', async () => {
        const pods = await core.listNamespacedPod({ namespace: 'coder', labelSelector: 'job-name=coder-preflight' });
        return pods.items.find((p) => p.status?.containerStatuses?.[0]?.state?.terminated);
      }, { timeoutMs: 120_000, intervalMs: 500 });
      const log = String(await core.readNamespacedPodLog({ namespace: 'coder', name: pod.metadata!.name! }));
      const report = JSON.parse(log.slice(log.indexOf('{'), log.lastIndexOf('}') + 1)) as Report;
      assertValidReport(report);
      const res = (id: string) => resultOf(report, id);
      expect(report.target.kubernetes).toMatchObject({ context: 'in-cluster', server: `https://${GATEWAY}:${api.port}` });
      // The database from the cluster: the verdict's vantage point is the pod itself.
      const latency = res('postgres.latency');
      expect(latency).toMatchObject({ status: 'pass', vantage: new RegExp(`^in the cluster \\(pod coder/${pod.metadata!.name}\\)$`), summary: /where Coder runs$/ });
      expect(res('postgres.connect')).toMatchObject({ status: 'pass', vantage: latency.vantage });
      // Read-only, and enough: no passive check is refused anything but what the manifest leaves out on purpose.
      const refused = report.results.filter((x) => x.evidence?.reason === 'forbidden' || /forbidden|may not/i.test(x.summary)).map((x) => `${x.id}: ${x.status}: ${x.summary}`);
      expect(refused).toEqual([]);
      // What the installer may do is not the Job's service account's to answer: those checks say so.
      for (const id of ['kubernetes.rbac', 'kubernetes.admission-dry-run']) expect(res(id)).toMatchObject({ status: 'skip', summary: /^Not judged in the cluster: coder-preflight runs as the pod's service account here, not as whoever will run helm install/ });
      expect(res('values.pg-url-wired').status).toBe('pass'); // the mounted values file was read
      for (const id of ['kubernetes.api', 'kubernetes.version', 'kubernetes.node-groups', 'kubernetes.storage-class', 'kubernetes.cni', 'kubernetes.apiservices']) expect(res(id).status, `${id}: ${res(id).summary}`).not.toBe('error');
      expect(log).not.toContain(pg.roles.coder.password);
    } finally {
      for (const o of [...rbac].reverse()) await objects.delete(o as never).catch(() => undefined);
      await objects.delete({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'coder-preflight', namespace: 'coder' } }, undefined, undefined, 0, undefined, 'Background').catch(() => undefined);
      await unexpose(db);
      await unexpose(api);
      await stopPostgres(pg);
    }
  });

  it('cleanup removes what earlier runs left (namespaces, labelled objects elsewhere, volumes of their claims), keeps a run in progress, and says so', async () => {
    const past = new Date(Date.now() - 3600_000).toISOString();
    const later = new Date(Date.now() + 3600_000).toISOString();
    const tool = (run: string) => ({ 'app.kubernetes.io/managed-by': 'coder-preflight', 'coder-preflight/run': run });
    await core.createNamespace({ body: { metadata: { name: 'coder-preflight-plant0001', labels: tool('plant0001'), annotations: { 'coder-preflight/expires': past, 'coder-preflight/started-by': 'coder-preflight test' } } } });
    await waitFor('default ServiceAccount', () => core.readNamespacedServiceAccount({ name: 'default', namespace: 'coder-preflight-plant0001' }), { timeoutMs: 30_000 });
    await core.createNamespacedConfigMap({ namespace: 'coder-preflight-plant0001', body: { metadata: { name: 'agent', labels: tool('plant0001') }, data: { a: 'b' } } });
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: `coder-preflight-plant0002-${process.pid}`, labels: tool('plant0002') }, data: { a: 'b' } } });
    await core.createNamespace({ body: { metadata: { name: 'coder-preflight-live0003', labels: tool('live0003'), annotations: { 'coder-preflight/expires': later } } } });
    // A volume a killed run's claim left: Retain, its namespace gone; the world's provisioner made it (and deletes it once it is Delete).
    const pv = `pvc-planted-${process.pid}`;
    await core.createPersistentVolume({
      body: {
        metadata: { name: pv, annotations: { 'pv.kubernetes.io/provisioned-by': HOSTPATH_PROVISIONER } },
        spec: {
          capacity: { storage: '1Gi' },
          accessModes: ['ReadWriteOnce'],
          persistentVolumeReclaimPolicy: 'Retain',
          storageClassName: kube.storageClasses.immediate,
          hostPath: { path: join(kube.volumesDir, pv), type: 'DirectoryOrCreate' },
          claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'coder-preflight-gone0004', name: 'volume-x', uid: '00000000-0000-0000-0000-000000000004' },
        },
      },
    });
    await waitFor(`${pv} Released`, async () => (await core.readPersistentVolume({ name: pv })).status?.phase === 'Released', { timeoutMs: 30_000, intervalMs: 200 });

    const r = await runCli(['cleanup', '--kubeconfig', kube.kubeconfig], { timeoutMs: 90_000 });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^coder-preflight cleanup: 3 removed, 1 kept \(a run in progress\), 0 problems in world-admin \(https:\/\/127\.0\.0\.1:\d+\)$/);
    expect(lines.find((l) => l.startsWith('  removed Namespace coder-preflight-plant0001 (run plant0001): started by coder-preflight test at '))).toBeDefined();
    expect(lines).toContain(`  removed ConfigMap default/coder-preflight-plant0002-${process.pid} (run plant0002)`);
    expect(lines).toContain(`  removed PersistentVolume ${pv} (run gone0004): claim coder-preflight-gone0004/volume-x; was Retain: handed to its provisioner to delete with its disk`);
    expect(lines.find((l) => l.startsWith('  kept    Namespace coder-preflight-live0003 (run live0003): its run may still be going (until '))).toBeDefined();
    const gone = (p: Promise<unknown>) => p.then(() => false, (e: { code?: number }) => e.code === 404);
    expect(await gone(core.readNamespace({ name: 'coder-preflight-plant0001' }))).toBe(true);
    expect(await gone(core.readNamespacedConfigMap({ namespace: 'default', name: `coder-preflight-plant0002-${process.pid}` }))).toBe(true);
    expect(await gone(core.readPersistentVolume({ name: pv }))).toBe(true);
    expect(await gone(core.readNamespace({ name: 'coder-preflight-live0003' }))).toBe(false);

    await core.deleteNamespace({ name: 'coder-preflight-live0003' });
    await waitFor('live namespace gone', () => gone(core.readNamespace({ name: 'coder-preflight-live0003' })), { timeoutMs: 30_000, intervalMs: 250 });
    const again = await runCli(['cleanup', '--kubeconfig', kube.kubeconfig]);
    expect(again.stdout).toMatch(/^coder-preflight cleanup: nothing left by earlier runs in world-admin /);
  });
});

describe.skipIf(!isRoot)('the NetworkPolicy probe on the real node without an enforcer', () => {
  beforeAll(async () => {
    node = await upNode(kube, { netpol: false });
  });
  afterAll(async () => {
    await downNode();
  });

  it('fails: the deny-all policy blocks nothing (the bridge CNI alone ignores NetworkPolicy)', async () => {
    const { r, report } = await runJson(args('--probe', 'network-policy'));
    expect(r.code, r.stderr).toBe(3);
    const np = resultOf(report, IDS[1]!);
    expect(np.status).toBe('fail');
    expect(np.summary).toMatch(/^NetworkPolicy is not enforced on node world-node-1: with a deny-all ingress policy on the server, the client still reached it (\d+)\/\1 times over 10 s/);
    expect(np.evidence.phases).toEqual([expect.stringMatching(/^control: met .*R$/), expect.stringMatching(/^deny-all: not met after \d+ attempts, R+$/), 'allow: not run']);
    expect(await labelledLeft()).toEqual([]);
  });

  it('cluster.egress with the same default-deny egress policy and no enforcer: the endpoints answer (what Coder would see here)', async () => {
    const pki = makeFrontDoorPki();
    const door = await startFrontDoor(pki, 'good', 'coder', { address: '127.0.0.1', port: 0 });
    const exposed = await exposeOnBridge({ name: `egress-open-${process.pid}`, target: { host: '127.0.0.1', port: door.port } });
    const podDns = await startWorldDns({ a: { 'registry.apps.preflight.test': GATEWAY } }, GATEWAY);
    await ensureNamespace(kc, S, 'coder');
    await applyManifests(kc, S, [{ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'default-deny-egress', namespace: 'coder' }, spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ protocol: 'UDP', port: 53 }] }] } } as never]);
    try {
      const { report } = await runJson(['--kubeconfig', kube.kubeconfig, '--probe-image', node.nodeImage, '--probe', 'egress', '-n', 'coder', '--ca-bundle', pki.rootCa, '--egress-endpoint', `https://registry.apps.preflight.test:${exposed.port}/v2/`, '--check', 'cluster.egress']);
      expect(resultOf(report, 'cluster.egress')).toMatchObject({ status: 'pass', summary: new RegExp(`^From a pod in namespace coder on node ${node.name}, all 1 endpoints answer`) });
      expect(await labelledLeft()).toEqual([]);
    } finally {
      await resetScenario(kc, S);
      await podDns.close();
      await unexpose(exposed);
      await door.close();
    }
  });
});
