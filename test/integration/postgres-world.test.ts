// The PostgreSQL part of the local test world, against real servers: every variant the checks rely
// on behaves as described (issue 3), and stopping leaves no process behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import {
  isPostmaster, withClient, startPgBouncer, startPostgres, stopPgBouncer, stopPostgres, stopWorldDaemon, type PgBouncerInstance, type PgInstance,
} from '../world/postgres.ts';
import { startDelayProxy, startDelayProxyDaemon, type DelayProxy } from '../world/delay-proxy.ts';
import { isAlive, recordedDaemons, stopDaemon } from '../world/proc.ts';

// ---- helpers -----------------------------------------------------------------------------------


const one = async <T>(url: string | pg.ClientConfig, sql: string): Promise<T> =>
  withClient(url, async (c) => (await c.query(sql)).rows[0] as T);

/** The error a connection attempt fails with (the test fails if it connects). */
async function connectError(config: string | pg.ClientConfig): Promise<Error> {
  try {
    await withClient(config, (c) => c.query('SELECT 1'));
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the connection to be refused, but it succeeded');
}

/** The process and all its descendants, from /proc. */
function processTree(root: number): number[] {
  const parent = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(e), ppid);
    } catch {
      /* exited */
    }
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const [pid, pp] of parent) if (pp === out[i]) out.push(pid);
  return out.filter((p) => parent.has(p));
}

/** Stop a server and check that the postmaster and every backend/auxiliary process are gone. */
async function stopAndExpectNoProcess(info: PgInstance): Promise<void> {
  const pids = processTree(info.pid);
  expect(pids.length).toBeGreaterThan(3); // postmaster + checkpointer, walwriter, … really were running
  await stopPostgres(info);
  expect(pids.filter(isAlive)).toEqual([]);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function roundTrips(url: string, n: number): Promise<number> {
  return withClient(url, async (c) => {
    await c.query('SELECT 1');
    const xs: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await c.query('SELECT 1');
      xs.push(performance.now() - t);
    }
    return median(xs);
  });
}

const viaPort = (url: string, from: number, to: number) => url.replace(`@127.0.0.1:${from}/`, `@127.0.0.1:${to}/`);
const CONTRIB = ['pgcrypto', 'uuid-ossp', 'pg_trgm', 'citext', 'hstore'];
const started: PgInstance[] = [];
afterAll(async () => {
  for (const s of started) await stopPostgres(s).catch(() => {});
});
async function start(opts: Parameters<typeof startPostgres>[0]): Promise<PgInstance> {
  const s = await startPostgres(opts);
  started.push(s);
  console.log(`started ${s.name} (PostgreSQL ${s.serverVersion}) on 127.0.0.1:${s.port} in ${s.startupMs} ms`);
  return s;
}

// ---- every supported major starts and answers ------------------------------------------------

