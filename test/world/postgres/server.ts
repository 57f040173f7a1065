// One real PostgreSQL server of the test world: a fresh data dir, started with `postgres` itself
// through startDaemon (so we hold the postmaster PID), on a free 127.0.0.1 port, with the roles
// the checks are tested against; and a streaming standby of such a server (startStandby).
import { execFile } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import {
  freePort, ownedDir, recordedDaemons, startDaemon, stopDaemon, unprivilegedAccount, waitFor, worldDir,
  type Account, type Daemon,
} from '../proc.ts';
import { isPgMajor, pgInstallDir, pgInstallDirWithoutContrib, pgPackageDir, type PgMajor } from './binaries.ts';
import { makePgPki, type PgServerCertKind, type PgTlsFiles } from './tls.ts';

const execFileAsync = promisify(execFile);

export type PgTlsMode = 'off' | 'on' | 'mtls';
export type PgAuthMethod = 'scram-sha-256' | 'md5';
export type PgPublicSchema = 'owner-only' | 'stock';

export interface StartPostgresOptions {
  major: number;
  /** max_connections (default 50). superuser_reserved_connections stays 3, as on a stock server. */
  maxConnections?: number;
  /**
   * 'off': no TLS. 'on': ssl=on with a generated CA; plain connections still allowed unless
   * `tlsRequired`. 'mtls': TLS required; roles other than the superuser authenticate with a client
   * certificate whose CN is the role name (pg_hba `cert`, clientcert=verify-full where it exists).
   */
  tls?: PgTlsMode;
  /** With tls 'on': reject connections without TLS (pg_hba `hostnossl ... reject`). */
  tlsRequired?: boolean;
  /**
   * With tls 'on' or 'mtls': which server certificate to present (test/world/postgres/tls.ts,
   * PgServerCertKind): 'good' (default; for 127.0.0.1/localhost), 'expired', 'expiring-soon',
   * 'wrong-host' (no 127.0.0.1/localhost name) or 'cn-only' (no subjectAltName). Always signed by
   * tlsFiles.caCert, so only the property asked for is wrong.
   */
  tlsCert?: PgServerCertKind;
  /**
   * true: ready to be the primary of a streaming standby (startStandby): wal_level=replica,
   * max_wal_senders=5, WAL kept for a while, and a pg_hba line for physical replication as the
   * superuser. Default false (wal_level=minimal, no WAL senders).
   */
  replication?: boolean;
  /** false: run from a copy of the binaries whose share/extension has only plpgsql (default true). */
  contrib?: boolean;
  /**
   * true: run from the npm package's install dir exactly as shipped, with the control files this
   * major cannot parse left in place (the PostgreSQL 10 package: `SELECT * FROM
   * pg_available_extensions` then fails with `unrecognized parameter "trusted"`). Default false:
   * those files are left out (binaries.ts, pgInstallDir). Not with contrib false.
   */
  asPackaged?: boolean;
  /** Password auth method. Default scram-sha-256, except md5 on PostgreSQL 10 (its default). */
  auth?: PgAuthMethod;
  /**
   * Grants on schema `public` of database coder. 'owner-only' (default): PUBLIC has nothing there,
   * only `coder` may USE and CREATE, the same on every major. 'stock': left as initdb made them, as
   * on a fresh real server — PUBLIC has USAGE and CREATE before PostgreSQL 15, USAGE only from 15
   * (where public belongs to pg_database_owner, so `coder` creates as the database owner), and
   * `limited` gets what PUBLIC has.
   */
  publicSchema?: PgPublicSchema;
  /**
   * Name of the log file, data dir and PID record. A server already recorded under this name is
   * stopped and replaced (so `world up` can pass e.g. "pg17" and be re-run). Default: derived from
   * the options plus a random suffix (e.g. pg17-mtls-3f9a1c), so tests never replace a server
   * someone else started.
   */
  name?: string;
}

export interface PgRole {
  name: string;
  password: string;
}

