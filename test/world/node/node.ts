// One real Kubernetes node for the local test world (issue 4): containerd + runc, a bridge CNI on a
// pod CIDR of its own, a kubelet registered against the world's control plane, optionally
// kube-router as NetworkPolicy enforcer (firewall only), and local-path-provisioner with a
// WaitForFirstConsumer StorageClass `local-path`.
//
// Network containment: the pods live on bridge `pfbr0` (10.88.0.0/24). The bridge carries the
// node IP 10.88.0.1 (also the pods' gateway and where world services on the host side listen);
// there is no masquerade and the pods get no default route, so nothing they send can leave the
// machine. The kubelet listens on 10.88.0.1 only.
//
// Recipe with sources: shared/reference/real-node-recipe.md. Every change to the host is recorded
// before start (host.ts) and undone by downNode().
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { type Daemon, freePort, isAlive, recordedDaemons, repoRoot, startDaemon, stopDaemon, waitFor, worldDir } from '../proc.ts';
import {
  type ContainerdPaths,
  containerdPaths,
  importImages,
  ourShims,
  removeAllContainers,
  startContainerd,
  waitContainerd,
  writeContainerdConfig,
} from './containerd.ts';
import {
  deleteNewLinks,
  diffHost,
  killNewCgroupProcs,
  type HostState,
  loadHost,
  removeNewCgroups,
  removeNewPaths,
  restoreFirewall,
  restoreSysctls,
  saveHost,
  snapshotHost,
  unmountNew,
} from './host.ts';
import { buildImages, PAUSE_IMAGE, PROBE_IMAGE } from './images.ts';
import { buildNodeImage } from './node-image.ts';
import type { KubeInfo } from '../kube/kube.ts';

export const BRIDGE = 'pfbr0';
export const POD_CIDR = '10.88.0.0/24';
export const GATEWAY = '10.88.0.1';
export const STORAGE_CLASS = 'local-path';
export const LPP_NAMESPACE = 'local-path-storage';

/** What the node needs from the control plane (the kube harness provides all of it). */
export interface NodeKube {
  /** Admin kubeconfig (cluster-admin): used by kubectl here, kube-router and local-path-provisioner. */
  kubeconfig: string;
  /** The CA the API server trusts for client certificates (--client-ca-file) and its key. */
  caCert: string;
  caKey: string;
  /** Directory with kubelet and kubectl of the same pin as the control plane. */
  binDir: string;
  /** --service-cluster-ip-range of the API server (kube-router whitelists it). */
  serviceCidr?: string;
  /** PID of kube-apiserver, to read its flags (kubelet address preference). */
  apiserverPid?: number;
}

/** The kube harness's KubeInfo, or the minimal NodeKube (for a control plane started elsewhere). */
export function toNodeKube(kube: KubeInfo | NodeKube): NodeKube {
  if ('caCert' in kube) return kube;
  return {
    kubeconfig: kube.kubeconfig,
    caCert: kube.caFile,
    caKey: join(kube.pkiDir, 'ca.key'),
    binDir: kube.binDir,
    serviceCidr: KUBE_SERVICE_CIDR,
    apiserverPid: kube.pids.apiserver,
  };
}
/** = SERVICE_CIDR of test/world/kube/kube.ts (kept literal: importing kube.ts would load its client library). */
const KUBE_SERVICE_CIDR = '10.96.0.0/16';

export interface NodeOptions {
  /** Run kube-router as NetworkPolicy enforcer. Off: the bridge CNI ignores NetworkPolicy. */
  netpol: boolean;
  name?: string;
  /** Extra node labels (merged over the node-group defaults below). */
  labels?: Record<string, string>;
}

export interface NodeInfo {
  name: string;
  nodeIP: string; // = gateway of the pod bridge; host-side world services listen here
  gateway: string;
  podCidr: string;
  bridge: string;
  labels: Record<string, string>;
  netpol: boolean;
  storageClass: string;
  probeImage: string; // imported, use imagePullPolicy: IfNotPresent/Never
  /** Node 24 on Debian's libraries (node-image.ts): what coder-preflight's probe pods run here (--probe-image). */
  nodeImage: string;
  pauseImage: string;
  kubeletPort: number;
  kubeletHealthz: string;
  kubeRouterHealthz?: string;
  containerdSocket: string;
  dir: string;
  kubeconfig: string; // the admin kubeconfig it was started with
  kubectl: string;
  /** How the kubelet authenticates: its own client cert CN=system:node:<name>, O=system:nodes. */
  kubeletKubeconfig: string;
  /** Line added to /etc/hosts when the API server would dial the node by Hostname (removed on down). */
  hostsEntry?: string;
  daemons: Daemon[];
  /** Forwarders started by exposeOnBridge (stopped by downNode). */
  exposed?: Daemon[];
  startMs: number;
  phasesMs: Record<string, number>;
}

