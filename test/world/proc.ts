// Process helpers for the local test world: start daemons detached (so `world up` can return
// while they keep running), remember their PIDs in the world's state dir, stop them by PID.
import { spawn, execFileSync } from 'node:child_process';
import { openSync, closeSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, existsSync, chownSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where the world keeps data dirs, logs, PKI and its PID list. Ignored by git. */
export const worldDir = resolve(process.env.CODER_PREFLIGHT_WORLD_DIR ?? join(repoRoot, '.world'));

/** Cache for expensive builds (Go binaries), outside the clone so fresh clones reuse it. */
export const cacheDir = resolve(
  process.env.CODER_PREFLIGHT_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(process.env.HOME ?? '/root', '.cache'), 'coder-preflight'),
);

export interface Daemon {
  name: string;
  pid: number;
  log: string;
  /** The signal that stops it cleanly and fast (PostgreSQL: SIGINT; SIGTERM is its "smart" shutdown). */
  stopSignal?: NodeJS.Signals;
}

// One small file per daemon under <worldDir>/pids/: several processes (tests, `world up`, a
// second session) record and forget daemons at once without a lock or lost updates.
const pidDir = () => join(worldDir, 'pids');
const pidPath = (d: Pick<Daemon, 'name' | 'pid'>) => join(pidDir(), `${d.name}.${d.pid}.json`);

/** Every recorded daemon, oldest first. */
export function recordedDaemons(): Daemon[] {
  let files: string[];
  try {
    files = readdirSync(pidDir()).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  const list: (Daemon & { startedAt: number })[] = [];
  for (const f of files) {
    try {
      list.push(JSON.parse(readFileSync(join(pidDir(), f), 'utf8')));
    } catch {
      /* being written or removed right now */
    }
  }
  return list.sort((a, b) => a.startedAt - b.startedAt).map(({ startedAt: _s, ...d }) => d);
}

function record(d: Daemon): void {
  mkdirSync(pidDir(), { recursive: true });
  const tmp = `${pidPath(d)}.tmp`;
  writeFileSync(tmp, JSON.stringify({ ...d, startedAt: performance.timeOrigin + performance.now() }));
  renameSync(tmp, pidPath(d));
}

function forget(d: Pick<Daemon, 'name' | 'pid'>): void {
  rmSync(pidPath(d), { force: true });
}

export interface Account {
  uid: number;
  gid: number;
  name: string;
}

const UNPRIVILEGED = 'coder-preflight';

/**
 * PostgreSQL refuses to run as root. When we are root, make (once) and return a system account
 * without a login; otherwise the current user is already unprivileged.
 */
export function unprivilegedAccount(): Account {
  const uid = process.getuid?.() ?? 0;
  if (uid !== 0) return { uid, gid: process.getgid?.() ?? uid, name: process.env.USER ?? String(uid) };
  const id = (flag: string) => Number(execFileSync('id', [flag, UNPRIVILEGED], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  try {
    return { uid: id('-u'), gid: id('-g'), name: UNPRIVILEGED };
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', UNPRIVILEGED], {
      stdio: 'ignore',
    });
    return { uid: id('-u'), gid: id('-g'), name: UNPRIVILEGED };
  }
}

/** mkdir -p and hand the directory to an account (no-op when not root). */
export function ownedDir(path: string, account?: Account): string {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  if (account && (process.getuid?.() ?? 1) === 0) chownSync(path, account.uid, account.gid);
  return path;
}

export interface StartOptions {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  account?: Account;
  /** Sent first by stopDaemon (default SIGTERM). */
  stopSignal?: NodeJS.Signals;
}

/** Start a long-running process detached, stdout+stderr to `<worldDir>/logs/<name>.log`, and record its PID. */
export function startDaemon(opts: StartOptions): Daemon {
  const logs = join(worldDir, 'logs');
  mkdirSync(logs, { recursive: true });
  const log = join(logs, `${opts.name}.log`);
  const fd = openSync(log, 'a');
  if (opts.account && (process.getuid?.() ?? 1) === 0) chownSync(log, opts.account.uid, opts.account.gid);
  const child = spawn(opts.command, opts.args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    detached: true,
    stdio: ['ignore', fd, fd],
    ...(opts.account ? { uid: opts.account.uid, gid: opts.account.gid } : {}),
  });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`could not start ${opts.name} (${opts.command})`);
  child.unref();
  const daemon: Daemon = { name: opts.name, pid: child.pid, log, ...(opts.stopSignal ? { stopSignal: opts.stopSignal } : {}) };
  record(daemon);
  return daemon;
}

/** Running (not gone, not a zombie waiting for init to reap it: `world up` has exited by then). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Its stop signal (default SIGTERM) to the daemon's process group, wait, then SIGKILL; forget it. */
export async function stopDaemon(d: Daemon, graceMs = 10_000): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    for (const target of [-d.pid, d.pid]) {
      try {
        process.kill(target, sig);
      } catch {
        /* already gone */
      }
    }
  };
  if (isAlive(d.pid)) {
    signal(d.stopSignal ?? 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (isAlive(d.pid) && Date.now() < deadline) await sleep(50);
    if (isAlive(d.pid)) signal('SIGKILL');
    while (isAlive(d.pid)) await sleep(20);
  }
  forget(d);
}

/** Stop every recorded daemon, newest first (reverse start order). */
export async function stopAll(): Promise<Daemon[]> {
  const all = recordedDaemons().reverse();
  for (const d of all) await stopDaemon(d);
  return all;
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 60_000, intervalMs = 100, daemon }: { timeoutMs?: number; intervalMs?: number; daemon?: Daemon } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      last = e;
    }
    if (daemon && !isAlive(daemon.pid)) {
      throw new Error(`${what}: ${daemon.name} exited; see ${daemon.log}:\n${tail(daemon.log)}`);
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    }
    await sleep(intervalMs);
  }
}

export function tail(file: string, lines = 20): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/** A free TCP port on loopback (asked from the kernel, then released). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}