/** Everything about a started server. Plain data (JSON-serializable): stop it with stopPostgres(info). */
export interface PgInstance {
  name: string;
  major: PgMajor;
  /** `SHOW server_version`, e.g. "17.10". */
  serverVersion: string;
  /** `SHOW server_version_num`, e.g. 170010. */
  serverVersionNum: number;
  /** `SELECT version()`. */
  version: string;
  host: '127.0.0.1';
  port: number;
  /** Postmaster PID (process group leader of all its backends). */
  pid: number;
  log: string;
  dataDir: string;
  /** Install dir the server runs from (bin/, lib/, share/); the no-contrib copy when contrib is false. */
  installDir: string;
  tls: PgTlsMode;
  tlsRequired: boolean;
  tlsFiles?: PgTlsFiles;
  /** Ready to be a streaming primary (StartPostgresOptions.replication). */
  replication?: boolean;
  /** For a standby made by startStandby: the name of its primary. */
  standbyOf?: string;
  contrib: boolean;
  auth: PgAuthMethod;
  publicSchema: PgPublicSchema;
  maxConnections: number;
  superuserReservedConnections: number;
  database: 'coder';
  roles: { superuser: PgRole; coder: PgRole; limited: PgRole };
  /**
   * Connection URLs (libpq syntax, also understood by node-postgres) with passwords and the right
   * sslmode: disable without TLS, verify-full + sslrootcert with it, plus sslcert/sslkey with mTLS.
   * superuser → database postgres; coder and limited → database coder. With a tlsCert other than
   * 'good' they stay verify-full + the CA, so they fail verification as that certificate should
   * (expired, wrong-host; cn-only too with host localhost for Coder's Go driver): the world itself
   * then administers the server with sslmode=no-verify (adminUrl).
   */
  urls: { superuser: string; coder: string; limited: string };
  /** Wall time of initdb + start + role setup, ms. */
  startupMs: number;
}

const SUPERUSER_RESERVED = 3;

function defaultName(o: StartPostgresOptions): string {
  const parts = [`pg${o.major}`];
  if (o.tls && o.tls !== 'off') parts.push(o.tls === 'on' && o.tlsRequired ? 'tls-required' : o.tls === 'on' ? 'tls' : 'mtls');
  if (o.tlsCert && o.tlsCert !== 'good') parts.push(`cert-${o.tlsCert}`);
  if (o.replication) parts.push('repl');
  if (o.contrib === false) parts.push('nocontrib');
  if (o.asPackaged) parts.push('packaged');
  if (o.maxConnections !== undefined) parts.push(`maxconn${o.maxConnections}`);
  if (o.auth) parts.push(o.auth === 'md5' ? 'md5' : 'scram');
  if (o.publicSchema === 'stock') parts.push('stock');
  parts.push(randomBytes(3).toString('hex'));
  return parts.join('-');
}

/** mkdir -p, and let other users (the server's account) pass through it and its parent, the world dir. */
export function traversableDir(path: string): string {
  mkdirSync(path, { recursive: true, mode: 0o755 });
  // The world dir's parent too (.world/ of the repo): a 0700 parent made by an earlier mkdir -p stops the server's account.
  for (const p of [dirname(worldDir), worldDir, path]) if ((statSync(p).mode & 0o011) !== 0o011) chmodSync(p, statSync(p).mode | 0o711);
  return path;
}

const secret = () => randomBytes(12).toString('hex');

function url(role: PgRole, port: number, db: string, params: Record<string, string>): string {
  const q = new URLSearchParams(params).toString();
  return `postgresql://${encodeURIComponent(role.name)}:${encodeURIComponent(role.password)}@127.0.0.1:${port}/${db}${q ? `?${q}` : ''}`;
}

/**
 * The URL the world itself administers a server with. The same as urls.superuser with a good
 * certificate; with another kind (expired, wrong-host, …) verify-full would fail on purpose, so
 * the world's own connections use node-postgres's sslmode=no-verify (TLS, nothing verified).
 */
function adminUrl(role: PgRole, port: number, db: string, tls: PgTlsMode, files: PgTlsFiles | undefined): string {
  if (tls === 'off' || !files || files.serverCertKind === 'good') return url(role, port, db, sslParams(tls, files, role.name));
  return url(role, port, db, { sslmode: 'no-verify' });
}

