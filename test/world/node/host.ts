// What the real node changes on the host, recorded before it starts and put back after it stops,
// so `downNode()` leaves the machine as it found it: links, iptables/ip6tables (nf_tables backend),
// ipsets, mounts, the sysctls the kubelet and the bridge plugin rewrite, cgroups the kubelet and
// containerd create, and the few fixed host paths that containerd 1.6 / the kubelet always use.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Sysctls touched: ip_forward (bridge plugin, isGateway), bridge-nf (us), the rest (kubelet setupKernelTunables). */
export const SYSCTLS = [
  'net/ipv4/ip_forward',
  'net/bridge/bridge-nf-call-iptables',
  'net/bridge/bridge-nf-call-ip6tables',
  'vm/overcommit_memory',
  'vm/panic_on_oom',
  'kernel/panic',
  'kernel/panic_on_oops',
  'kernel/keys/root_maxkeys',
  'kernel/keys/root_maxbytes',
];

/** Host paths that containerd 1.6 / CNI / the kubelet use whatever their config says. */
export const FIXED_PATHS = [
  '/run/containerd', // shim sockets (/run/containerd/s), fifo dir
  '/var/lib/cni', // go-cni result cache
  '/var/log/containers', // kubelet symlinks (hard-coded)
  '/var/log/pods',
  '/var/lib/kubelet',
  '/run/netns',
  '/var/run/netns',
  '/etc/cni',
  '/opt/cni',
];

const CGROUP_ROOT = '/sys/fs/cgroup';

export interface HostState {
  links: string[];
  iptables: string;
  ip6tables: string;
  nftTables: string[]; // "family name"
  ipsets: string[];
  mounts: string[];
  sysctls: Record<string, string>;
  paths: Record<string, boolean>;
  cgroups: Record<string, string[]>; // hierarchy -> top-level child dirs
  hosts: string; // /etc/hosts
}

const sh = (cmd: string, args: string[]): string => {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    return '';
  }
};

/** iptables-save without comments and counters, so two snapshots compare by content. */
function rules(cmd: string): string {
  return sh(cmd, [])
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.replace(/ \[\d+:\d+\]$/, ''))
    .join('\n');
}

function cgroupChildren(): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const h of readdirSync(CGROUP_ROOT)) {
    const dir = join(CGROUP_ROOT, h);
    try {
      out[h] = readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name)
        .sort();
    } catch {
      /* not a hierarchy */
    }
  }
  return out;
}

export function snapshotHost(): HostState {
  const sysctls: Record<string, string> = {};
  for (const s of SYSCTLS) {
    try {
      sysctls[s] = readFileSync(join('/proc/sys', s), 'utf8').trim();
    } catch {
      /* absent on this kernel */
    }
  }
  const paths: Record<string, boolean> = {};
  for (const p of FIXED_PATHS) paths[p] = existsSync(p);
  return {
    links: sh('ip', ['-o', 'link', 'show'])
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(':')[1]!.trim().split('@')[0]!)
      .sort(),
    iptables: rules('iptables-save'),
    ip6tables: rules('ip6tables-save'),
    nftTables: sh('nft', ['list', 'tables'])
      .split('\n')
      .filter((l) => l.startsWith('table '))
      .map((l) => l.slice(6).trim())
      .sort(),
    ipsets: sh('ipset', ['list', '-n']).split('\n').filter(Boolean).sort(),
    mounts: readFileSync('/proc/mounts', 'utf8').split('\n').filter(Boolean),
    sysctls,
    paths,
    cgroups: cgroupChildren(),
    hosts: readFileSync('/etc/hosts', 'utf8'),
  };
}

export function saveHost(file: string, s: HostState): void {
  writeFileSync(file, JSON.stringify(s, null, 1));
}

export function loadHost(file: string): HostState | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as HostState;
  } catch {
    return undefined;
  }
}

/** Human-readable differences (empty when the host is as it was). */
export function diffHost(before: HostState, after: HostState): string[] {
  const d: string[] = [];
  const setDiff = (what: string, a: string[], b: string[]) => {
    const added = b.filter((x) => !a.includes(x));
    const removed = a.filter((x) => !b.includes(x));
    if (added.length) d.push(`${what} added: ${added.join(', ')}`);
    if (removed.length) d.push(`${what} removed: ${removed.join(', ')}`);
  };
  setDiff('link', before.links, after.links);
  setDiff('nft table', before.nftTables, after.nftTables);
  setDiff('ipset', before.ipsets, after.ipsets);
  setDiff('mount', before.mounts, after.mounts);
  if (before.iptables !== after.iptables) d.push(`iptables-save differs:\n--- before\n${before.iptables}\n--- after\n${after.iptables}`);
  if (before.ip6tables !== after.ip6tables) d.push(`ip6tables-save differs:\n--- before\n${before.ip6tables}\n--- after\n${after.ip6tables}`);
  for (const [k, v] of Object.entries(before.sysctls)) if (after.sysctls[k] !== v) d.push(`sysctl ${k}: ${v} -> ${after.sysctls[k]}`);
  for (const [k, v] of Object.entries(before.paths)) if (after.paths[k] !== v) d.push(`path ${k}: existed ${v} -> ${after.paths[k]}`);
  if (before.hosts !== after.hosts) d.push(`/etc/hosts differs:\n--- before\n${before.hosts}\n--- after\n${after.hosts}`);
  for (const [h, kids] of Object.entries(before.cgroups)) setDiff(`cgroup ${h}`, kids, after.cgroups[h] ?? []);
  return d;
}

