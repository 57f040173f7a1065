// The real `coder server` (v2.30.0, built by scripts/build-coder.sh) run against a world database:
// the oracle for whether Coder starts on it. Runs with every default that could reach the internet
// turned off, in its own HOME/config/cache under the world dir, inside a network namespace of its
// own that has only loopback (test/world/coder-netns.mjs; the database port is forwarded in through
// a unix socket), and is always stopped (its whole process group) as soon as the answer is known.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, repoRoot, worldDir } from './proc.ts';

/** The version the build script pins; the fidelity table is about this one. */
export const CODER_VERSION = 'v2.30.0';

/** Printed once the database is connected, migrated and checked (cli/server.go). */
export const STARTED_MARKER = '==> Logs will stream in below';

/**
 * Every option of codersdk/deployment.go (v2.30.0) whose default could reach a host other than
 * loopback, and what we set it to. Exported so the report can list them.
 */
export const OFFLINE_ENV: Readonly<Record<string, string>> = {
  // Anonymised usage reports to telemetry.coder.com (default on outside `go test`).
  CODER_TELEMETRY_ENABLE: 'false',
  // Belt and braces: should anything still report, it goes to a closed loopback port.
  CODER_TELEMETRY_URL: 'http://127.0.0.1:9',
  // Daily release check against the GitHub API (default on for release builds).
  CODER_UPDATE_CHECK: 'false',
  // Three built-in terraform provisioners (default 3): they install terraform from HashiCorp.
  CODER_PROVISIONER_DAEMONS: '0',
  // STUN regions for stun{,1..4}.l.google.com:19302 in the DERP map.
  CODER_DERP_SERVER_STUN_ADDRESSES: 'disable',
  // No external DERP map (URL or file); the embedded relay on the access URL is loopback.
  CODER_DERP_CONFIG_URL: '',
  CODER_DERP_CONFIG_PATH: '',
  // The default GitHub login managed by Coder (github.com OAuth, default on).
  CODER_OAUTH2_GITHUB_DEFAULT_PROVIDER_ENABLE: 'false',
  // AI Bridge (api.openai.com, api.anthropic.com, Bedrock) and its proxy: default off, kept off.
  CODER_AIBRIDGE_ENABLED: 'false',
  CODER_AIBRIDGE_PROXY_ENABLED: 'false',
  // Tracing exporters (OTLP / Honeycomb / Datadog): default off, kept off.
  CODER_TRACE_ENABLE: 'false',
  CODER_TRACE_DATADOG: 'false',
  // No browser (only tried on a TTY anyway).
  CODER_NO_OPEN: 'true',
  // Listeners of its own stay off (they would be loopback, but we need none).
  CODER_PROMETHEUS_ENABLE: 'false',
  CODER_PPROF_ENABLE: 'false',
  // No notification webhook; SMTP has no smarthost by default.
  CODER_NOTIFICATIONS_WEBHOOK_ENDPOINT: '',
  // CODER_ACCESS_URL is always set (below): empty would open a tunnel through Coder's wgtunnel servers.
};

const NETNS_RUNNER = join(repoRoot, 'test', 'world', 'coder-netns.mjs');

/**
 * Whether Coder can be run in a loopback-only network namespace here (root, unshare, ip), or why
 * not. Without one it is never run: its tailnet would send a datagram off the machine.
 */
export function coderNetnsAvailable(): true | string {
  if ((process.getuid?.() ?? 1) !== 0) return 'running coder server needs root (a network namespace of its own: unshare --net)';
  for (const [cmd, pkg] of [['unshare', 'util-linux'], ['ip', 'iproute2']] as const) {
    try {
      execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore', env: { PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin:/usr/bin:/bin` } });
    } catch {
      return `${cmd} not found (Debian package ${pkg}; scripts/install-node-deps.sh installs it)`;
    }
  }
  return true;
}

