// A TCP proxy that adds a fixed delay per direction, so latency checks can be tested against a
// known truth (this kernel has no netem). Each chunk is forwarded at arrival + delay: back-to-back
// chunks are not delayed one after the other, order is kept (the delay is constant per direction,
// so due times are monotonic), half-close (FIN) is delayed like data, and any error on either side
// tears down both sockets.
//
// In-process:  const p = await startDelayProxy({ target: { host, port }, upstreamDelayMs: 5, downstreamDelayMs: 5 });
// As a daemon: node test/world/delay-proxy.ts --listen 127.0.0.1:0 --target 127.0.0.1:5432 --delay-ms 5
//              (prints one JSON line with the port; SIGTERM/SIGINT closes it) — or startDelayProxyDaemon().
import { createServer, connect, isIP, type Socket } from 'node:net';
import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startDaemon, stopDaemon, waitFor, type Daemon } from './proc.ts';

export interface Endpoint {
  host: string;
  port: number;
}

export interface DelayProxyOptions {
  target: Endpoint;
  /** Delay added to bytes going client → target, ms (fractional allowed). */
  upstreamDelayMs: number;
  /** Delay added to bytes going target → client, ms. */
  downstreamDelayMs: number;
  /** Default 127.0.0.1. Loopback only. */
  listenHost?: string;
  /** Default 0 (a free port chosen by the kernel). */
  listenPort?: number;
  /**
   * true (default): sleep with a timer until 2 ms before the due time, then spin on setImmediate to
   * hit it within a few tens of µs (libuv's timers have 1 ms resolution and wake up to 1 ms late, so
   * a 1 ms margin overshot by ~0.5 ms per direction on a busy machine: bench/probes measured it).
   * false: timers only (±1 ms, no busy wait).
   */
  precise?: boolean;
}

export interface DelayProxy {
  host: string;
  port: number;
  target: Endpoint;
  upstreamDelayMs: number;
  downstreamDelayMs: number;
  /** Client connections currently open (each has one upstream connection). */
  connections(): number;
  /** Stop listening and destroy every open connection. */
  close(): Promise<void>;
}

/** The test world only ever talks to loopback. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}

interface Item {
  due: number;
  /** null: the source ended (FIN) — end the destination. */
  chunk: Buffer | null;
}

/** Forward src → dst, each chunk at its arrival time + delayMs. Returns a disposer. */
function delayedPipe(src: Socket, dst: Socket, delayMs: number, precise: boolean): () => void {
  const queue: Item[] = [];
  let head = 0;
  let timer: NodeJS.Timeout | undefined;
  let spin: NodeJS.Immediate | undefined;
  let disposed = false;

  const flush = () => {
    timer = undefined;
    spin = undefined;
    if (disposed) return;
    const now = performance.now();
    while (head < queue.length) {
      const item = queue[head]!;
      if (item.due > now) break;
      head++;
      if (dst.destroyed) continue;
      if (item.chunk === null) {
        dst.end();
      } else if (!dst.write(item.chunk) && !src.isPaused()) {
        // Backpressure: stop reading until the destination drains.
        src.pause();
        dst.once('drain', () => {
          if (!src.destroyed) src.resume();
        });
      }
    }
    if (head === queue.length) {
      queue.length = 0;
      head = 0;
    } else {
      schedule();
    }
  };

  const schedule = () => {
    if (timer || spin || disposed || head >= queue.length) return;
    const wait = queue[head]!.due - performance.now();
    if (wait <= 0) flush();
    else if (!precise) timer = setTimeout(flush, Math.max(1, Math.ceil(wait)));
    else if (wait > 2.5) timer = setTimeout(() => ((timer = undefined), schedule()), wait - 2);
    else spin = setImmediate(() => ((spin = undefined), schedule()));
  };

  const push = (chunk: Buffer | null) => {
    queue.push({ due: performance.now() + delayMs, chunk });
    schedule();
  };
  src.on('data', (chunk: Buffer) => push(chunk));
  src.on('end', () => push(null));

  return () => {
    disposed = true;
    if (timer) clearTimeout(timer);
    if (spin) clearImmediate(spin);
    queue.length = 0;
  };
}

export async function startDelayProxy(opts: DelayProxyOptions): Promise<DelayProxy> {
  const listenHost = opts.listenHost ?? '127.0.0.1';
  const { target } = opts;
  for (const h of [listenHost, target.host]) {
    if (!isLoopback(h)) throw new Error(`delay proxy: ${h} is not a loopback address (the test world stays on 127.0.0.0/8 and ::1)`);
  }
  for (const [k, v] of [['upstreamDelayMs', opts.upstreamDelayMs], ['downstreamDelayMs', opts.downstreamDelayMs]] as const) {
    if (!Number.isFinite(v) || v < 0) throw new Error(`delay proxy: ${k} must be a number ≥ 0, got ${v}`);
  }
  const precise = opts.precise ?? true;
  const open = new Set<Socket>();
  const clients = new Set<Socket>();

  const server = createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
    const upstream = connect({ host: target.host, port: target.port, allowHalfOpen: true, noDelay: true });
    client.setNoDelay(true);
    clients.add(client);
    client.once('close', () => clients.delete(client));
    open.add(client);
    open.add(upstream);
    const disposeUp = delayedPipe(client, upstream, opts.upstreamDelayMs, precise);
    const disposeDown = delayedPipe(upstream, client, opts.downstreamDelayMs, precise);
    let torn = false;
    const teardown = () => {
      if (torn) return;
      torn = true;
      disposeUp();
      disposeDown();
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) {
      s.on('error', teardown);
      s.on('close', (hadError) => {
        open.delete(s);
        // A clean close means this socket sent and received its FIN: what it sent is still queued
        // for the other side and will be delivered (then ended) on time. A reset/error kills both.
        if (hadError) teardown();
        else if (client.destroyed && upstream.destroyed) teardown();
      });
    }
  });

  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(opts.listenPort ?? 0, listenHost, () => {
      server.off('error', rej);
      res();
    });
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;

  return {
    host: listenHost,
    port,
    target: { ...target },
    upstreamDelayMs: opts.upstreamDelayMs,
    downstreamDelayMs: opts.downstreamDelayMs,
    connections: () => clients.size,
    close: () =>
      new Promise<void>((res) => {
        server.close(() => res());
        for (const s of open) s.destroy();
        open.clear();
      }),
  };
}