function tryRun(cmd: string, args: string[], errors: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    return true;
  } catch (e) {
    errors.push(`${cmd} ${args.join(' ')}: ${String((e as { stderr?: Buffer }).stderr ?? e).trim()}`);
    return false;
  }
}

/** Unmount (deepest first) every mount not present before whose mountpoint is under one of `prefixes`. */
export function unmountNew(before: HostState, prefixes: string[], errors: string[]): void {
  for (let pass = 0; pass < 3; pass++) {
    const now = readFileSync('/proc/mounts', 'utf8').split('\n').filter(Boolean);
    const ours = now
      .filter((l) => !before.mounts.includes(l))
      .map((l) => l.split(' ')[1]!.replace(/\\040/g, ' '))
      .filter((mp) => prefixes.some((p) => mp === p || mp.startsWith(p + '/')))
      .sort((a, b) => b.length - a.length);
    if (!ours.length) return;
    for (const mp of ours) {
      const errs: string[] = [];
      if (!tryRun('umount', [mp], errs) && pass === 2) tryRun('umount', ['-l', mp], errors);
    }
  }
}

/**
 * SIGKILL every process in cgroups created since `before` (the pods' containers and pause processes
 * under /kubepods, or ctr's /k8s.io). Needed when containerd is already gone, e.g. after a plain
 * stopAll(): killing a shim does not kill the container it served. Returns how many were killed.
 */
export function killNewCgroupProcs(before: HostState): number {
  let killed = 0;
  const walk = (dir: string) => {
    let entries: import('node:fs').Dirent[] = [];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    try {
      for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
          killed++;
        } catch {
          /* gone */
        }
      }
    } catch {
      /* no procs file */
    }
    for (const e of entries) if (e.isDirectory()) walk(join(dir, e.name));
  };
  for (const [h, kids] of Object.entries(cgroupChildren())) {
    if (h !== 'memory' && h !== 'pids' && h !== 'freezer') continue; // every task is in each hierarchy; three suffice
    const old = before.cgroups[h] ?? [];
    for (const k of kids) if (!old.includes(k)) walk(join(CGROUP_ROOT, h, k));
  }
  return killed;
}

/** Remove cgroup dirs created since `before`, deepest first (they must be empty of processes). */
export function removeNewCgroups(before: HostState, errors: string[]): void {
  const rmTree = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) rmTree(join(dir, e.name));
    for (let i = 0; i < 50; i++) {
      try {
        rmdirSync(dir);
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
        if (i === 49) errors.push(`rmdir ${dir}: ${(e as Error).message}`);
        execFileSync('sleep', ['0.1']);
      }
    }
  };
  const now = cgroupChildren();
  for (const [h, kids] of Object.entries(now)) {
    const old = before.cgroups[h] ?? [];
    for (const k of kids) if (!old.includes(k)) rmTree(join(CGROUP_ROOT, h, k));
  }
}

/** Put iptables/ip6tables/nft tables and ipsets back as they were. */
export function restoreFirewall(before: HostState, errors: string[]): void {
  const now = snapshotHost();
  // Tables that exist now but did not before: drop them whole (iptables-nft keeps empty tables).
  for (const t of now.nftTables) {
    if (!before.nftTables.includes(t)) tryRun('nft', ['delete', 'table', ...t.split(' ')], errors);
  }
  // Tables that existed before: restore their saved content (iptables-restore flushes each table it names).
  for (const [cmd, saved] of [
    ['iptables-restore', before.iptables],
    ['ip6tables-restore', before.ip6tables],
  ] as const) {
    if (!saved.trim()) continue;
    try {
      execFileSync(cmd, [], { input: saved + '\n', stdio: ['pipe', 'ignore', 'pipe'] });
    } catch (e) {
      errors.push(`${cmd}: ${String((e as { stderr?: Buffer }).stderr ?? e).trim()}`);
    }
  }
  for (const s of snapshotHost().ipsets) if (!before.ipsets.includes(s)) tryRun('ipset', ['destroy', s], errors);
}

export function restoreSysctls(before: HostState, errors: string[]): void {
  for (const [k, v] of Object.entries(before.sysctls)) {
    try {
      const f = join('/proc/sys', k);
      if (readFileSync(f, 'utf8').trim() !== v) writeFileSync(f, v);
    } catch (e) {
      errors.push(`sysctl ${k}=${v}: ${(e as Error).message}`);
    }
  }
}

/** Remove fixed host paths that did not exist before (they only hold state of our node). */
export function removeNewPaths(before: HostState, errors: string[]): void {
  for (const [p, existed] of Object.entries(before.paths)) {
    if (existed || !statSync(p, { throwIfNoEntry: false })) continue;
    try {
      rmSync(p, { recursive: true, force: true });
    } catch (e) {
      errors.push(`rm -rf ${p}: ${(e as Error).message}`);
    }
  }
}

export function deleteNewLinks(before: HostState, ours: (name: string) => boolean, errors: string[]): void {
  for (const l of snapshotHost().links) if (!before.links.includes(l) && ours(l)) tryRun('ip', ['link', 'del', l], errors);
}