describe.each([10, 11, 13, 17])('PostgreSQL %i', (major) => {
  let pgi: PgInstance;
  beforeAll(async () => {
    pgi = await start({ major });
  });

  it('answers SELECT version() with its major, listening on 127.0.0.1 only', async () => {
    const r = await one<{ version: string; num: string; listen: string; sockets: string }>(
      pgi.urls.superuser,
      `SELECT version(), current_setting('server_version_num') AS num, current_setting('listen_addresses') AS listen,
              current_setting('unix_socket_directories') AS sockets`,
    );
    expect(r.version).toMatch(new RegExp(`^PostgreSQL ${major}\\.\\d+ `));
    expect(Math.floor(Number(r.num) / 10000)).toBe(major);
    expect(pgi.serverVersionNum).toBe(Number(r.num));
    expect(r.listen).toBe('127.0.0.1');
    expect(r.sockets).toBe('');
    expect(JSON.parse(JSON.stringify(pgi))).toEqual(pgi); // plain data for `world up` and globalSetup
  });

  it(`stores passwords with ${major === 10 ? 'md5' : 'scram-sha-256'}`, async () => {
    const r = await one<{ enc: string; coder: string }>(
      pgi.urls.superuser,
      `SELECT current_setting('password_encryption') AS enc, (SELECT rolpassword FROM pg_authid WHERE rolname = 'coder') AS coder`,
    );
    expect(r.enc).toBe(pgi.auth);
    expect(r.coder.startsWith(major === 10 ? 'md5' : 'SCRAM-SHA-256$')).toBe(true);
    expect((await connectError(pgi.urls.coder.replace(pgi.roles.coder.password, 'wrong'))).message).toMatch(
      /password authentication failed for user "coder"/,
    );
  });

  it('coder is not a superuser, owns database coder and may create in public', async () => {
    await withClient(pgi.urls.coder, async (c) => {
      const r = (await c.query(`SELECT current_user AS u, current_database() AS db, current_setting('is_superuser') AS su,
        (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()) AS owner`)).rows[0];
      expect(r).toEqual({ u: 'coder', db: 'coder', su: 'off', owner: 'coder' });
      await c.query('CREATE TABLE coder_can_create (id int)');
      await c.query('DROP TABLE coder_can_create');
    });
  });

  it('limited can connect but cannot CREATE in schema public', async () => {
    await withClient(pgi.urls.limited, async (c) => {
      const r = (await c.query(`SELECT current_user AS u, has_schema_privilege('public', 'CREATE') AS can_create,
        has_database_privilege('coder', 'CREATE') AS db_create, has_database_privilege('coder', 'TEMP') AS temp`)).rows[0];
      expect(r).toEqual({ u: 'limited', can_create: false, db_create: false, temp: false });
      // Without USAGE, an unqualified name finds no schema at all; a qualified one is refused.
      await expect(c.query('CREATE TABLE limited_cannot (id int)')).rejects.toThrow(/no schema has been selected to create in/);
      await expect(c.query('CREATE TABLE public.limited_cannot (id int)')).rejects.toThrow(/permission denied for schema public/);
    });
  });

  it('offers the contrib extensions (the normal build)', async () => {
    const r = await one<{ names: string[] }>(pgi.urls.superuser, `SELECT array_agg(name::text) AS names FROM pg_available_extensions`);
    expect(r.names).toEqual(expect.arrayContaining(CONTRIB));
  });

  it('refuses a client that requires TLS, clearly', async () => {
    const e = await connectError(pgi.urls.coder.replace('sslmode=disable', 'sslmode=require'));
    expect(e.message).toMatch(/server does not support SSL/i);
  });

  it('stops and leaves no process behind', async () => {
    await stopAndExpectNoProcess(pgi);
  });
});

// ---- TLS ------------------------------------------------------------------------------------------

describe('TLS', () => {
  let on: PgInstance;
  let required: PgInstance;
  beforeAll(async () => {
    [on, required] = await Promise.all([start({ major: 17, tls: 'on' }), start({ major: 13, tls: 'on', tlsRequired: true })]);
  });

  it('verify-full with the generated CA works and the session is encrypted', async () => {
    expect(on.urls.coder).toContain('sslmode=verify-full');
    expect(on.urls.coder).toContain(`sslrootcert=${encodeURIComponent(on.tlsFiles!.caCert)}`);
    const r = await one<{ ssl: boolean }>(on.urls.coder, `SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`);
    expect(r.ssl).toBe(true);
  });

  it('verify-full without our CA fails (the certificate really is checked)', async () => {
    const e = await connectError({
      host: '127.0.0.1', port: on.port, user: 'coder', password: on.roles.coder.password, database: 'coder',
      ssl: { rejectUnauthorized: true },
    });
    expect(e.message).toMatch(/self[- ]signed certificate|unable to (get|verify)/i);
  });

  it('the server certificate is valid for localhost too', async () => {
    const r = await one<{ ssl: boolean }>(
      on.urls.coder.replace('@127.0.0.1:', '@localhost:'),
      `SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`,
    );
    expect(r.ssl).toBe(true);
  });

  it('ssl=on accepts plain connections unless TLS is required', async () => {
    const plain = (i: PgInstance) => `postgresql://coder:${i.roles.coder.password}@127.0.0.1:${i.port}/coder?sslmode=disable`;
    expect((await one<{ ok: number }>(plain(on), 'SELECT 1 AS ok')).ok).toBe(1);
    expect((await connectError(plain(required))).message).toMatch(/pg_hba\.conf rejects connection.*(no encryption|SSL off)/);
    expect((await one<{ ssl: boolean }>(required.urls.coder, `SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`)).ssl).toBe(true);
  });

  it('stops and leaves no process behind', async () => {
    await stopAndExpectNoProcess(on);
    await stopAndExpectNoProcess(required);
  });
});