/** The superuser URL that works whatever certificate the server presents (for tests that administer it). */
export function adminUrlOf(pg: Pick<PgInstance, 'roles' | 'port' | 'tls' | 'tlsFiles'>, db = 'postgres'): string {
  return adminUrl(pg.roles.superuser, pg.port, db, pg.tls, pg.tlsFiles);
}

function sslParams(tls: PgTlsMode, files: PgTlsFiles | undefined, role: string): Record<string, string> {
  if (tls === 'off' || !files) return { sslmode: 'disable' };
  const p: Record<string, string> = { sslmode: 'verify-full', sslrootcert: files.caCert };
  const client = files.clients?.[role];
  if (tls === 'mtls' && client) {
    p['sslcert'] = client.cert;
    p['sslkey'] = client.key;
  }
  return p;
}

function hbaConf(major: PgMajor, tls: PgTlsMode, tlsRequired: boolean, auth: PgAuthMethod, replication = false): string {
  const lines = ['# written by test/world/postgres/server.ts — TCP on 127.0.0.1 only, no unix socket', ''];
  const net = '127.0.0.1/32';
  // Physical replication connections match only the `replication` keyword, never `all`.
  if (replication) lines.push(`${tls === 'off' ? 'host' : 'hostssl'} replication postgres ${net} ${auth}`);
  if (tls === 'off') {
    lines.push(`host all all ${net} ${auth}`);
  } else if (tls === 'on') {
    lines.push(`hostssl all all ${net} ${auth}`);
    lines.push(`hostnossl all all ${net} ${tlsRequired ? 'reject' : auth}`);
  } else {
    // The superuser keeps password auth (over TLS) so the world can administer the server; every
    // other role must present a client certificate with CN = role name.
    lines.push(`hostssl all postgres ${net} ${auth}`);
    lines.push(`hostssl all all ${net} cert${major >= 12 ? ' clientcert=verify-full' : ''}`);
    lines.push(`hostnossl all all ${net} reject`);
  }
  return lines.join('\n') + '\n';
}

function serverConf(o: {
  major: PgMajor;
  port: number;
  maxConnections: number;
  auth: PgAuthMethod;
  tls: PgTlsMode;
  files?: PgTlsFiles;
  replication?: boolean;
}): string {
  const s: Record<string, string | number> = {
    listen_addresses: `'127.0.0.1'`,
    port: o.port,
    unix_socket_directories: `''`,
    max_connections: o.maxConnections,
    superuser_reserved_connections: SUPERUSER_RESERVED,
    password_encryption: `'${o.auth}'`,
    // Fast and small: a test server, never a real one.
    shared_buffers: `'16MB'`,
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    wal_level: 'minimal',
    max_wal_senders: 0,
    huge_pages: 'off',
    log_destination: `'stderr'`,
    logging_collector: 'off',
    log_line_prefix: `'%m [%p] '`,
    ssl: o.tls === 'off' ? 'off' : 'on',
  };
  if (o.major >= 11) s['jit'] = 'off';
  if (o.replication) {
    // A standby streams WAL from this server; keep some in case it falls behind while starting.
    s['wal_level'] = 'replica';
    s['max_wal_senders'] = 5;
    if (o.major >= 13) s['wal_keep_size'] = `'128MB'`;
    else s['wal_keep_segments'] = 8;
  }
  if (o.files && o.tls !== 'off') {
    s['ssl_cert_file'] = `'${o.files.serverCert}'`;
    s['ssl_key_file'] = `'${o.files.serverKey}'`;
    if (o.tls === 'mtls') s['ssl_ca_file'] = `'${o.files.caCert}'`;
  }
  return Object.entries(s).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n';
}

