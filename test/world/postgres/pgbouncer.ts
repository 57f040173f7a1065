// PgBouncer (Debian's `pgbouncer` package) in transaction-pooling mode in front of a world
// PostgreSQL: what many managed setups put between Coder and its database, and where LISTEN/NOTIFY
// (Coder's pubsub) silently does not work.
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, ownedDir, recordedDaemons, startDaemon, stopDaemon, unprivilegedAccount, waitFor, worldDir } from '../proc.ts';
import { traversableDir, type PgInstance } from './server.ts';

/** Where Debian installs it (scripts/install-apt-deps.sh). */
export const PGBOUNCER_BIN = process.env.PGBOUNCER_BIN ?? '/usr/sbin/pgbouncer';

export interface StartPgBouncerOptions {
  /** Default 'transaction' — the mode that breaks LISTEN/NOTIFY and session state. */
  poolMode?: 'session' | 'transaction' | 'statement';
  /** Server connections per user/database pair (default_pool_size, default 5). */
  poolSize?: number;
  /** Default `<pg.name>-pgbouncer`. */
  name?: string;
}

export interface PgBouncerInstance {
  name: string;
  /** `pgbouncer --version` first line, e.g. "PgBouncer 1.18.0". */
  version: string;
  host: '127.0.0.1';
  port: number;
  pid: number;
  log: string;
  dir: string;
  poolMode: 'session' | 'transaction' | 'statement';
  /** The PostgreSQL it forwards to. */
  upstream: { name: string; host: string; port: number };
  /** postgresql://coder:…@127.0.0.1:<port>/coder?sslmode=disable (client side is plain TCP). */
  urls: { coder: string };
}

export function pgbouncerAvailable(): boolean {
  return existsSync(PGBOUNCER_BIN);
}

/** Start PgBouncer in front of `pg` (its `coder` database, `coder` role) on a free loopback port. */
export async function startPgBouncer(pgi: PgInstance, opts: StartPgBouncerOptions = {}): Promise<PgBouncerInstance> {
  if (!pgbouncerAvailable()) {
    throw new Error(`${PGBOUNCER_BIN} not found: run \`bash scripts/install-apt-deps.sh\` (apt-get install pgbouncer)`);
  }
  if (pgi.tls === 'mtls') throw new Error('startPgBouncer: an mTLS upstream is not supported (pgbouncer would need the client key)');
  const name = opts.name ?? `${pgi.name}-pgbouncer`;
  const poolMode = opts.poolMode ?? 'transaction';
  const account = unprivilegedAccount();
  for (const d of recordedDaemons()) if (d.name === name) await stopDaemon(d);

  const dir = join(traversableDir(join(worldDir, 'pgbouncer')), name);
  rmSync(dir, { recursive: true, force: true });
  ownedDir(dir, account);

  // The auth file holds the role's stored verifier (SCRAM-SHA-256$… or md5…), not the password:
  // PgBouncer checks clients against it and reuses it to log in to the server.
  const c = new pg.Client({ connectionString: pgi.urls.superuser });
  await c.connect();
  const { rows } = await c.query<{ rolpassword: string }>(`SELECT rolpassword FROM pg_authid WHERE rolname = 'coder'`);
  await c.end();
  const verifier = rows[0]?.rolpassword;
  if (!verifier) throw new Error(`role coder has no password on ${pgi.name}`);
  const userlist = join(dir, 'userlist.txt');
  writeFileSync(userlist, `"coder" "${verifier}"\n`, { mode: 0o600 });

  const port = await freePort();
  const serverTls =
    pgi.tls === 'on' && pgi.tlsFiles
      ? `server_tls_sslmode = verify-full\nserver_tls_ca_file = ${pgi.tlsFiles.caCert}\n`
      : 'server_tls_sslmode = disable\n';
  const ini = join(dir, 'pgbouncer.ini');
  writeFileSync(
    ini,
    `;; written by test/world/postgres/pgbouncer.ts
[databases]
coder = host=127.0.0.1 port=${pgi.port} dbname=coder

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${port}
unix_socket_dir =
auth_type = ${pgi.auth}
auth_file = ${userlist}
pool_mode = ${poolMode}
default_pool_size = ${opts.poolSize ?? 5}
max_client_conn = 200
ignore_startup_parameters = extra_float_digits,options
${serverTls}logfile =
pidfile =
`,
  );
  if ((process.getuid?.() ?? 1) === 0) for (const f of [ini, userlist]) chownSync(f, account.uid, account.gid);

  const version = execFileSync(PGBOUNCER_BIN, ['--version'], { encoding: 'utf8' }).split('\n')[0]?.trim() ?? '';
  const daemon = startDaemon({ name, command: PGBOUNCER_BIN, args: [ini], account, cwd: dir });
  const coderUrl = `postgresql://coder:${encodeURIComponent(pgi.roles.coder.password)}@127.0.0.1:${port}/coder?sslmode=disable`;
  try {
    await waitFor(
      `PgBouncer ${name} on 127.0.0.1:${port}`,
      async () => {
        const cl = new pg.Client({ connectionString: coderUrl, connectionTimeoutMillis: 5000 });
        cl.on('error', () => {});
        await cl.connect();
        try {
          await cl.query('SELECT 1');
          return true;
        } finally {
          await cl.end().catch(() => {});
        }
      },
      { daemon, intervalMs: 50, timeoutMs: 30_000 },
    );
  } catch (e) {
    await stopDaemon(daemon, 2000);
    throw e;
  }
  return {
    name,
    version,
    host: '127.0.0.1',
    port,
    pid: daemon.pid,
    log: daemon.log,
    dir,
    poolMode,
    upstream: { name: pgi.name, host: pgi.host, port: pgi.port },
    urls: { coder: coderUrl },
  };
}

/** Stop PgBouncer by PID (SIGTERM, then SIGKILL) and remove its directory. */
export async function stopPgBouncer(b: Pick<PgBouncerInstance, 'name' | 'pid' | 'log' | 'dir'>): Promise<void> {
  await stopDaemon({ name: b.name, pid: b.pid, log: b.log }, 5000);
  rmSync(b.dir, { recursive: true, force: true });
}