export const DEFAULT_NODE_NAME = 'world-node-1';
export const NODE_GROUP_LABELS: Record<string, string> = {
  // The labels managed node groups put on their nodes, so node-group checks have something real.
  'node.kubernetes.io/instance-type': 'world.real',
  'eks.amazonaws.com/nodegroup': 'workspaces',
  'cloud.google.com/gke-nodepool': 'workspaces',
  'kubernetes.azure.com/agentpool': 'workspaces',
  'coder-preflight.test/node-group': 'workspaces',
  'topology.kubernetes.io/zone': 'world-a',
};

export const nodeDir = () => join(worldDir, 'node');
/**
 * The node's state is the machine's, not the world dir's: one bridge, one pod CIDR, one set of
 * iptables. Keeping the host snapshot and the node's PIDs in /run (tmpfs: gone on reboot, exactly
 * like the kernel state it describes) lets any world clean up a node left by a killed run, even
 * from a world dir that no longer exists.
 */
export const MACHINE_DIR = '/run/coder-preflight-node';
const stateFile = () => join(MACHINE_DIR, 'node.json');
const hostFile = () => join(MACHINE_DIR, 'host-before.json');

interface MachineState extends NodeInfo {
  worldDir: string;
}

function readMachineState(): MachineState | undefined {
  try {
    return JSON.parse(readFileSync(stateFile(), 'utf8')) as MachineState;
  } catch {
    return undefined;
  }
}

/** Is any process of that node still running (kubelet or containerd with its config)? */
function nodeAlive(st: MachineState): boolean {
  return st.daemons.some((dm) => {
    if (!isAlive(dm.pid)) return false;
    try {
      const state = readFileSync(`/proc/${dm.pid}/stat`, 'utf8').replace(/^.*\) /, '')[0];
      if (state === 'Z' || state === 'X') return false; // killed, not yet reaped
      return readFileSync(`/proc/${dm.pid}/cmdline`, 'utf8').includes(st.dir);
    } catch {
      return false;
    }
  });
}