/** The port(s) Coder will dial: the port after the host in the URL, read from the last '@' on. */
export function urlPorts(url: string): number[] {
  const afterAt = url.slice(url.lastIndexOf('@') + 1);
  const m = /^(?:\[[^\]]*\]|[^/:?#\s]*)?:(\d+)/.exec(afterAt);
  return m ? [Number(m[1])] : [5432];
}

/** Where the binary is, or why it is not there (scripts/build-coder.sh --print-bin). */
export function coderBinary(): { path: string } | { missing: string } {
  const fromEnv = process.env.CODER_PREFLIGHT_CODER_BIN;
  if (fromEnv) return existsSync(fromEnv) ? { path: fromEnv } : { missing: `CODER_PREFLIGHT_CODER_BIN=${fromEnv} does not exist` };
  try {
    const out = execFileSync('bash', [join(repoRoot, 'scripts', 'build-coder.sh'), '--print-bin'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 30_000,
    });
    return { path: out.trim().split('\n').pop()! };
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    return { missing: (err.stderr || err.message).trim() };
  }
}

export interface StartCoderServerOptions {
  /** CODER_PG_CONNECTION_URL, exactly as Coder gets it (no trimming). */
  url: string;
  /** Give up (and kill it) after this long. Default 90 s: Coder itself retries connecting for 30 s. */
  timeoutMs?: number;
  /**
   * Stop at Coder's first "retrying" warning (ping/connect failed) and report its error, instead of
   * waiting out its 30 s retry loop. For failures that cannot heal while we wait (wrong password,
   * missing database, TLS mismatch); the result says `retrying: true`.
   */
  stopOnFirstRetry?: boolean;
  /** Strings to cut from everything returned (passwords, raw and URL-encoded). */
  secrets?: string[];
  /** Host ports to forward into Coder's network namespace (default: urlPorts(url)). */
  ports?: number[];
  /** Label for its directory under <world>/coder (default: a counter). */
  name?: string;
  /** Extra environment (CODER_* options); OFFLINE_ENV still wins for the keys it sets. */
  env?: Record<string, string>;
  /** Keep it running this long after the marker (to see what it logs next), then stop it. Default 0. */
  afterStartMs?: number;
  /** The binary (default: coderBinary()). */
  bin?: string;
}

export type CoderServerResult =
  | { started: true; ms: number; output: string }
  | {
      started: false;
      /** null when we stopped it (first retry, timeout). */
      exitCode: number | null;
      /** Coder's last meaningful error lines, secrets removed. */
      reason: string;
      /** Stopped at the first connect retry (stopOnFirstRetry). */
      retrying?: true;
      timedOut?: true;
      ms: number;
      output: string;
    };

const running = new Set<ChildProcess>();
let counter = 0;

function killGroup(child: ChildProcess, sig: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  for (const target of [-child.pid, child.pid]) {
    try {
      process.kill(target, sig);
    } catch {
      /* gone */
    }
  }
}

// A test that dies (or is interrupted) must not leave a coder behind.
process.once('exit', () => {
  for (const c of running) killGroup(c, 'SIGKILL');
});

/** SIGTERM then SIGKILL every coder this process started and is still running; wait for them. */
export async function stopAllCoderServers(): Promise<void> {
  await Promise.all([...running].map((c) => stop(c)));
}

function stop(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      // The group may still hold children (none expected: no provisioners); make sure.
      killGroup(child, 'SIGKILL');
      resolve();
    };
    child.once('close', done);
    killGroup(child, 'SIGTERM');
    const t = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
  });
}

function forwardUnixToTcp(path: string, port: number): Promise<Server> {
  const conns = new Set<import('node:net').Socket>();
  const srv = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port });
    conns.add(client).add(upstream);
    const close = () => {
      client.destroy();
      upstream.destroy();
      conns.delete(client);
      conns.delete(upstream);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const close = srv.close.bind(srv);
  // Closing the forwarder also ends the connections still going through it.
  srv.close = (cb) => {
    for (const c of conns) c.destroy();
    return close(cb);
  };
  return new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(path, () => resolve(srv));
  });
}

const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;

/** Remove secrets and any URL userinfo password from text. */
export function redactCoderOutput(text: string, secrets: string[] = []): string {
  let out = text;
  const all = new Set<string>();
  for (const s of secrets) {
    if (!s) continue;
    all.add(s);
    all.add(encodeURIComponent(s));
    try {
      all.add(encodeURI(s));
    } catch {
      /* lone surrogate */
    }
  }
  for (const s of [...all].sort((a, b) => b.length - a.length)) out = out.split(s).join('[REDACTED]');
  // postgres://user:anything@host → postgres://user:[REDACTED]@host (also Go's %q-quoted URLs).
  return out.replace(/(postgres(?:ql)?:\/\/[^:/@\s"]*:)[^@\s"]*@/g, '$1[REDACTED]@').replace(/(password=)('[^']*'|\S+)/g, '$1[REDACTED]');
}

/** The lines that say why Coder did not start: its `error:` line, else WARN/ERROR/FATAL log lines and Go panics. */
export function failureReason(output: string): string {
  const lines = output.split('\n').map((l) => l.trimEnd()).filter(Boolean);
  // stdout and stderr interleave arbitrarily: take serpent's `error: …` line(s) wherever they are.
  const errors = lines.filter((l) => /^error: /.test(l));
  if (errors.length) return errors.join('\n');
  const picked = lines.filter((l) => /\b(WARN|ERROR|FATAL|CRIT)\b|^panic:|^error/i.test(l));
  return (picked.length ? picked : lines).slice(-5).join('\n');
}

/** "ping postgres: retrying: <error>" from Coder's first retry warning (its error="…" unquoted). */
export function retryReason(output: string): string {
  const line = output.split('\n').find((l) => /: retrying\b/.test(l)) ?? '';
  const m = /\]\s+(.*?: retrying)\s+error="((?:[^"\\]|\\.)*)"/.exec(line);
  if (!m) return line.trim();
  let err = m[2]!;
  try {
    err = JSON.parse(`"${err}"`) as string;
  } catch {
    /* keep it quoted */
  }
  return `${m[1]}: ${err}`;
}