describe.each([11, 17])('mTLS on PostgreSQL %i', (major) => {
  let m: PgInstance;
  beforeAll(async () => {
    m = await start({ major, tls: 'mtls' });
  });

  it('accepts coder with its client certificate (CN=coder)', async () => {
    expect(m.urls.coder).toContain('sslcert=');
    const r = await one<{ u: string; ssl: boolean }>(
      m.urls.coder,
      `SELECT current_user AS u, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`,
    );
    expect(r).toEqual({ u: 'coder', ssl: true });
  });

  it('rejects coder without a client certificate', async () => {
    const noCert = m.urls.coder.replace(/&sslcert=[^&]*/, '').replace(/&sslkey=[^&]*/, '');
    expect(noCert).not.toContain('sslcert');
    const e = await connectError(noCert);
    expect(e.message).toMatch(/requires a valid client certificate|certificate authentication failed/);
  });

  it('rejects a certificate issued to another role', async () => {
    const limitedCert = m.urls.coder
      .replace(encodeURIComponent(m.tlsFiles!.clients!['coder']!.cert), encodeURIComponent(m.tlsFiles!.clients!['limited']!.cert))
      .replace(encodeURIComponent(m.tlsFiles!.clients!['coder']!.key), encodeURIComponent(m.tlsFiles!.clients!['limited']!.key));
    expect(limitedCert).toContain('client-limited');
    expect((await connectError(limitedCert)).message).toMatch(/certificate authentication failed for user "coder"/);
  });

  it('stops and leaves no process behind', async () => {
    await stopAndExpectNoProcess(m);
  });
});

// ---- stock grants on schema public ------------------------------------------------------------------

describe.each([13, 16])('stock grants on schema public (PostgreSQL %i)', (major) => {
  let s: PgInstance;
  beforeAll(async () => {
    s = await start({ major, publicSchema: 'stock' });
  });

  it(major >= 15 ? 'limited may USE public but not CREATE there (15+: public belongs to pg_database_owner)' : 'limited may USE and CREATE in public (PUBLIC still has CREATE before 15)', async () => {
    expect(s.publicSchema).toBe('stock');
    await withClient(s.urls.limited, async (c) => {
      const r = (await c.query(`SELECT current_user AS u, has_schema_privilege('public', 'USAGE') AS usage, has_schema_privilege('public', 'CREATE') AS can_create,
        (SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'public') AS owner`)).rows[0];
      expect(r).toEqual({ u: 'limited', usage: true, can_create: major < 15, owner: major >= 15 ? 'pg_database_owner' : 'postgres' });
      if (major >= 15) await expect(c.query('CREATE TABLE limited_cannot (id int)')).rejects.toThrow(/permission denied for schema public/);
      else {
        await c.query('CREATE TABLE limited_can (id int)');
        await c.query('DROP TABLE limited_can');
      }
    });
    // coder still creates there: as the database owner on 15+, through PUBLIC before.
    await withClient(s.urls.coder, async (c) => {
      await c.query('CREATE TABLE coder_can_create (id int)');
      await c.query('DROP TABLE coder_can_create');
    });
  });

  it('stops and leaves no process behind', async () => {
    await stopAndExpectNoProcess(s);
  });
});

// ---- no contrib, small max_connections ------------------------------------------------------------