// ---- as a daemon -------------------------------------------------------------------------------

const thisFile = fileURLToPath(import.meta.url);

function parseEndpoint(s: string, flag: string): Endpoint {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(s);
  if (!m) throw new Error(`${flag}: expected host:port, got ${JSON.stringify(s)}`);
  return { host: m[1]!, port: Number(m[2]) };
}

export function parseDelayProxyArgs(argv: string[]): DelayProxyOptions {
  const get = (flag: string) => {
    const i = argv.indexOf(flag);
    if (i === -1) return undefined;
    const v = argv[i + 1];
    if (v === undefined) throw new Error(`${flag} needs a value`);
    return v;
  };
  const listen = parseEndpoint(get('--listen') ?? '127.0.0.1:0', '--listen');
  const targetArg = get('--target');
  if (!targetArg) throw new Error('--target host:port is required');
  const both = get('--delay-ms');
  const up = get('--upstream-delay-ms') ?? both;
  const down = get('--downstream-delay-ms') ?? both;
  if (up === undefined || down === undefined) throw new Error('give --delay-ms, or --upstream-delay-ms and --downstream-delay-ms');
  return {
    listenHost: listen.host,
    listenPort: listen.port,
    target: parseEndpoint(targetArg, '--target'),
    upstreamDelayMs: Number(up),
    downstreamDelayMs: Number(down),
    precise: !argv.includes('--no-spin'),
  };
}

export interface DelayProxyDaemon extends Daemon {
  host: string;
  port: number;
  target: Endpoint;
  upstreamDelayMs: number;
  downstreamDelayMs: number;
}

/** Start the proxy as a detached daemon (PID recorded like every world daemon); stop with stopDaemon. */
export async function startDelayProxyDaemon(o: {
  name: string;
  target: Endpoint;
  upstreamDelayMs: number;
  downstreamDelayMs: number;
  listenHost?: string;
  /** false: pass --no-spin (timers only). */
  precise?: boolean;
}): Promise<DelayProxyDaemon> {
  const host = o.listenHost ?? '127.0.0.1';
  const port = await freePort(host);
  const d = startDaemon({
    name: o.name,
    command: process.execPath,
    args: [
      '--experimental-strip-types', '--no-warnings=ExperimentalWarning', thisFile,
      '--listen', `${host.includes(':') ? `[${host}]` : host}:${port}`,
      '--target', `${o.target.host.includes(':') ? `[${o.target.host}]` : o.target.host}:${o.target.port}`,
      '--upstream-delay-ms', String(o.upstreamDelayMs), '--downstream-delay-ms', String(o.downstreamDelayMs),
      ...(o.precise === false ? ['--no-spin'] : []),
    ],
  });
  try {
    await waitFor(
      `delay proxy ${o.name} on ${host}:${port}`,
      () => existsSync(d.log) && readFileSync(d.log, 'utf8').includes(`"port":${port},`),
      { daemon: d, intervalMs: 25, timeoutMs: 20_000 },
    );
  } catch (e) {
    await stopDaemon(d, 1000);
    throw e;
  }
  return { ...d, host, port, target: o.target, upstreamDelayMs: o.upstreamDelayMs, downstreamDelayMs: o.downstreamDelayMs };
}

async function main(argv: string[]): Promise<void> {
  let opts: DelayProxyOptions;
  try {
    opts = parseDelayProxyArgs(argv);
  } catch (e) {
    process.stderr.write(
      `delay-proxy: ${(e as Error).message}\nusage: node test/world/delay-proxy.ts [--listen 127.0.0.1:0] --target HOST:PORT ` +
        `(--delay-ms MS | --upstream-delay-ms MS --downstream-delay-ms MS) [--no-spin]\n`,
    );
    process.exit(2);
  }
  const p = await startDelayProxy(opts);
  process.stdout.write(
    JSON.stringify({
      event: 'listening',
      host: p.host,
      port: p.port,
      target: p.target,
      upstreamDelayMs: p.upstreamDelayMs,
      downstreamDelayMs: p.downstreamDelayMs,
      pid: process.pid,
    }) + '\n',
  );
  const stop = () => void p.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (process.argv[1] && resolve(process.argv[1]) === thisFile) {
  main(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`delay-proxy: ${(e as Error).message}\n`);
    process.exit(1);
  });
}
