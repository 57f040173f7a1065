// Make a loopback service of the world (PostgreSQL, PgBouncer, a delay proxy) reachable from the
// real node's pods: a plain TCP forwarder listening on the pod bridge's gateway address (the host
// side of the bridge, 10.88.0.1) and connecting to the loopback target. The world's servers stay
// bound to 127.0.0.1; nothing listens on an address outside the machine.
//
//   const ep = await exposeOnBridge({ name: 'pg17', target: { host: '127.0.0.1', port: pg.port } });
//   // pods dial ep.host:ep.port
//   await unexpose(ep);
//
// As a daemon: node test/world/node/expose.ts --listen 10.88.0.1:0 --target 127.0.0.1:5432
import { createServer, connect, isIP } from 'node:net';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Daemon, freePort, repoRoot, startDaemon, stopDaemon, waitFor } from '../proc.ts';

/** Host side of the pod bridge (= node IP); see node.ts. Kept literal so this file stays import-light. */
export const BRIDGE_GATEWAY = '10.88.0.1';

export interface Exposed {
  name: string;
  host: string;
  port: number;
  target: { host: string; port: number };
  daemon: Daemon;
}

const loopback = (h: string) => isIP(h) === 4 && h.startsWith('127.');

function parse(s: string | undefined, flag: string): { host: string; port: number } {
  const m = /^(.+):(\d+)$/.exec(s ?? '');
  if (!m) throw new Error(`${flag} host:port required, got ${JSON.stringify(s)}`);
  return { host: m[1]!, port: Number(m[2]) };
}

/** Run the forwarder in this process (the daemon's main). */
export function forward(listen: { host: string; port: number }, target: { host: string; port: number }): Promise<number> {
  if (listen.host !== BRIDGE_GATEWAY && !loopback(listen.host)) throw new Error(`refusing to listen on ${listen.host}`);
  if (!loopback(target.host)) throw new Error(`refusing non-loopback target ${target.host}`);
  const server = createServer({ allowHalfOpen: true }, (client) => {
    const up = connect({ host: target.host, port: target.port, allowHalfOpen: true, noDelay: true });
    client.setNoDelay(true);
    client.pipe(up);
    up.pipe(client);
    const kill = () => {
      client.destroy();
      up.destroy();
    };
    client.on('error', kill);
    up.on('error', kill);
    client.on('close', () => up.end());
    up.on('close', () => client.end());
  });
  return new Promise((res, rej) => {
    server.once('error', rej);
    server.listen(listen.port, listen.host, () => {
      const a = server.address();
      res(typeof a === 'object' && a ? a.port : 0);
    });
    for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => process.exit(0));
  });
}

/** = node.ts MACHINE_DIR/node.json: the node's state, where downNode looks for forwarders to stop. */
const NODE_STATE = '/run/coder-preflight-node/node.json';

function recordExposed(update: (list: Daemon[]) => Daemon[]): void {
  try {
    const st = JSON.parse(readFileSync(NODE_STATE, 'utf8')) as { exposed?: Daemon[] };
    st.exposed = update(st.exposed ?? []);
    writeFileSync(NODE_STATE, JSON.stringify(st, null, 2));
  } catch {
    /* no node running: nothing to record in */
  }
}

function nodeBinary(): string {
  const pinned = join(repoRoot, 'node_modules', '.bin', 'node');
  return existsSync(pinned) ? pinned : process.execPath;
}

/** Start a forwarder daemon from the bridge gateway to a loopback target. The node must be up. */
export async function exposeOnBridge(o: { name: string; target: { host: string; port: number }; port?: number }): Promise<Exposed> {
  if (!existsSync(NODE_STATE)) throw new Error(`no real node is running (${NODE_STATE} missing): upNode() first`);
  const port = o.port ?? (await freePort());
  const daemon = startDaemon({
    name: `node-expose-${o.name}`,
    command: nodeBinary(),
    args: ['--no-warnings', fileURLToPath(import.meta.url), '--listen', `${BRIDGE_GATEWAY}:${port}`, '--target', `${o.target.host}:${o.target.port}`],
  });
  recordExposed((l) => [...l, daemon]);
  await waitFor(`forwarder ${o.name} on ${BRIDGE_GATEWAY}:${port}`, () => readFileSync(daemon.log, 'utf8').includes(`"listening":${port}`), {
    daemon,
    timeoutMs: 15_000,
    intervalMs: 50,
  });
  return { name: o.name, host: BRIDGE_GATEWAY, port, target: o.target, daemon };
}

export async function unexpose(e: Exposed): Promise<void> {
  await stopDaemon(e.daemon, 2_000);
  recordExposed((l) => l.filter((d) => d.pid !== e.daemon.pid));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const get = (f: string) => {
    const i = args.indexOf(f);
    return i >= 0 ? args[i + 1] : undefined;
  };
  forward(parse(get('--listen'), '--listen'), parse(get('--target'), '--target')).then(
    (port) => process.stdout.write(JSON.stringify({ listening: port }) + '\n'),
    (e: Error) => {
      process.stderr.write(`expose: ${e.message}\n`);
      process.exit(1);
    },
  );
}
