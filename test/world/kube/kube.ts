// The real local Kubernetes control plane of the test world: etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler, kwok (fake nodes/pods) and our hostPath provisioner,
// all on 127.0.0.1, started as detached daemons (proc.ts) so `world up` can return.
//
//   const info = await upKube();   // JSON-serializable KubeInfo; idempotent (reuses a healthy running one)
//   ...                            // info.kubeconfig (admin + viewer contexts), info.viewerKubeconfig
//   await downKube();              // stops its daemons by PID, removes its state dir
//
// Nothing here dials anything but 127.0.0.1: pod IPs, ClusterIPs and node addresses are kwok's fakes.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import {
  ApiregistrationV1Api,
  CoreV1Api,
  KubeConfig,
  RbacAuthorizationV1Api,
  StorageV1Api,
  type V1StorageClass,
} from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { freePort, isAlive, recordedDaemons, repoRoot, startDaemon, stopDaemon, waitFor, worldDir, type Daemon } from '../proc.ts';
import { kubeBinDir } from './bins.ts';
import { makePki, type ClientName, type Pki } from './pki.ts';

export const K8S_VERSION = 'v1.35.4';
export const CLUSTER_NAME = 'coder-preflight-world';
export const CONTEXTS = { admin: 'world-admin', viewer: 'world-viewer' } as const;
/** Provisioner name our daemon serves, and one nobody serves. */
export const HOSTPATH_PROVISIONER = 'preflight.test/hostpath';
export const NOOP_PROVISIONER = 'preflight.test/noop';
export const STORAGE_CLASSES = { immediate: 'world-immediate', wffc: 'world-wffc', noop: 'world-noop' } as const;
/** Registered for a Service that does not exist, so the aggregator reports Available=False. */
export const BROKEN_API_SERVICE = 'v1beta1.metrics.k8s.io';
/** Label on every baseline object upKube creates (scenario objects carry preflight.test/scenario). */
export const WORLD_LABEL = 'preflight.test/world';
export const SERVICE_CIDR = '10.96.0.0/16';
/** kwok hands out pod IPs from here; they are fake and must never be dialed. */
export const POD_CIDR = '10.244.0.0/16';

const DAEMONS = {
  etcd: 'kube-etcd',
  apiserver: 'kube-apiserver',
  controllerManager: 'kube-controller-manager',
  scheduler: 'kube-scheduler',
  kwok: 'kube-kwok',
  provisioner: 'kube-provisioner',
} as const;
type Component = keyof typeof DAEMONS;

export interface KubeInfo {
  /** https://127.0.0.1:<port> */
  server: string;
  /** gitVersion the apiserver reports on /version, e.g. v1.35.4 */
  version: string;
  /** Admin kubeconfig (system:masters); also holds the viewer context. Certs are embedded. */
  kubeconfig: string;
  /** Kubeconfig with only the restricted user (ClusterRole `view`, nothing else). */
  viewerKubeconfig: string;
  contexts: { admin: string; viewer: string };
  users: { admin: string; viewer: string };
  clusterName: string;
  caFile: string;
  pkiDir: string;
  stateDir: string;
  /** hostPath volumes made by the provisioner live below this. */
  volumesDir: string;
  binDir: string;
  storageClasses: { immediate: string; wffc: string; noop: string };
  apiService: string | null;
  ports: { etcd: number; etcdPeer: number; apiserver: number; controllerManager: number; scheduler: number; kwok: number };
  pids: Record<Component, number>;
  logs: Record<Component, string>;
  /** Wall time of the upKube call that started it. */
  startMs: number;
}

export interface UpKubeOptions {
  /**
   * Register BROKEN_API_SERVICE at start (default false). Off by default because, exactly as on a real
   * cluster, an unavailable aggregated API makes namespace deletion stall (NamespaceDeletionDiscoveryFailure),
   * which would break resets between tests; scenarios add it with scenario.ts `brokenApiService()`.
   */
  apiService?: boolean;
  /** Start the hostPath provisioner daemon (default true). */
  provisioner?: boolean;
  /** Log progress lines to stderr (default false). */
  verbose?: boolean;
}

export const kubeStateDir = () => join(worldDir, 'kube');
const infoFile = () => join(kubeStateDir(), 'info.json');