describe('without contrib', () => {
  let nc: PgInstance;
  beforeAll(async () => {
    nc = await start({ major: 13, contrib: false });
  });

  it('pg_available_extensions lacks pgcrypto, uuid-ossp, pg_trgm… but keeps plpgsql', async () => {
    const r = await one<{ names: string[] }>(nc.urls.superuser, `SELECT array_agg(name::text) AS names FROM pg_available_extensions`);
    for (const x of CONTRIB) expect(r.names).not.toContain(x);
    expect(r.names).toContain('plpgsql');
    await withClient(nc.urls.superuser, async (c) => {
      await expect(c.query('CREATE EXTENSION pgcrypto')).rejects.toThrow(/could not open extension control file ".*pgcrypto\.control"|extension "pgcrypto" is not available/);
    });
  });

  it('stops and leaves no process behind', async () => {
    await stopAndExpectNoProcess(nc);
  });
});

describe('small max_connections', () => {
  let s: PgInstance;
  const held: pg.Client[] = [];
  beforeAll(async () => {
    s = await start({ major: 16, maxConnections: 5 });
  });
  afterAll(async () => {
    for (const c of held) await c.end().catch(() => {});
  });
  const hold = async (url: string) => {
    const c = new pg.Client({ connectionString: url });
    c.on('error', () => {});
    await c.connect();
    held.push(c);
  };

  it('reports the configured limit', async () => {
    expect((await one<{ max_connections: string }>(s.urls.superuser, 'SHOW max_connections')).max_connections).toBe('5');
  });

  it('non-superusers get max_connections − 3 slots, then "remaining connection slots are reserved"', async () => {
    await hold(s.urls.coder);
    await hold(s.urls.coder);
    expect((await connectError(s.urls.coder)).message).toMatch(/remaining connection slots are reserved/);
  });

  it('the superuser gets the rest, then "too many clients"', async () => {
    for (let i = 0; i < 3; i++) await hold(s.urls.superuser);
    expect((await connectError(s.urls.superuser)).message).toMatch(/sorry, too many clients already/);
  });

  it('stops and leaves no process behind', async () => {
    for (const c of held.splice(0)) await c.end();
    await stopAndExpectNoProcess(s);
  });
});

describe('world down', () => {
  /** Stop with a client still connected; a smart shutdown (SIGTERM) would wait for it, then SIGKILL. */
  async function stopWithClientConnected(s: PgInstance, stop: () => Promise<void>): Promise<void> {
    const held = new pg.Client({ connectionString: s.urls.coder });
    held.on('error', () => {});
    await held.connect();
    const pids = processTree(s.pid);
    expect(pids.length).toBeGreaterThan(3);
    await stop();
    expect(pids.filter(isAlive)).toEqual([]);
    const log = readFileSync(s.log, 'utf8');
    expect(log).toContain('received fast shutdown request');
    expect(log).not.toContain('received smart shutdown request');
    expect(log).toContain('database system is shut down');
    await held.end().catch(() => {});
  }

  it('plain stopDaemon on the recorded daemon (stopAll) makes a fast shutdown', async () => {
    const s = await start({ major: 12 });
    const rec = recordedDaemons().find((d) => d.name === s.name);
    expect(rec).toMatchObject({ pid: s.pid, stopSignal: 'SIGINT' });
    await stopWithClientConnected(s, () => stopDaemon(rec!));
  });

  it('stopWorldDaemon recognises a postmaster from its PID alone', async () => {
    const s = await start({ major: 14 });
    expect(isPostmaster(s.pid)).toBe(true);
    expect(isPostmaster(process.pid)).toBe(false);
    await stopWithClientConnected(s, () => stopWorldDaemon({ name: s.name, pid: s.pid, log: s.log }));
  });
});

// ---- PgBouncer -----------------------------------------------------------------------------------

async function notificationsReceived(listenUrl: string, notifyUrl: string): Promise<string[]> {
  const got: string[] = [];
  await withClient(listenUrl, async (listener) => {
    listener.on('notification', (n) => got.push(n.payload ?? ''));
    await listener.query('LISTEN world_test');
    await withClient(notifyUrl, (n) => n.query(`NOTIFY world_test, 'ping'`));
    // Give it a second, and keep the listener busy: pg delivers notifications between queries.
    for (let i = 0; i < 10 && got.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      await listener.query('SELECT 1');
    }
  });
  return got;
}