async function asAccount(cmd: string, args: string[], account: Account, env: NodeJS.ProcessEnv = {}): Promise<void> {
  const root = (process.getuid?.() ?? 1) === 0;
  try {
    await execFileAsync(cmd, args, {
      env: { ...process.env, LC_ALL: 'C', LANG: 'C', ...env },
      ...(root ? { uid: account.uid, gid: account.gid } : {}),
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed:\n${err.stderr || err.stdout || err.message}`);
  }
}

/** Connect, run fn, always disconnect (a connection string or a full client config). */
export async function withClient<T>(config: string | pg.ClientConfig, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client(typeof config === 'string' ? { connectionString: config, connectionTimeoutMillis: 10_000 } : config);
  c.on('error', () => {});
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => {});
  }
}

/** initdb a fresh data dir and start a PostgreSQL `major` on a free loopback port. */
export async function startPostgres(opts: StartPostgresOptions): Promise<PgInstance> {
  const t0 = performance.now();
  const { major } = opts;
  if (!isPgMajor(major)) throw new Error(`PostgreSQL major ${major} is not one of 10..18`);
  const tls = opts.tls ?? 'off';
  const tlsRequired = tls === 'mtls' || (tls === 'on' && opts.tlsRequired === true);
  const contrib = opts.contrib ?? true;
  if (opts.tlsCert && tls === 'off') throw new Error('tlsCert needs tls: \'on\' or \'mtls\'');
  const replication = opts.replication ?? false;
  const auth: PgAuthMethod = opts.auth ?? (major === 10 ? 'md5' : 'scram-sha-256');
  const maxConnections = opts.maxConnections ?? 50;
  const publicSchema: PgPublicSchema = opts.publicSchema ?? 'owner-only';
  if (maxConnections <= SUPERUSER_RESERVED) {
    throw new Error(`maxConnections must be > superuser_reserved_connections (${SUPERUSER_RESERVED})`);
  }
  const name = opts.name ?? defaultName(opts);
  if (opts.asPackaged && !contrib) throw new Error('asPackaged runs the package as shipped, contrib and all: it cannot go with contrib: false');
  const installDir = !contrib ? pgInstallDirWithoutContrib(major) : opts.asPackaged ? pgPackageDir(major) : pgInstallDir(major);
  const account = unprivilegedAccount();

  // A previous instance under the same name (a crashed test, a second `world up`) is replaced.
  for (const d of recordedDaemons()) if (d.name === name) await stopPostgresDaemon(d);

  const dir = join(traversableDir(join(worldDir, 'postgres')), name);
  rmSync(dir, { recursive: true, force: true });
  ownedDir(dir, account);
  const dataDir = join(dir, 'data');

  const roles = {
    superuser: { name: 'postgres', password: secret() },
    coder: { name: 'coder', password: secret() },
    limited: { name: 'limited', password: secret() },
  };

  const pwfile = join(dir, 'pwfile');
  writeFileSync(pwfile, roles.superuser.password + '\n', { mode: 0o600 });
  if ((process.getuid?.() ?? 1) === 0) chownSync(pwfile, account.uid, account.gid);
  await asAccount(
    join(installDir, 'bin', 'initdb'),
    ['-D', dataDir, '-U', 'postgres', `--pwfile=${pwfile}`, '-A', auth, '-E', 'UTF8', '--locale=C', '--no-sync'],
    account,
  );
  rmSync(pwfile);

  let tlsFiles: PgTlsFiles | undefined;
  if (tls !== 'off') {
    tlsFiles = makePgPki(ownedDir(join(dir, 'tls'), account), account, tls === 'mtls' ? ['coder', 'limited'] : [], { serverCert: opts.tlsCert ?? 'good' });
  }

  const port = await freePort();
  writeFileSync(join(dataDir, 'pg_hba.conf'), hbaConf(major, tls, tlsRequired, auth, replication));
  writeFileSync(join(dataDir, 'world.conf'), serverConf({ major, port, maxConnections, auth, tls, replication, ...(tlsFiles ? { files: tlsFiles } : {}) }));
  appendFileSync(join(dataDir, 'postgresql.conf'), `\ninclude 'world.conf'\n`);

  const daemon = startDaemon({
    name,
    command: join(installDir, 'bin', 'postgres'),
    args: ['-D', dataDir],
    env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
    account,
    // Fast shutdown, so a plain stopDaemon/stopAll (world down) does not wait for clients.
    stopSignal: 'SIGINT',
  });

  const urls = {
    superuser: url(roles.superuser, port, 'postgres', sslParams(tls, tlsFiles, 'postgres')),
    coder: url(roles.coder, port, 'coder', sslParams(tls, tlsFiles, 'coder')),
    limited: url(roles.limited, port, 'coder', sslParams(tls, tlsFiles, 'limited')),
  };

  try {
    const facts = await waitFor(
      `PostgreSQL ${major} (${name}) to accept connections on 127.0.0.1:${port}`,
      () =>
        withClient(adminUrl(roles.superuser, port, 'postgres', tls, tlsFiles), async (c) => {
          const r = await c.query<{ version: string; server_version: string; server_version_num: string }>(
            `SELECT version() AS version, current_setting('server_version') AS server_version,
                    current_setting('server_version_num') AS server_version_num`,
          );
          return r.rows[0];
        }),
      { daemon, intervalMs: 50, timeoutMs: 60_000 },
    );

    await withClient(adminUrl(roles.superuser, port, 'postgres', tls, tlsFiles), async (c) => {
      for (const r of [roles.coder, roles.limited]) {
        await c.query(`CREATE ROLE ${r.name} LOGIN PASSWORD '${r.password}' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION`);
      }
      await c.query(`CREATE DATABASE coder OWNER coder`);
      await c.query(`REVOKE ALL ON DATABASE coder FROM PUBLIC`);
      await c.query(`GRANT CONNECT ON DATABASE coder TO limited`);
    });
    // PostgreSQL < 15 lets PUBLIC create in schema public; 15+ leaves it to the database owner.
    // By default make it the same everywhere: only `coder` may create there; `limited` has nothing
    // but CONNECT. 'stock' leaves initdb's grants alone.
    if (publicSchema === 'owner-only') {
      const suCoder = adminUrl(roles.superuser, port, 'coder', tls, tlsFiles);
      await withClient(suCoder, async (c) => {
        await c.query(`REVOKE ALL ON SCHEMA public FROM PUBLIC`);
        await c.query(`GRANT USAGE, CREATE ON SCHEMA public TO coder`);
      });
    }

    return {
      name,
      major,
      serverVersion: facts.server_version,
      serverVersionNum: Number(facts.server_version_num),
      version: facts.version,
      host: '127.0.0.1',
      port,
      pid: daemon.pid,
      log: daemon.log,
      dataDir,
      installDir,
      tls,
      tlsRequired,
      ...(tlsFiles ? { tlsFiles } : {}),
      ...(replication ? { replication } : {}),
      contrib,
      auth,
      publicSchema,
      maxConnections,
      superuserReservedConnections: SUPERUSER_RESERVED,
      database: 'coder',
      roles,
      urls,
      startupMs: Math.round(performance.now() - t0),
    };
  } catch (e) {
    await stopPostgresDaemon(daemon);
    throw e;
  }
}

export interface StartStandbyOptions {
  /** Name of the log file, data dir and PID record (replaced like startPostgres's). Default `<primary>-standby-<random>`. */
  name?: string;
}

/**
 * A streaming hot standby of `primary` (which must have been started with `replication: true`), on
 * its own free 127.0.0.1 port, with the primary's roles, passwords and TLS files (copied), started
 * through startDaemon: stop it with stopPostgres like any server, before or after its primary.
 *
 * The base backup is taken with the low-level API on the same machine — pg_backup_start() (15+;
 * pg_start_backup(label, fast, false) before), a copy of the data dir, pg_backup_stop() (15+;
 * pg_stop_backup(false, false) before), the backup_label it returns, and the WAL copied after it —
 * because the npm packages ship no pg_basebackup, and Debian's (15) refuses to stream from a newer
 * server. Then standby.signal and primary_conninfo (12+) or recovery.conf (10, 11), so it streams
 * from the primary as a real replica does. Resolves once it accepts connections in recovery and its
 * WAL receiver is streaming.
 */
export async function startStandby(primary: PgInstance, opts: StartStandbyOptions = {}): Promise<PgInstance> {
  const t0 = performance.now();
  if (!primary.replication) throw new Error(`startStandby: start the primary ${primary.name} with replication: true (wal_level=replica, WAL senders, a replication pg_hba line)`);
  const { major, tls, tlsRequired, auth, maxConnections, roles } = primary;
  const name = opts.name ?? `${primary.name}-standby-${randomBytes(3).toString('hex')}`;
  const account = unprivilegedAccount();
  for (const d of recordedDaemons()) if (d.name === name) await stopPostgresDaemon(d);

  const dir = join(traversableDir(join(worldDir, 'postgres')), name);
  rmSync(dir, { recursive: true, force: true });
  ownedDir(dir, account);
  const dataDir = join(dir, 'data');
  const root = (process.getuid?.() ?? 1) === 0;
  const own = (path: string) => {
    if (root) chownSync(path, account.uid, account.gid);
  };

  // The base backup. The backup's session must stay open from start to stop (non-exclusive mode).
  const label = await withClient(adminUrl(roles.superuser, primary.port, 'postgres', tls, primary.tlsFiles), async (c) => {
    await c.query(major >= 15 ? 'SELECT pg_backup_start($1, true)' : 'SELECT pg_start_backup($1, true, false)', [name]);
    await execFileAsync('cp', ['-a', primary.dataDir, dataDir]);
    const r = await c.query<{ labelfile: string; spcmapfile: string | null }>(
      major >= 15 ? 'SELECT labelfile, spcmapfile FROM pg_backup_stop(false)' : 'SELECT labelfile, spcmapfile FROM pg_stop_backup(false, false)',
    );
    // The WAL written up to the backup's end, so recovery can reach consistency before streaming.
    await execFileAsync('cp', ['-a', `${join(primary.dataDir, 'pg_wal')}/.`, join(dataDir, 'pg_wal')]);
    return r.rows[0]!;
  });
  for (const f of ['postmaster.pid', 'postmaster.opts']) rmSync(join(dataDir, f), { force: true });
  writeFileSync(join(dataDir, 'backup_label'), label.labelfile);
  own(join(dataDir, 'backup_label'));
  if (label.spcmapfile) {
    writeFileSync(join(dataDir, 'tablespace_map'), label.spcmapfile);
    own(join(dataDir, 'tablespace_map'));
  }

  // Its own copy of the PKI (the primary's directory may go first).
  let tlsFiles: PgTlsFiles | undefined;
  if (primary.tlsFiles) {
    const from = dirname(primary.tlsFiles.caCert);
    const to = join(dir, 'tls');
    await execFileAsync('cp', ['-a', from, to]);
    const moved = (v: unknown): unknown =>
      typeof v === 'string' ? (v.startsWith(`${from}/`) ? join(to, v.slice(from.length + 1)) : v)
        : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, moved(x)])) : v;
    tlsFiles = moved(primary.tlsFiles) as PgTlsFiles;
  }

  const port = await freePort();
  const conninfo = `host=127.0.0.1 port=${primary.port} user=${roles.superuser.name} password=${roles.superuser.password} sslmode=${tls === 'off' ? 'disable' : 'require'} application_name=${name}`;
  let conf = serverConf({ major, port, maxConnections, auth, tls, replication: true, ...(tlsFiles ? { files: tlsFiles } : {}) });
  if (major >= 12) {
    conf += `primary_conninfo = '${conninfo}'\n`;
    writeFileSync(join(dataDir, 'standby.signal'), '');
    own(join(dataDir, 'standby.signal'));
  } else {
    writeFileSync(join(dataDir, 'recovery.conf'), `standby_mode = 'on'\nprimary_conninfo = '${conninfo}'\n`, { mode: 0o600 });
    own(join(dataDir, 'recovery.conf'));
  }
  writeFileSync(join(dataDir, 'world.conf'), conf);
  own(join(dataDir, 'world.conf'));

  const daemon = startDaemon({
    name,
    command: join(primary.installDir, 'bin', 'postgres'),
    args: ['-D', dataDir],
    // The WAL receiver is a libpq client: with the caller's HOME it would read (or fail to read)
    // ~/.postgresql/postgresql.crt and root.crt; give it an empty one.
    env: { ...process.env, LC_ALL: 'C', LANG: 'C', HOME: dir },
    account,
    stopSignal: 'SIGINT',
  });
  const urls = {
    superuser: url(roles.superuser, port, 'postgres', sslParams(tls, tlsFiles, 'postgres')),
    coder: url(roles.coder, port, 'coder', sslParams(tls, tlsFiles, 'coder')),
    limited: url(roles.limited, port, 'coder', sslParams(tls, tlsFiles, 'limited')),
  };
  try {
    const facts = await waitFor(
      `the standby ${name} of ${primary.name} to accept connections in recovery on 127.0.0.1:${port} and stream from the primary`,
      () =>
        withClient(adminUrl(roles.superuser, port, 'postgres', tls, tlsFiles), async (c) => {
          const r = await c.query<{ version: string; server_version: string; server_version_num: string; recovery: boolean; streaming: boolean }>(
            `SELECT version() AS version, current_setting('server_version') AS server_version,
                    current_setting('server_version_num') AS server_version_num, pg_is_in_recovery() AS recovery,
                    EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') AS streaming`,
          );
          return r.rows[0]?.recovery && r.rows[0].streaming ? r.rows[0] : undefined;
        }),
      { daemon, intervalMs: 50, timeoutMs: 60_000 },
    );
    return {
      ...primary,
      name,
      serverVersion: facts.server_version,
      serverVersionNum: Number(facts.server_version_num),
      version: facts.version,
      port,
      pid: daemon.pid,
      log: daemon.log,
      dataDir,
      ...(tlsFiles ? { tlsFiles } : {}),
      tlsRequired,
      replication: true,
      standbyOf: primary.name,
      urls,
      startupMs: Math.round(performance.now() - t0),
    };
  } catch (e) {
    await stopPostgresDaemon(daemon);
    throw e;
  }
}