/** The running control plane's info, or undefined. */
export function readKubeInfo(): KubeInfo | undefined {
  try {
    return JSON.parse(readFileSync(infoFile(), 'utf8')) as KubeInfo;
  } catch {
    return undefined;
  }
}

/** A KubeConfig for the admin or the restricted viewer user. */
export function kubeConfig(info: KubeInfo, who: 'admin' | 'viewer' = 'admin'): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(who === 'admin' ? info.kubeconfig : info.viewerKubeconfig);
  kc.setCurrentContext(info.contexts[who]);
  return kc;
}

interface HttpResult {
  status: number;
  body: string;
}

/** GET a loopback URL (refuses anything else). */
export function get(url: string, opts: { ca?: string; insecure?: boolean; timeoutMs?: number } = {}): Promise<HttpResult> {
  const u = new URL(url);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)) throw new Error(`refusing non-loopback URL ${url}`);
  return new Promise((resolve, reject) => {
    const done = (res: import('node:http').IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    };
    const req =
      u.protocol === 'https:'
        ? httpsRequest(u, { ca: opts.ca, rejectUnauthorized: !opts.insecure, timeout: opts.timeoutMs ?? 5000 }, done)
        : httpRequest(u, { timeout: opts.timeoutMs ?? 5000 }, done);
    req.on('timeout', () => req.destroy(new Error(`timeout GET ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

function kubeconfigYaml(server: string, caFile: string, users: { ctx: string; user: string; crt: string; key: string }[]): string {
  const b64 = (f: string) => readFileSync(f).toString('base64');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: CLUSTER_NAME, cluster: { server, 'certificate-authority-data': b64(caFile) } }],
    users: users.map((u) => ({ name: u.user, user: { 'client-certificate-data': b64(u.crt), 'client-key-data': b64(u.key) } })),
    contexts: users.map((u) => ({ name: u.ctx, context: { cluster: CLUSTER_NAME, user: u.user } })),
    'current-context': users[0]?.ctx,
  });
}

function writeKubeconfig(file: string, server: string, pki: Pki, who: { ctx: string; client: ClientName }[]): string {
  const users = who.map((w) => ({ ctx: w.ctx, user: pki.clients[w.client].user, crt: pki.clients[w.client].crt, key: pki.clients[w.client].key }));
  writeFileSync(file, kubeconfigYaml(server, pki.caCrt, users), { mode: 0o600 });
  return file;
}

function nodeBinary(): string {
  const pinned = join(repoRoot, 'node_modules', '.bin', 'node');
  return existsSync(pinned) ? pinned : process.execPath;
}

const isConflict = (e: unknown) => (e as { code?: number }).code === 409;

async function createIfMissing(create: () => Promise<unknown>): Promise<void> {
  try {
    await create();
  } catch (e) {
    if (!isConflict(e)) throw e;
  }
}

/** Objects every world has: the viewer's binding, the three StorageClasses, the broken APIService. */
async function applyBaseline(kc: KubeConfig, opts: UpKubeOptions, viewerUser: string): Promise<void> {
  const labels = { [WORLD_LABEL]: 'true' };
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const storage = kc.makeApiClient(StorageV1Api);
  const sc = (name: string, provisioner: string, mode: 'Immediate' | 'WaitForFirstConsumer'): V1StorageClass => ({
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name, labels },
    provisioner,
    reclaimPolicy: 'Delete',
    volumeBindingMode: mode,
    allowVolumeExpansion: false,
  });
  const jobs: Promise<void>[] = [
    createIfMissing(() =>
      rbac.createClusterRoleBinding({
        body: {
          metadata: { name: 'preflight-world-viewer', labels },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
          subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: viewerUser }],
        },
      }),
    ),
    createIfMissing(() => storage.createStorageClass({ body: sc(STORAGE_CLASSES.immediate, HOSTPATH_PROVISIONER, 'Immediate') })),
    createIfMissing(() => storage.createStorageClass({ body: sc(STORAGE_CLASSES.wffc, HOSTPATH_PROVISIONER, 'WaitForFirstConsumer') })),
    createIfMissing(() => storage.createStorageClass({ body: sc(STORAGE_CLASSES.noop, NOOP_PROVISIONER, 'Immediate') })),
  ];
  if (opts.apiService === true) jobs.push(createIfMissing(() => registerBrokenApiService(kc)));
  await Promise.all(jobs);
}

/** Register v1beta1.metrics.k8s.io -> Service kube-system/metrics-server, which does not exist. */
export function registerBrokenApiService(kc: KubeConfig, labels: Record<string, string> = { [WORLD_LABEL]: 'true' }): Promise<unknown> {
  return kc.makeApiClient(ApiregistrationV1Api).createAPIService({
    body: {
      metadata: { name: BROKEN_API_SERVICE, labels: { ...labels, 'k8s-app': 'metrics-server' } },
      spec: {
        group: 'metrics.k8s.io',
        version: 'v1beta1',
        service: { namespace: 'kube-system', name: 'metrics-server', port: 443 },
        insecureSkipTLSVerify: true,
        groupPriorityMinimum: 100,
        versionPriority: 100,
      },
    },
  });
}

async function healthy(info: KubeInfo): Promise<boolean> {
  for (const [c, pid] of Object.entries(info.pids)) {
    if (pid && !isAlive(pid)) return false;
    if (pid && !recordedDaemons().some((d) => d.pid === pid && d.name === DAEMONS[c as Component])) return false;
  }
  try {
    const r = await get(`${info.server}/readyz`, { ca: readFileSync(info.caFile, 'utf8'), timeoutMs: 2000 });
    return r.status === 200;
  } catch {
    return false;
  }
}

/**
 * Start the control plane (or return the running one if it is healthy). Resolves once /readyz is 200,
 * the controller manager and scheduler are healthy, kwok and the provisioner run, the baseline objects
 * exist and the `default` ServiceAccount has been created by the controller manager.
 */
export async function upKube(opts: UpKubeOptions = {}): Promise<KubeInfo> {
  const t0 = Date.now();
  const log = (m: string) => {
    if (opts.verbose) process.stderr.write(`kube: ${m} (+${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
  };
  const existing = readKubeInfo();
  if (existing && (await healthy(existing))) {
    log('already running');
    return existing;
  }
  await downKube();

  const binDir = kubeBinDir();
  const bin = (b: string) => join(binDir, b);
  const state = kubeStateDir();
  mkdirSync(state, { recursive: true, mode: 0o700 });
  const volumesDir = join(state, 'volumes');
  mkdirSync(volumesDir, { recursive: true });
  const pki = makePki(join(state, 'pki'));
  log('PKI generated');

  const [etcdPort, etcdPeer, apiPort, kcmPort, schedPort, kwokPort] = await Promise.all(
    Array.from({ length: 6 }, () => freePort()),
  ) as [number, number, number, number, number, number];
  const server = `https://127.0.0.1:${apiPort}`;
  const ca = readFileSync(pki.caCrt, 'utf8');
  const admin = writeKubeconfig(join(state, 'admin.kubeconfig'), server, pki, [
    { ctx: CONTEXTS.admin, client: 'admin' },
    { ctx: CONTEXTS.viewer, client: 'viewer' },
  ]);
  const viewer = writeKubeconfig(join(state, 'viewer.kubeconfig'), server, pki, [{ ctx: CONTEXTS.viewer, client: 'viewer' }]);
  const kcmKubeconfig = writeKubeconfig(join(state, 'controller-manager.kubeconfig'), server, pki, [
    { ctx: 'kcm', client: 'controller-manager' },
  ]);
  const schedKubeconfig = writeKubeconfig(join(state, 'scheduler.kubeconfig'), server, pki, [{ ctx: 'scheduler', client: 'scheduler' }]);

  const daemons: Partial<Record<Component, Daemon>> = {};
  const start = (c: Component, command: string, args: string[], env?: NodeJS.ProcessEnv) =>
    (daemons[c] = startDaemon({ name: DAEMONS[c], command, args, env }));

  try {
    // etcd
    const etcd = start('etcd', bin('etcd'), [
      '--name=world',
      `--data-dir=${join(state, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=world=http://127.0.0.1:${etcdPeer}`,
      '--unsafe-no-fsync=true',
      '--quota-backend-bytes=2147483648',
      '--auto-compaction-retention=1',
      '--log-level=warn',
    ]);
    await waitFor('etcd /readyz', async () => (await get(`http://127.0.0.1:${etcdPort}/readyz`)).status === 200, {
      daemon: etcd,
      timeoutMs: 30_000,
      intervalMs: 50,
    });
    log('etcd ready');

    // kube-apiserver
    const api = start('apiserver', bin('kube-apiserver'), [
      `--etcd-servers=http://127.0.0.1:${etcdPort}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      '--advertise-address=127.0.0.1',
      '--endpoint-reconciler-type=none', // loopback may not be in the `kubernetes` Endpoints
      `--tls-cert-file=${pki.apiserverCrt}`,
      `--tls-private-key-file=${pki.apiserverKey}`,
      `--client-ca-file=${pki.caCrt}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${pki.saPub}`,
      `--service-account-signing-key-file=${pki.saKey}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      '--authorization-mode=Node,RBAC',
      '--allow-privileged=true',
      `--cert-dir=${join(state, 'apiserver-certs')}`,
      // Aggregation layer (APIServices): front-proxy identity and the request-header authn it needs.
      `--requestheader-client-ca-file=${pki.frontProxyCaCrt}`,
      '--requestheader-allowed-names=front-proxy-client',
      '--requestheader-username-headers=X-Remote-User',
      '--requestheader-group-headers=X-Remote-Group',
      '--requestheader-extra-headers-prefix=X-Remote-Extra-',
      `--proxy-client-cert-file=${pki.frontProxyClientCrt}`,
      `--proxy-client-key-file=${pki.frontProxyClientKey}`,
      // apiserver -> kubelet (only the real node has one; kwok nodes are never dialed).
      `--kubelet-client-certificate=${pki.clients['kubelet-client'].crt}`,
      `--kubelet-client-key=${pki.clients['kubelet-client'].key}`,
      `--kubelet-certificate-authority=${pki.caCrt}`,
      // Reach a real node's kubelet by its InternalIP: a host name would mean a DNS query off the machine.
      '--kubelet-preferred-address-types=InternalIP,Hostname',
      '--profiling=false',
      '--v=1',
    ]);
    await waitFor('kube-apiserver /readyz', async () => (await get(`${server}/readyz`, { ca, timeoutMs: 2000 })).status === 200, {
      daemon: api,
      timeoutMs: 90_000,
      intervalMs: 100,
    });
    log('kube-apiserver ready');

    const common = (kubeconfig: string, port: number) => [
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
      '--leader-elect=false',
      '--profiling=false',
      '--v=1',
    ];
    const kcm = start('controllerManager', bin('kube-controller-manager'), [
      ...common(kcmKubeconfig, kcmPort),
      '--controllers=*',
      '--use-service-account-credentials=true', // each controller acts as its own SA, as kubeadm clusters do
      `--service-account-private-key-file=${pki.saKey}`,
      `--root-ca-file=${pki.caCrt}`,
      `--cluster-signing-cert-file=${pki.caCrt}`,
      `--cluster-signing-key-file=${pki.caKey}`,
      `--cluster-name=${CLUSTER_NAME}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
    ]);
    const sched = start('scheduler', bin('kube-scheduler'), common(schedKubeconfig, schedPort));
    const stages = join(binDir, 'kwok-stages');
    const kwok = start('kwok', bin('kwok'), [
      `--kubeconfig=${admin}`,
      '--manage-all-nodes=false',
      '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
      `--cidr=${POD_CIDR}`,
      '--node-ip=10.250.0.1',
      '--node-lease-duration-seconds=40',
      `--server-address=127.0.0.1:${kwokPort}`,
      ...['node-initialize', 'node-heartbeat-with-lease', 'pod-ready', 'pod-complete', 'pod-delete'].map(
        (s) => `--config=${join(stages, `${s}.yaml`)}`,
      ),
    ]);
    const prov =
      opts.provisioner === false
        ? undefined
        : start('provisioner', nodeBinary(), [
            '--no-warnings',
            join(repoRoot, 'test', 'world', 'kube', 'provisioner.ts'),
            `--kubeconfig=${admin}`,
            `--dir=${volumesDir}`,
            `--name=${HOSTPATH_PROVISIONER}`,
          ]);

    const kc = new KubeConfig();
    kc.loadFromFile(admin);
    kc.setCurrentContext(CONTEXTS.admin);
    await applyBaseline(kc, opts, pki.clients.viewer.user);
    log('baseline objects applied');

    const core = kc.makeApiClient(CoreV1Api);
    const timed = <T>(what: string, p: Promise<T>) => p.then((v) => (log(`${what} ready`), v));
    const healthz = (url: string) => async () => (await get(url, { insecure: true })).status === 200;
    await Promise.all([
      timed('kube-controller-manager', waitFor('kube-controller-manager /healthz', healthz(`https://127.0.0.1:${kcmPort}/healthz`), { daemon: kcm, timeoutMs: 60_000 })),
      timed('kube-scheduler', waitFor('kube-scheduler /healthz', healthz(`https://127.0.0.1:${schedPort}/healthz`), { daemon: sched, timeoutMs: 60_000 })),
      timed('kwok', waitFor('kwok /healthz', healthz(`http://127.0.0.1:${kwokPort}/healthz`), { daemon: kwok, timeoutMs: 60_000 })),
      // Made by the controller manager's serviceaccount-controller: proves it runs.
      timed(
        'ServiceAccount default/default',
        waitFor('ServiceAccount default/default', () => core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' }), {
          daemon: kcm,
          timeoutMs: 60_000,
        }),
      ),
      prov
        ? timed('provisioner', waitFor('provisioner ready', () => existsSync(join(state, 'provisioner.ready')), { daemon: prov, timeoutMs: 30_000, intervalMs: 50 }))
        : Promise.resolve(true),
    ]);
    log('controllers ready');

    const version = JSON.parse((await get(`${server}/version`, { ca })).body) as { gitVersion: string };
    const pid = (c: Component) => daemons[c]?.pid ?? 0;
    const logf = (c: Component) => daemons[c]?.log ?? '';
    const comps = Object.keys(DAEMONS) as Component[];
    const info: KubeInfo = {
      server,
      version: version.gitVersion,
      kubeconfig: admin,
      viewerKubeconfig: viewer,
      contexts: { ...CONTEXTS },
      users: { admin: pki.clients.admin.user, viewer: pki.clients.viewer.user },
      clusterName: CLUSTER_NAME,
      caFile: pki.caCrt,
      pkiDir: pki.dir,
      stateDir: state,
      volumesDir,
      binDir,
      storageClasses: { ...STORAGE_CLASSES },
      apiService: opts.apiService === true ? BROKEN_API_SERVICE : null,
      ports: { etcd: etcdPort, etcdPeer, apiserver: apiPort, controllerManager: kcmPort, scheduler: schedPort, kwok: kwokPort },
      pids: Object.fromEntries(comps.map((c) => [c, pid(c)])) as Record<Component, number>,
      logs: Object.fromEntries(comps.map((c) => [c, logf(c)])) as Record<Component, string>,
      startMs: Date.now() - t0,
    };
    writeFileSync(infoFile(), JSON.stringify(info, null, 2));
    log(`up: ${server} ${info.version}`);
    return info;
  } catch (e) {
    await Promise.all(Object.values(daemons).map((d) => stopDaemon(d, 3000)));
    throw e;
  }
}

/**
 * Stop the control plane's daemons by PID (provisioner, kwok, scheduler and controller manager first,
 * then the apiserver, then etcd) and remove its state dir. Returns what was stopped.
 */
export async function downKube(): Promise<Daemon[]> {
  const names = new Set<string>(Object.values(DAEMONS));
  const ours = recordedDaemons().filter((d) => names.has(d.name));
  // Also what info.json knows, in case the shared PID list lost an entry (it is rewritten by every
  // world process); only if the PID still runs one of our binaries, so a reused PID is left alone.
  const info = readKubeInfo();
  if (info) {
    for (const [c, pid] of Object.entries(info.pids) as [Component, number][]) {
      if (!pid || ours.some((d) => d.pid === pid) || !isOurs(pid, info)) continue;
      ours.push({ name: DAEMONS[c], pid, log: info.logs[c] });
    }
  }
  const byName = (n: string) => ours.filter((d) => d.name === n);
  const first = ours.filter((d) => d.name !== DAEMONS.apiserver && d.name !== DAEMONS.etcd);
  await Promise.all(first.map((d) => stopDaemon(d)));
  for (const d of byName(DAEMONS.apiserver)) await stopDaemon(d);
  for (const d of byName(DAEMONS.etcd)) await stopDaemon(d);
  rmSync(kubeStateDir(), { recursive: true, force: true });
  return ours;
}

function isOurs(pid: number, info: KubeInfo): boolean {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmd.startsWith(info.binDir) || cmd.includes(join('test', 'world', 'kube', 'provisioner.ts'));
  } catch {
    return false;
  }
}