describe('PgBouncer in transaction pooling', () => {
  let p: PgInstance;
  let b: PgBouncerInstance;
  beforeAll(async () => {
    p = await start({ major: 17 });
    b = await startPgBouncer(p);
  });

  it('forwards queries to the coder database', async () => {
    expect(b.version).toMatch(/^PgBouncer \d+\.\d+/);
    expect(b.poolMode).toBe('transaction');
    const r = await one<{ u: string; db: string; port: string }>(
      b.urls.coder,
      `SELECT current_user AS u, current_database() AS db, current_setting('port') AS port`,
    );
    expect(r).toEqual({ u: 'coder', db: 'coder', port: String(p.port) });
  });

  it('LISTEN/NOTIFY delivers directly but not through PgBouncer', async () => {
    expect(await notificationsReceived(p.urls.coder, p.urls.coder)).toEqual(['ping']);
    expect(await notificationsReceived(b.urls.coder, b.urls.coder)).toEqual([]);
    expect(await notificationsReceived(b.urls.coder, p.urls.coder)).toEqual([]);
  });

  it('stops and leaves no process behind', async () => {
    await stopPgBouncer(b);
    expect(isAlive(b.pid)).toBe(false);
    await stopAndExpectNoProcess(p);
  });
});

// ---- delay proxy ------------------------------------------------------------------------------------