/** Directory of kube-router, local-path-provisioner and pause (built by scripts/build-node.sh). Never builds. */
export function nodeBinDir(): string {
  try {
    const out = execFileSync('bash', [join(repoRoot, 'scripts', 'build-node.sh'), '--print-bin-dir'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return out.trim().split('\n').pop()!;
  } catch (e) {
    throw new Error(
      'The real node binaries (kube-router, local-path-provisioner, pause) are not built at the pinned versions.\n' +
        'Run scripts/build-node.sh (first build ~5 min on 2 cores).\n' +
        String((e as { stderr?: string }).stderr ?? e).trim(),
    );
  }
}

/** The real node of this world (undefined when none, or when another world owns the machine's node). */
export function readNodeInfo(): NodeInfo | undefined {
  const st = readMachineState();
  if (!st || st.worldDir !== worldDir) return undefined;
  const { worldDir: _w, ...info } = st;
  return info;
}

async function kubectl(kubectlBin: string, kubeconfig: string, args: string[], input?: string): Promise<string> {
  return new Promise((res, rej) => {
    const child = execFile(kubectlBin, ['--kubeconfig', kubeconfig, ...args], { maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) =>
      err ? rej(new Error(`kubectl ${args.join(' ')}: ${stderr || err.message}`)) : res(stdout),
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

function httpOk(url: string): Promise<boolean> {
  return new Promise((res) => {
    const req = request(url, { timeout: 2000 }, (r) => {
      r.resume();
      res(r.statusCode === 200);
    });
    req.on('error', () => res(false));
    req.on('timeout', () => {
      req.destroy();
      res(false);
    });
    req.end();
  });
}

function sysctl(key: string, value: string): void {
  writeFileSync(join('/proc/sys', key), value);
}

/** A leaf certificate signed by the cluster CA (ECDSA P-256, like the kube harness's PKI). */
function issueCert(dir: string, base: string, subject: string, exts: string[], kube: NodeKube): { cert: string; key: string } {
  mkdirSync(dir, { recursive: true });
  const key = join(dir, `${base}.key`);
  const cert = join(dir, `${base}.crt`);
  execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key], { stdio: 'ignore' });
  execFileSync(
    'openssl',
    [
      'req', '-x509', '-new', '-key', key, '-subj', subject, '-days', '30', '-CA', kube.caCert, '-CAkey', kube.caKey, '-out', cert,
      '-addext', 'basicConstraints=critical,CA:FALSE', '-addext', 'keyUsage=critical,digitalSignature,keyEncipherment',
      ...exts.flatMap((e) => ['-addext', e]),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return { cert, key };
}

/**
 * Does the API server dial kubelets by InternalIP first? Its default order starts with Hostname,
 * which for our node name would mean a DNS lookup (a packet to the VM's resolver, off the machine).
 */
function apiserverPrefersInternalIP(pid: number | undefined): boolean | undefined {
  if (!pid) return undefined;
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const flag = args.find((a) => a.startsWith('--kubelet-preferred-address-types='));
    return !!flag && flag.split('=')[1]!.split(',')[0] === 'InternalIP';
  } catch {
    return undefined;
  }
}

export const HOSTS_FILE = '/etc/hosts';
const hostsLine = (name: string) => `${GATEWAY} ${name} # coder-preflight world node`;

function serverOf(kubeconfig: string): string {
  const kc = parseYaml(readFileSync(kubeconfig, 'utf8')) as {
    'current-context'?: string;
    contexts?: { name: string; context: { cluster: string } }[];
    clusters?: { name: string; cluster: { server: string } }[];
  };
  const ctx = kc.contexts?.find((c) => c.name === kc['current-context']) ?? kc.contexts?.[0];
  const cluster = kc.clusters?.find((c) => c.name === ctx?.context.cluster) ?? kc.clusters?.[0];
  if (!cluster?.cluster.server) throw new Error(`no cluster server in ${kubeconfig}`);
  return cluster.cluster.server;
}

function writeKubeletKubeconfig(file: string, server: string, caCert: string, cert: string, key: string, user: string): void {
  const b64 = (f: string) => readFileSync(f).toString('base64');
  writeFileSync(
    file,
    `apiVersion: v1
kind: Config
clusters:
- name: world
  cluster:
    server: ${server}
    certificate-authority-data: ${b64(caCert)}
users:
- name: ${user}
  user:
    client-certificate-data: ${b64(cert)}
    client-key-data: ${b64(key)}
contexts:
- name: world
  context: {cluster: world, user: ${user}}
current-context: world
`,
    { mode: 0o600 },
  );
}

function writeCniConfig(p: ContainerdPaths, dir: string): void {
  mkdirSync(p.cniConfDir, { recursive: true });
  writeFileSync(
    join(p.cniConfDir, '10-world.conflist'),
    JSON.stringify(
      {
        cniVersion: '1.0.0',
        name: 'world',
        plugins: [
          {
            type: 'bridge',
            bridge: BRIDGE,
            isGateway: true,
            isDefaultGateway: false, // no default route: pods only see the on-link /24
            ipMasq: false, // no SNAT: nothing leaves the machine
            hairpinMode: true,
            ipam: {
              type: 'host-local',
              dataDir: join(dir, 'cni', 'ipam'),
              ranges: [[{ subnet: POD_CIDR, gateway: GATEWAY, rangeStart: '10.88.0.10', rangeEnd: '10.88.0.250' }]],
              routes: [],
            },
          },
          { type: 'portmap', capabilities: { portMappings: true } },
        ],
      },
      null,
      2,
    ),
  );
}

function kubeletConfig(d: string, kube: NodeKube, socket: string, port: number, healthzPort: number, tls: { cert: string; key: string }): string {
  return `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
containerRuntimeEndpoint: unix://${socket}
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
oomScoreAdj: 0
cgroupsPerQOS: true
enforceNodeAllocatable: ["pods"]
address: ${GATEWAY}
port: ${port}
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: ${healthzPort}
tlsCertFile: ${tls.cert}
tlsPrivateKeyFile: ${tls.key}
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true, cacheTTL: 10s}
  x509: {clientCAFile: ${kube.caCert}}
authorization:
  mode: Webhook
  webhook: {cacheAuthorizedTTL: 10s, cacheUnauthorizedTTL: 5s}
resolvConf: ""
# Pods resolve through 10.88.0.1:53 on the host side of the bridge, where a test may run the
# world's DNS (test/world/dns.ts startWorldDns(zone, GATEWAY)): cluster names never leave the machine.
clusterDNS: ["${GATEWAY}"]
clusterDomain: cluster.local
evictionHard:
  memory.available: "100Mi"
  nodefs.available: "0%"
  nodefs.inodesFree: "0%"
  imagefs.available: "0%"
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
rotateCertificates: false
serverTLSBootstrap: false
registerNode: true
volumePluginDir: ${join(d, 'volume-plugins')}
podLogsDir: ${join(d, 'pod-logs')}
syncFrequency: 10s
fileCheckFrequency: 20s
nodeStatusUpdateFrequency: 5s
maxPods: 60
serializeImagePulls: false
`;
}

function lppObjects(namespace: string): string {
  return `apiVersion: v1
kind: Namespace
metadata: {name: ${namespace}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: local-path-provisioner-service-account, namespace: ${namespace}}
automountServiceAccountToken: false
---
apiVersion: v1
kind: ConfigMap
metadata: {name: local-path-config, namespace: ${namespace}}
data:
  setup: |-
    #!/bin/sh
    set -eu
    mkdir -m 0777 -p "$VOL_DIR"
  teardown: |-
    #!/bin/sh
    set -eu
    rm -rf "$VOL_DIR"
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: ${STORAGE_CLASS}}
provisioner: rancher.io/local-path
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Delete
`;
}

/** Bring up the real node against a running control plane. Idempotent only through downNode(). */
export async function upNode(kubeIn: KubeInfo | NodeKube, opts: NodeOptions): Promise<NodeInfo> {
  const kube = toNodeKube(kubeIn);
  if (process.getuid?.() !== 0) throw new Error('the real node needs root (containerd, kubelet, bridge, iptables)');
  // One real node per machine. Ours from an earlier run: replace it. Another world's: refuse while
  // it runs, clean it up (from its own snapshot) when its processes are gone.
  const existing = readMachineState();
  if (existing) {
    if (existing.worldDir !== worldDir && nodeAlive(existing)) {
      throw new Error(
        `a real node is already running on this machine for the world in ${existing.worldDir} ` +
          `(bridge ${BRIDGE}); stop it with downNode() there first`,
      );
    }
    const left = await teardown(existing);
    if (left.length) throw new Error(`could not clean up the previous real node (world ${existing.worldDir}):\n${left.join('\n')}`);
  } else if (existsSync(hostFile())) {
    await teardown(undefined);
  }
  if (existsSync(`/sys/class/net/${BRIDGE}`)) {
    throw new Error(`bridge ${BRIDGE} exists but no real node is recorded in ${MACHINE_DIR}: remove it (ip link del ${BRIDGE}) if nothing uses it`);
  }
  const t0 = Date.now();
  const phases: Record<string, number> = {};
  let last = t0;
  const phase = (n: string) => {
    const now = Date.now();
    phases[n] = now - last;
    last = now;
  };
  const name = opts.name ?? DEFAULT_NODE_NAME;
  const labels = { ...NODE_GROUP_LABELS, ...(opts.labels ?? {}) };
  const kubeletBin = join(kube.binDir, 'kubelet');
  const kubectlBin = join(kube.binDir, 'kubectl');
  for (const b of [kubeletBin, kubectlBin]) if (!existsSync(b)) throw new Error(`${b} missing: run scripts/build-kube.sh`);
  const bins = nodeBinDir();
  const d = nodeDir();
  rmSync(d, { recursive: true, force: true });
  mkdirSync(d, { recursive: true });

  // Record the host first: everything after this is undone by downNode().
  const before = snapshotHost();
  mkdirSync(MACHINE_DIR, { recursive: true, mode: 0o700 });
  saveHost(hostFile(), before);
  const daemons: Daemon[] = [];
  const info: Partial<NodeInfo> = { name, dir: d, daemons };
  const persist = () => writeFileSync(stateFile(), JSON.stringify({ ...info, daemons, worldDir }, null, 2));
  persist();
  phase('prepare');

  try {
    // Pod network: the bridge is created here with the node IP so the kubelet can bind to it
    // before the first pod exists; the CNI bridge plugin adopts it.
    sysctl('net/bridge/bridge-nf-call-iptables', '1'); // pod<->pod on the bridge must traverse iptables (kube-router)
    sysctl('net/bridge/bridge-nf-call-ip6tables', '1');
    execFileSync('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
    execFileSync('ip', ['addr', 'add', `${GATEWAY}/24`, 'dev', BRIDGE]);
    execFileSync('ip', ['link', 'set', BRIDGE, 'up']);

    // Identity of the kubelet.
    const pki = join(d, 'pki');
    // kubelet -> API server: the Node authorizer's identity. API server -> kubelet: a serving cert
    // from the cluster CA, since the world's API server verifies kubelets (--kubelet-certificate-authority).
    const { cert, key } = issueCert(pki, 'kubelet-client', `/O=system:nodes/CN=system:node:${name}`, ['extendedKeyUsage=clientAuth'], kube);
    const serving = issueCert(pki, 'kubelet-serving', `/O=system:nodes/CN=system:node:${name}`, [
      `subjectAltName=IP:${GATEWAY},DNS:${name}`,
      'extendedKeyUsage=serverAuth',
    ], kube);
    if (apiserverPrefersInternalIP(kube.apiserverPid) !== true) {
      // Keep the API server's Hostname lookup of this node inside /etc/hosts (removed by downNode).
      const hosts = readFileSync(HOSTS_FILE, 'utf8');
      writeFileSync(HOSTS_FILE, `${hosts}${hosts.endsWith('\n') || !hosts ? '' : '\n'}${hostsLine(name)}\n`);
      info.hostsEntry = hostsLine(name);
      persist();
    }
    const kubeletKubeconfig = join(d, 'kubelet.kubeconfig');
    writeKubeletKubeconfig(kubeletKubeconfig, serverOf(kube.kubeconfig), kube.caCert, cert, key, `system:node:${name}`);
    phase('bridge+pki');

    // containerd + images.
    const p = containerdPaths(d);
    writeContainerdConfig(p);
    writeCniConfig(p, d);
    const images = buildImages(join(d, 'images'), join(bins, 'pause'));
    const nodeImage = buildNodeImage({ quiet: true }); // cached by version
    const ctrd = startContainerd(p);
    daemons.push(ctrd);
    persist();
    await waitContainerd(p, ctrd);
    const present = await importImages(p, [images.pause.archive, images.probe.archive, nodeImage.archive]);
    for (const n of [PAUSE_IMAGE, PROBE_IMAGE, nodeImage.name]) if (!present.includes(n)) throw new Error(`image ${n} not in containerd after import: ${present.join(', ')}`);
    info.nodeImage = nodeImage.name;
    phase('containerd+images');

    // The API server reaches the kubelet (logs, exec) with its kubelet client identity; let the
    // kubelet's webhook authorizer allow it (what kubeadm does for kube-apiserver-kubelet-client).
    await kubectl(kubectlBin, kube.kubeconfig, ['apply', '-f', '-'], apiserverToKubeletRbac());

    // kubelet.
    const kubeletPort = await freePort();
    const healthzPort = await freePort();
    const kdir = join(d, 'kubelet');
    mkdirSync(kdir, { recursive: true });
    writeFileSync(join(d, 'kubelet.yaml'), kubeletConfig(d, kube, p.socket, kubeletPort, healthzPort, serving));
    const kubelet = startDaemon({
      name: 'node-kubelet',
      command: kubeletBin,
      args: [
        `--config=${join(d, 'kubelet.yaml')}`,
        `--kubeconfig=${kubeletKubeconfig}`,
        `--hostname-override=${name}`,
        `--node-ip=${GATEWAY}`,
        `--node-labels=${Object.entries(labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(',')}`,
        `--root-dir=${kdir}`,
        `--cert-dir=${join(kdir, 'pki')}`,
        '--v=2',
      ],
      env: { ...process.env, PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
    });
    daemons.push(kubelet);
    Object.assign(info, {
      nodeIP: GATEWAY,
      gateway: GATEWAY,
      podCidr: POD_CIDR,
      bridge: BRIDGE,
      labels,
      netpol: opts.netpol,
      storageClass: STORAGE_CLASS,
      probeImage: PROBE_IMAGE,
      pauseImage: PAUSE_IMAGE,
      kubeletPort,
      kubeletHealthz: `http://127.0.0.1:${healthzPort}/healthz`,
      containerdSocket: p.socket,
      kubeconfig: kube.kubeconfig,
      kubectl: kubectlBin,
      kubeletKubeconfig,
    });
    persist();
    await waitFor('kubelet healthz', () => httpOk(`http://127.0.0.1:${healthzPort}/healthz`), { daemon: kubelet, timeoutMs: 90_000, intervalMs: 200 });
    phase('kubelet healthz');
    await waitFor(
      `node ${name} Ready without taints`,
      async () => {
        const n = JSON.parse(await kubectl(kubectlBin, kube.kubeconfig, ['get', 'node', name, '-o', 'json'])) as {
          spec: { taints?: { key: string }[] };
          status: { conditions?: { type: string; status: string }[] };
        };
        const ready = n.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
        return ready && !(n.spec.taints ?? []).length;
      },
      { daemon: kubelet, timeoutMs: 120_000, intervalMs: 500 },
    );
    phase('node Ready');

    if (opts.netpol) {
      const hp = await freePort();
      const kr = startDaemon({
        name: 'node-kube-router',
        command: join(bins, 'kube-router'),
        args: [
          '--run-firewall=true',
          '--run-router=false',
          '--run-service-proxy=false',
          '--run-loadbalancer=false',
          `--kubeconfig=${kube.kubeconfig}`,
          `--hostname-override=${name}`,
          `--service-cluster-ip-range=${kube.serviceCidr ?? '10.96.0.0/12'}`,
          '--service-node-port-range=30000-32767',
          '--health-addr=127.0.0.1',
          `--health-port=${hp}`,
          '--metrics-port=0',
          '--iptables-sync-period=1m',
          '--enable-ipv6=false',
          '--v=1',
        ],
        env: { ...process.env, PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
      });
      daemons.push(kr);
      info.kubeRouterHealthz = `http://127.0.0.1:${hp}/healthz`;
      persist();
      await waitFor('kube-router healthz', () => httpOk(`http://127.0.0.1:${hp}/healthz`), { daemon: kr, timeoutMs: 60_000, intervalMs: 200 });
      // Ready once its first full sync has put the per-pod chains in place.
      await waitFor('kube-router iptables chains', () => /KUBE-ROUTER-FORWARD/.test(execFileSync('iptables-save', { encoding: 'utf8' })), {
        daemon: kr,
        timeoutMs: 60_000,
        intervalMs: 200,
      });
      phase('kube-router');
    }

    // local-path-provisioner, out of cluster.
    const lppDir = join(d, 'local-path');
    mkdirSync(join(lppDir, 'volumes'), { recursive: true });
    writeFileSync(
      join(lppDir, 'config.json'),
      JSON.stringify({ nodePathMap: [{ node: 'DEFAULT_PATH_FOR_NON_LISTED_NODES', paths: [join(lppDir, 'volumes')] }] }),
    );
    writeFileSync(
      join(lppDir, 'helperPod.yaml'),
      `apiVersion: v1
kind: Pod
metadata:
  name: helper-pod
spec:
  automountServiceAccountToken: false
  containers:
  - name: helper-pod
    image: ${PROBE_IMAGE}
    imagePullPolicy: Never
`,
    );
    await kubectl(kubectlBin, kube.kubeconfig, ['apply', '-f', '-'], lppObjects(LPP_NAMESPACE));
    const lpp = startDaemon({
      name: 'node-local-path-provisioner',
      command: join(bins, 'local-path-provisioner'),
      args: [
        '--debug',
        'start',
        `--kubeconfig=${kube.kubeconfig}`,
        `--namespace=${LPP_NAMESPACE}`,
        `--config=${join(lppDir, 'config.json')}`,
        `--helper-pod-file=${join(lppDir, 'helperPod.yaml')}`,
        '--configmap-name=local-path-config',
        '--service-account-name=local-path-provisioner-service-account',
        '--provisioner-name=rancher.io/local-path',
        `--helper-image=${PROBE_IMAGE}`,
      ],
    });
    daemons.push(lpp);
    persist();
    await waitFor('local-path-provisioner started', () => /Provisioner started|Starting provisioner controller/.test(readFileSync(lpp.log, 'utf8')), {
      daemon: lpp,
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    phase('local-path-provisioner');
  } catch (e) {
    const err = e as Error;
    try {
      await downNode();
    } catch (e2) {
      err.message += `\n(and downNode after the failure: ${(e2 as Error).message})`;
    }
    throw err;
  }
  info.startMs = Date.now() - t0;
  info.phasesMs = phases;
  persist();
  return readNodeInfo()!;
}

const RBAC_BINDING = 'world-node-apiserver-kubelet-api-admin';

function apiserverToKubeletRbac(): string {
  // The API server's kubelet client identity is whatever --kubelet-client-certificate carries;
  // bind the usual names (kubeadm's user, and a generic group) to the built-in role.
  return `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ${RBAC_BINDING}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:kubelet-api-admin}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: kube-apiserver-kubelet-client}
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: kube-apiserver}
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: system:kube-apiserver}
`;
}

export interface NodeMemory {
  rssKiB: Record<string, number>;
  totalKiB: number;
}

function rssKiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** RSS of the node's daemons (and of the containerd shims, summed). */
export function nodeMemory(info: NodeInfo = readNodeInfo()!): NodeMemory {
  const rss: Record<string, number> = {};
  for (const dm of info.daemons) rss[dm.name.replace(/^node-/, '')] = rssKiB(dm.pid);
  const shims = ourShims(containerdPaths(info.dir));
  rss[`containerd-shims(${shims.length})`] = shims.reduce((a, p) => a + rssKiB(p), 0);
  return { rssKiB: rss, totalKiB: Object.values(rss).reduce((a, b) => a + b, 0) };
}

/**
 * Stop the node and put the host back as it was: pods, containers, sandboxes, network namespaces,
 * the bridge, iptables/ipset rules, mounts, cgroups, sysctls. Returns what still differs from the
 * snapshot taken by upNode() (empty when the machine is as it was found).
 */
export async function downNode(): Promise<string[]> {
  const st = readMachineState();
  if (st && st.worldDir !== worldDir) return []; // another world's node: not ours to stop
  if (!st && !existsSync(hostFile())) return [];
  return teardown(st);
}

async function teardown(info: MachineState | undefined): Promise<string[]> {
  const before = loadHost(hostFile());
  const errors: string[] = [];
  const d = info?.dir ?? nodeDir();
  const p = containerdPaths(d);
  const byName = (n: string) => info?.daemons.find((x) => x.name === n);
  const t0 = Date.now();
  let tl = t0;
  const timings: string[] = [];
  const mark = (what: string) => {
    const now = Date.now();
    timings.push(`${what} ${now - tl}ms`);
    tl = now;
  };

  // 1. Forwarders onto the bridge (expose.ts records them in the node's state too).
  for (const dm of [...(info?.exposed ?? []), ...recordedDaemons().filter((x) => x.name.startsWith('node-expose-'))]) await stopDaemon(dm, 2_000);
  // 2. What the node put into the (possibly shared, longer-lived) control plane, while the
  //    provisioner and kubelet still run: local-path volumes, the StorageClass and its namespace,
  //    the RBAC binding, and the Node object itself (its pods go with it).
  const api = info?.kubectl && info.kubeconfig && existsSync(info.kubeconfig) ? { bin: info.kubectl, kc: info.kubeconfig } : undefined;
  const apiGone = (e: Error) => /refused|Unable to connect|timeout|no such host|i\/o timeout/i.test(e.message);
  const k = async (args: string[]) => {
    if (!api) return '';
    return kubectl(api.bin, api.kc, [...args, '--request-timeout=5s']).catch((e: Error) => {
      if (!apiGone(e)) errors.push(e.message);
      return '';
    });
  };
  if (api && info) {
    const localPathPVs = async () => {
      const out = await k(['get', 'pv', '-o', 'json']);
      if (!out) return [];
      return (JSON.parse(out) as { items: { metadata: { name: string }; spec: { storageClassName?: string } }[] }).items
        .filter((pv) => pv.spec.storageClassName === STORAGE_CLASS)
        .map((pv) => pv.metadata.name);
    };
    // Released volumes are deleted by the provisioner's teardown helper pod; give it a moment.
    await waitFor('local-path volumes released', async () => (await localPathPVs()).length === 0, { timeoutMs: 15_000, intervalMs: 500 }).catch(
      () => undefined,
    );
    const left = await localPathPVs();
    if (left.length) await k(['delete', 'pv', ...left, '--wait=false']);
    await k(['delete', 'storageclass', STORAGE_CLASS, '--ignore-not-found', '--wait=false']);
    await k(['delete', 'namespace', LPP_NAMESPACE, '--ignore-not-found', '--wait=false']);
    await k(['delete', 'clusterrolebinding', RBAC_BINDING, '--ignore-not-found', '--wait=false']);
    await k(['delete', 'node', info.name, '--ignore-not-found', '--wait=false']);
  }
  // 3. Controllers that act on the host or create pods.
  await Promise.all(
    ['node-local-path-provisioner', 'node-kube-router'].map((n) => {
      const dm = byName(n);
      return dm ? stopDaemon(dm, 5_000) : undefined;
    }),
  );
  mark('api objects+controllers');
  // 4. kubelet, then every container/sandbox (ctr), then containerd, then its orphaned shims.
  const kubelet = byName('node-kubelet');
  if (kubelet) await stopDaemon(kubelet, 10_000);
  mark('kubelet');
  const ctrd = byName('node-containerd');
  if (ctrd && isAlive(ctrd.pid)) {
    await removeAllContainers(p).catch((e: Error) => errors.push(`remove containers: ${e.message}`));
    await stopDaemon(ctrd, 10_000);
  }
  for (const pid of ourShims(p)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  await waitFor('shims gone', () => ourShims(p).length === 0, { timeoutMs: 10_000 }).catch((e: Error) => errors.push(e.message));
  // Containers whose containerd was already gone (e.g. the daemons were stopped by stopAll()).
  if (before && killNewCgroupProcs(before) > 0) {
    await waitFor('container processes gone', () => killNewCgroupProcs(before) === 0, { timeoutMs: 10_000 }).catch((e: Error) =>
      errors.push(e.message),
    );
  }

  if (info?.hostsEntry) {
    try {
      const lines = readFileSync(HOSTS_FILE, 'utf8').split('\n');
      writeFileSync(HOSTS_FILE, lines.filter((l) => l !== info.hostsEntry).join('\n'));
    } catch (e) {
      errors.push(`${HOSTS_FILE}: ${(e as Error).message}`);
    }
  }
  mark('containerd+shims');
  if (before) {
    // 5. Mounts (kubelet's rshared bind of its root dir, tmpfs volumes, overlay rootfs, netns).
    unmountNew(before, [d, '/run/containerd', '/var/lib/kubelet', '/run/netns', '/var/run/netns'], errors);
    // 6. Links: our bridge and any veth left behind (their netns are gone with the sandboxes).
    deleteNewLinks(before, (l) => l === BRIDGE || l.startsWith('veth'), errors);
    // 7. iptables/ip6tables/nft tables and ipsets (kube-router, portmap, kubelet canaries).
    restoreFirewall(before, errors);
    // 8. cgroups created by the kubelet (/kubepods...) and containerd, sysctls, fixed host paths.
    removeNewCgroups(before, errors);
    restoreSysctls(before, errors);
    removeNewPaths(before, errors);
    for (const dir of ['-s', '-d']) {
      try {
        execFileSync('conntrack', ['-D', dir, POD_CIDR], { stdio: 'ignore' }); // exits 1 when nothing matched
      } catch {
        /* nothing to flush */
      }
    }
  }
  mark('host restore');
  // 9. The node's files (never through a mount that is still there).
  const stillMounted = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .some((l) => (l.split(' ')[1] ?? '').startsWith(d + '/'));
  if (stillMounted) errors.push(`mounts under ${d} remain; not removing it`);
  else {
    try {
      rmSync(d, { recursive: true, force: true });
    } catch (e) {
      errors.push(`rm -rf ${d}: ${(e as Error).message}`);
    }
  }
  const remaining = before ? diffHost(before, snapshotHost()) : [];
  rmSync(stateFile(), { force: true });
  if (!remaining.length) rmSync(MACHINE_DIR, { recursive: true, force: true });
  mark('files');
  try {
    mkdirSync(join(worldDir, 'logs'), { recursive: true });
    writeFileSync(join(worldDir, 'logs', 'node-down.log'), `${new Date().toISOString()} downNode ${Date.now() - t0}ms: ${timings.join(', ')}\n`, { flag: 'a' });
  } catch {
    /* best effort */
  }
  return [...errors, ...remaining];
}
