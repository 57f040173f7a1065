// A private containerd (Debian 1.6.20) for the world's real node: its own socket, root, state and
// CNI config under the world dir, cgroupfs (SystemdCgroup=false), the locally built pause image
// as sandbox_image. Shim sockets still go to /run/containerd/s (hard-coded in 1.6), keyed by a
// hash of our socket path, so they never collide with another containerd.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Daemon, startDaemon, waitFor } from '../proc.ts';
import { PAUSE_IMAGE } from './images.ts';

const run = promisify(execFile);

export interface ContainerdPaths {
  dir: string; // <node dir>/containerd
  socket: string;
  root: string;
  state: string;
  config: string;
  cniConfDir: string;
  cniBinDir: string;
}

export function containerdPaths(nodeDir: string): ContainerdPaths {
  const dir = join(nodeDir, 'containerd');
  return {
    dir,
    socket: join(dir, 'containerd.sock'),
    root: join(dir, 'root'),
    state: join(dir, 'state'),
    config: join(dir, 'config.toml'),
    cniConfDir: join(nodeDir, 'cni', 'net.d'),
    cniBinDir: '/usr/lib/cni',
  };
}

export function writeContainerdConfig(p: ContainerdPaths): void {
  for (const d of [p.dir, p.root, p.state, p.cniConfDir]) mkdirSync(d, { recursive: true });
  const q = JSON.stringify;
  writeFileSync(
    p.config,
    `version = 2
root = ${q(p.root)}
state = ${q(p.state)}
oom_score = 0
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = ${q(p.socket)}
[ttrpc]
  address = ${q(p.socket + '.ttrpc')}
[debug]
  address = ""
  level = "info"
[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = ${q(join(p.dir, 'opt'))}
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = ${q(PAUSE_IMAGE)}
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  netns_mounts_under_state_dir = true
  disable_hugetlb_controller = true
  tolerate_missing_hugetlb_controller = true
  enable_selinux = false
  disable_apparmor = true
  # This VM's processes lack CAP_SYS_RESOURCE (bounding set 0x1fffeffffff), so nothing may lower
  # oom_score_adj below its current 0: the CRI's -998 for sandboxes made runc's nsexec fail with
  # "failed to update /proc/self/oom_score_adj: Permission denied" ("can't get final child's PID
  # from pipe: EOF"). Clamp every container's adjustment to containerd's own (0) instead.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    discard_unpacked_layers = false
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false${process.env.NODE_RUNC_BINARY ? `\n        BinaryName = ${q(process.env.NODE_RUNC_BINARY)}` : ''}
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = ${q(p.cniBinDir)}
    conf_dir = ${q(p.cniConfDir)}
    max_conf_num = 1
`,
  );
}

export function startContainerd(p: ContainerdPaths): Daemon {
  return startDaemon({
    name: 'node-containerd',
    command: 'containerd',
    args: ['--config', p.config],
    env: {
      ...process.env,
      // /usr/sbin first: runc and the shim come from Debian.
      PATH: `/usr/sbin:/usr/bin:/sbin:/bin`,
      // There is no registry: every image is imported. Should a pod name an image that is not
      // there, the pull must fail on this machine instead of resolving and dialing a registry, so
      // containerd's HTTP client is pointed at a closed loopback port (Go then never resolves the
      // registry's name). Loopback itself is never proxied by Go.
      HTTP_PROXY: 'http://127.0.0.1:9',
      HTTPS_PROXY: 'http://127.0.0.1:9',
      http_proxy: 'http://127.0.0.1:9',
      https_proxy: 'http://127.0.0.1:9',
      NO_PROXY: '',
      no_proxy: '',
    },
  });
}

export async function ctr(p: ContainerdPaths, args: string[], ns = 'k8s.io'): Promise<string> {
  const { stdout } = await run('ctr', ['--address', p.socket, '-n', ns, ...args], { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

export async function waitContainerd(p: ContainerdPaths, d: Daemon): Promise<void> {
  await waitFor('containerd socket', async () => existsSync(p.socket) && (await ctr(p, ['version'])).includes('Server:'), {
    daemon: d,
    timeoutMs: 30_000,
    intervalMs: 100,
  });
}

export async function importImages(p: ContainerdPaths, archives: string[]): Promise<string[]> {
  for (const a of archives) await ctr(p, ['images', 'import', '--all-platforms', a]);
  return (await ctr(p, ['images', 'ls', '-q'])).split('\n').filter(Boolean);
}

/** Kill and delete every task and container in the k8s.io namespace (sandboxes included). */
export async function removeAllContainers(p: ContainerdPaths): Promise<void> {
  if (!existsSync(p.socket)) return;
  let ids: string[] = [];
  try {
    ids = (await ctr(p, ['containers', 'ls', '-q'])).split('\n').filter(Boolean);
  } catch {
    return;
  }
  for (const id of ids) {
    await run('ctr', ['--address', p.socket, '-n', 'k8s.io', 'tasks', 'kill', '-s', 'SIGKILL', id]).catch(() => {});
  }
  for (const id of ids) {
    for (let i = 0; i < 20; i++) {
      try {
        await run('ctr', ['--address', p.socket, '-n', 'k8s.io', 'tasks', 'delete', '-f', id]);
        break;
      } catch (e) {
        if (/not found/.test(String(e))) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await run('ctr', ['--address', p.socket, '-n', 'k8s.io', 'containers', 'delete', id]).catch(() => {});
  }
}

/** PIDs of containerd-shim-runc-v2 processes serving our socket (they outlive containerd). */
export function ourShims(p: ContainerdPaths): number[] {
  const pids: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
      if (cmd[0]?.endsWith('containerd-shim-runc-v2') && cmd.includes(p.socket)) pids.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return pids;
}