/** An echo server that mirrors half-close: when the client ends, it ends after echoing. */
async function echoServer(): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port, sockets };
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('delay proxy', () => {
  let p: PgInstance;
  let echo: Awaited<ReturnType<typeof echoServer>>;
  const proxies: DelayProxy[] = [];
  const proxy = async (target: number, up: number, down: number) => {
    const x = await startDelayProxy({ target: { host: '127.0.0.1', port: target }, upstreamDelayMs: up, downstreamDelayMs: down });
    proxies.push(x);
    return x;
  };
  beforeAll(async () => {
    [p, echo] = await Promise.all([start({ major: 17 }), echoServer()]);
  });
  afterAll(async () => {
    for (const x of proxies) await x.close();
    echo.server.close();
  });

  it('adds ≈ 10 ms to a PostgreSQL round trip at 5 ms each way', async () => {
    const x = await proxy(p.port, 5, 5);
    const direct = await roundTrips(p.urls.coder, 30);
    const proxied = await roundTrips(viaPort(p.urls.coder, p.port, x.port), 30);
    console.log(`SELECT 1 median: direct ${direct.toFixed(3)} ms, through 5/5 ms proxy ${proxied.toFixed(3)} ms`);
    expect(proxied - direct).toBeGreaterThanOrEqual(9);
    expect(proxied).toBeLessThan(60);
  });

  it('delays each direction by its own amount', async () => {
    const x = await proxy(p.port, 0, 8);
    const direct = await roundTrips(p.urls.coder, 20);
    const proxied = await roundTrips(viaPort(p.urls.coder, p.port, x.port), 20);
    expect(proxied - direct).toBeGreaterThanOrEqual(7.5);
    expect(proxied - direct).toBeLessThan(16 - 0.5); // not 8 each way
  });

  it('delays back-to-back chunks in parallel, not one after another', async () => {
    const x = await proxy(echo.port, 20, 20);
    const s = connect({ host: '127.0.0.1', port: x.port, noDelay: true });
    await new Promise((r) => s.once('connect', r));
    let received = 0;
    const t0 = performance.now();
    const allBack = new Promise<number>((r) =>
      s.on('data', (d: Buffer) => {
        received += d.length;
        if (received === 20) r(performance.now() - t0);
      }),
    );
    for (let i = 0; i < 20; i++) {
      s.write(Buffer.from([i]));
      await new Promise((r) => setTimeout(r, 2));
    }
    const elapsed = await allBack;
    s.destroy();
    // ≈ 40 ms + the ~40 ms of sending; 20 accumulated delays would be ≥ 800 ms.
    expect(elapsed).toBeGreaterThanOrEqual(40);
    expect(elapsed).toBeLessThan(400);
  });

  it('keeps bytes in order and intact, and forwards half-close', async () => {
    const x = await proxy(echo.port, 1, 1);
    const payload = Buffer.alloc(4 * 1024 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 2654435761) >>> 24;
    const s = connect({ host: '127.0.0.1', port: x.port, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => chunks.push(d));
    const ended = new Promise<void>((r) => s.once('end', () => r()));
    for (let off = 0; off < payload.length; off += 65_536) s.write(payload.subarray(off, off + 65_536));
    s.end(); // half-close: the echo server ends only after it has sent everything back
    await ended;
    expect(Buffer.concat(chunks).equals(payload)).toBe(true);
    await until(() => x.connections() === 0 && echo.sockets.size === 0);
  });

  it('closes the client when the target refuses, and leaks no socket', async () => {
    const closedPort = await (async () => {
      const srv = createServer();
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
      const port = (srv.address() as { port: number }).port;
      await new Promise((r) => srv.close(r));
      return port;
    })();
    const x = await proxy(closedPort, 1, 1);
    const s = connect({ host: '127.0.0.1', port: x.port });
    s.on('error', () => {});
    await new Promise((r) => s.once('close', r));
    await until(() => x.connections() === 0);
  });

  it('closes both sides when the client resets mid-stream', async () => {
    const x = await proxy(echo.port, 50, 50);
    const s = connect({ host: '127.0.0.1', port: x.port });
    await new Promise((r) => s.once('connect', r));
    s.write('data still in flight');
    await until(() => echo.sockets.size === 1);
    s.resetAndDestroy();
    await until(() => x.connections() === 0 && echo.sockets.size === 0);
  });

  it('refuses non-loopback addresses', async () => {
    await expect(startDelayProxy({ target: { host: '10.0.0.1', port: 5432 }, upstreamDelayMs: 1, downstreamDelayMs: 1 })).rejects.toThrow(/loopback/);
    await expect(
      startDelayProxy({ target: { host: '127.0.0.1', port: 5432 }, upstreamDelayMs: 1, downstreamDelayMs: 1, listenHost: '0.0.0.0' }),
    ).rejects.toThrow(/loopback/);
  });

  it('runs as a daemon for the world CLI (startDelayProxyDaemon), stopped by PID', async () => {
    const d = await startDelayProxyDaemon({ name: 'test-delay-proxy', target: { host: '127.0.0.1', port: p.port }, upstreamDelayMs: 5, downstreamDelayMs: 5 });
    try {
      const proxied = await roundTrips(viaPort(p.urls.coder, p.port, d.port), 10);
      expect(proxied).toBeGreaterThanOrEqual(9.5);
      expect(proxied).toBeLessThan(60);
    } finally {
      await stopDaemon(d);
    }
    expect(isAlive(d.pid)).toBe(false);
  });

  it('as a command, --listen 127.0.0.1:0 prints the port it got', async () => {
    const file = fileURLToPath(new URL('../world/delay-proxy.ts', import.meta.url));
    const child = spawn(process.execPath, [file, '--listen', '127.0.0.1:0', '--target', `127.0.0.1:${p.port}`, '--delay-ms', '2'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const line = await new Promise<string>((res, rej) => {
        let buf = '';
        child.stdout.on('data', (d: Buffer) => {
          buf += d.toString();
          if (buf.includes('\n')) res(buf.split('\n')[0]!);
        });
        child.once('exit', (code) => rej(new Error(`delay-proxy exited with ${code}`)));
      });
      const info = JSON.parse(line) as { port: number; upstreamDelayMs: number; downstreamDelayMs: number };
      expect(info.port).toBeGreaterThan(0);
      expect([info.upstreamDelayMs, info.downstreamDelayMs]).toEqual([2, 2]);
      expect(await roundTrips(viaPort(p.urls.coder, p.port, info.port), 5)).toBeGreaterThanOrEqual(3.5);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    }
    expect(child.exitCode).toBe(0);
  });

  it('PostgreSQL stops and leaves no process behind', async () => {
    await stopAndExpectNoProcess(p);
  });
});