/**
 * Stop a postmaster by PID: SIGINT first (fast shutdown: roll back sessions, checkpoint, exit),
 * then stopDaemon's TERM/KILL. Plain stopDaemon is not enough for PostgreSQL: its SIGTERM is a
 * *smart* shutdown that waits for every client to disconnect, and every backend calls setsid(), so
 * the process-group signal never reaches them — with one idle client open, stopDaemon waits its
 * whole grace period and then SIGKILLs the postmaster (measured: 10.2 s). Use this (or
 * stopPostgres, or stopWorldDaemon for any daemon) in `world down`. Not for PgBouncer: its SIGINT
 * waits for open transactions (its SIGTERM, in 1.18, exits at once).
 */
export async function stopPostgresDaemon(d: Daemon): Promise<void> {
  await stopDaemon({ ...d, stopSignal: 'SIGINT' }, 15_000);
}

/** Whether `pid` runs a PostgreSQL server binary (from /proc; false when it is gone). */
export function isPostmaster(pid: number): boolean {
  try {
    const argv0 = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
    return basename(argv0) === 'postgres';
  } catch {
    return false;
  }
}

/**
 * Drop-in replacement for stopDaemon when stopping the whole world (`world down`): PostgreSQL
 * postmasters get a fast shutdown (see stopPostgresDaemon) even when their record predates
 * `stopSignal`; every other daemon plain stopDaemon.
 */
export async function stopWorldDaemon(d: Daemon): Promise<void> {
  if (isPostmaster(d.pid)) await stopPostgresDaemon(d);
  else await stopDaemon(d);
}

export interface StopPostgresOptions {
  /** Remove the instance's directory (data dir and PKI). Default true; the log stays. */
  removeData?: boolean;
}

/** Stop a server started by startPostgres (by PID) and, by default, delete its data dir. */
export async function stopPostgres(info: Pick<PgInstance, 'name' | 'pid' | 'log' | 'dataDir'>, opts: StopPostgresOptions = {}): Promise<void> {
  await stopPostgresDaemon({ name: info.name, pid: info.pid, log: info.log });
  if (opts.removeData ?? true) {
    const dir = join(info.dataDir, '..');
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  }
}