/**
 * Run `coder server` against `url` until it prints STARTED_MARKER (started), exits (refused), hits
 * its first connect retry (with stopOnFirstRetry) or `timeoutMs` passes; it is always stopped
 * (SIGTERM, then SIGKILL, whole process group) and waited for before this returns.
 */
export async function startCoderServer(opts: StartCoderServerOptions): Promise<CoderServerResult> {
  const netns = coderNetnsAvailable();
  if (netns !== true) throw new Error(`not running coder server: ${netns}`);
  const bin = opts.bin ?? (() => {
    const b = coderBinary();
    if ('missing' in b) throw new Error(`coder binary not available: ${b.missing}`);
    return b.path;
  })();
  const name = opts.name ?? `coder-${process.pid}-${++counter}`;
  const dir = join(worldDir, 'coder', name.replace(/[^A-Za-z0-9._-]/g, '_'));
  rmSync(dir, { recursive: true, force: true });
  for (const d of ['home', 'config', 'cache', 'xdg-config', 'xdg-cache', 'xdg-data', 'xdg-state', 'tmp']) mkdirSync(join(dir, d), { recursive: true, mode: 0o700 });
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    PATH: '/usr/sbin:/usr/bin:/sbin:/bin', // ip (iproute2) for the namespace runner
    LANG: 'C.UTF-8',
    HOME: join(dir, 'home'),
    TMPDIR: join(dir, 'tmp'),
    XDG_CONFIG_HOME: join(dir, 'xdg-config'),
    XDG_CACHE_HOME: join(dir, 'xdg-cache'),
    XDG_DATA_HOME: join(dir, 'xdg-data'),
    XDG_STATE_HOME: join(dir, 'xdg-state'),
    NO_COLOR: '1',
    ...opts.env,
    CODER_CONFIG_DIR: join(dir, 'config'),
    CODER_CACHE_DIRECTORY: join(dir, 'cache'),
    CODER_HTTP_ADDRESS: `127.0.0.1:${port}`,
    CODER_ACCESS_URL: `http://127.0.0.1:${port}`,
    CODER_PG_CONNECTION_URL: opts.url,
    ...OFFLINE_ENV,
  };
  // Host side of the port forwarding: <sockdir>/<port>.sock → 127.0.0.1:<port> (short path: unix
  // socket paths are limited to 107 bytes).
  const sockdir = mkdtempSync(join(tmpdir(), 'cp-coder-'));
  const forwarders = await Promise.all((opts.ports ?? urlPorts(opts.url)).map((port) => forwardUnixToTcp(join(sockdir, `${port}.sock`), port)));
  const t0 = performance.now();
  const child = spawn(
    'unshare',
    ['--net', '--', process.execPath, NETNS_RUNNER, sockdir, (opts.ports ?? urlPorts(opts.url)).join(','), '--', bin, 'server'],
    { env, cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.add(child);
  let output = '';
  const ms = () => Math.round(performance.now() - t0);
  const secrets = opts.secrets ?? [];
  const clean = () => redactCoderOutput(output.replace(ANSI, '').replace(/\r/g, ''), secrets);

  type Outcome = { kind: 'started' } | { kind: 'exited'; code: number | null } | { kind: 'retry' } | { kind: 'timeout' } | { kind: 'spawn-error'; err: Error };
  const outcome = await new Promise<Outcome>((resolve) => {
    const timer = setTimeout(() => resolve({ kind: 'timeout' }), opts.timeoutMs ?? 90_000);
    const finish = (o: Outcome) => {
      clearTimeout(timer);
      resolve(o);
    };
    const onData = (d: Buffer) => {
      output += d.toString('utf8');
      if (output.includes(STARTED_MARKER)) finish({ kind: 'started' });
      else if (opts.stopOnFirstRetry && /: retrying\b/.test(output)) finish({ kind: 'retry' });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', (err) => finish({ kind: 'spawn-error', err }));
    child.once('close', (code) => finish({ kind: 'exited', code }));
  });
  if (outcome.kind === 'started' && opts.afterStartMs) {
    await new Promise<void>((r) => {
      const t = setTimeout(r, opts.afterStartMs);
      child.once('close', () => {
        clearTimeout(t);
        r();
      });
    });
  }
  await stop(child);
  running.delete(child);
  await Promise.all(forwarders.map((f) => new Promise((r) => f.close(() => r(undefined)))));
  rmSync(sockdir, { recursive: true, force: true });
  const text = clean();
  writeFileSync(join(dir, 'output.log'), text); // redacted, for whoever debugs a case
  switch (outcome.kind) {
    case 'started':
      return { started: true, ms: ms(), output: text };
    case 'exited':
      return { started: false, exitCode: outcome.code, reason: failureReason(text), ms: ms(), output: text };
    case 'retry':
      return { started: false, exitCode: null, retrying: true, reason: retryReason(text), ms: ms(), output: text };
    case 'timeout':
      return { started: false, exitCode: null, timedOut: true, reason: `no "${STARTED_MARKER}" within ${opts.timeoutMs ?? 90_000} ms; last lines:\n${failureReason(text)}`, ms: ms(), output: text };
    case 'spawn-error':
      throw outcome.err;
  }
}
