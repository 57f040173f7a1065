// Open a `pg` connection that behaves like Coder's lib/pq would for the same settings:
// sslmode defaults to require, require+sslrootcert means verify-ca, verify-ca checks the chain
// but not the host name, and an unsupported sslmode is refused before dialling.
import { readFileSync, statSync } from 'node:fs';
import type { Client, ClientConfig } from 'pg';
import type { ConnectionOptions } from 'node:tls';
import { ClassifiedError } from '../errors.ts';
import { effectiveSslMode, type PgSettings } from '../inputs/pgurl.ts';

function readFileFor(what: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new ClassifiedError('invalid-config', `cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, `fix the ${what} path in the connection string`);
  }
}

/** Whether stat(2) succeeds on the path, like Go's os.Stat(path) with a nil error. */
function pathExists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

export function tlsOptions(s: PgSettings): { sslmode: string; ssl: false | ConnectionOptions } {
  const eff = effectiveSslMode(s);
  if ('unsupported' in eff) {
    throw new ClassifiedError('invalid-config', `Coder would refuse this connection string: ${eff.unsupported}`, 'use sslmode=disable, require, verify-ca or verify-full (lib/pq supports no other)');
  }
  let mode = eff.mode;
  if (mode === 'disable') return { sslmode: mode, ssl: false };
  const ssl: ConnectionOptions = {};
  if (s.sslcert) ssl.cert = readFileFor('sslcert', s.sslcert);
  if (s.sslkey) ssl.key = readFileFor('sslkey', s.sslkey);
  if (mode === 'require' && s.sslrootcert) {
    // lib/pq: "require" with an sslrootcert that exists (os.Stat succeeds) verifies the chain (like
    // verify-ca), and fails when that file then cannot be read (a directory, no permission); one
    // that does not exist is dropped.
    if (pathExists(s.sslrootcert)) {
      ssl.ca = readFileFor('sslrootcert', s.sslrootcert);
      mode = 'verify-ca';
    }
  } else if (s.sslrootcert) {
    ssl.ca = readFileFor('sslrootcert', s.sslrootcert);
  }
  if (mode === 'require') {
    ssl.rejectUnauthorized = false;
  } else if (mode === 'verify-ca') {
    ssl.rejectUnauthorized = true;
    ssl.checkServerIdentity = () => undefined;
  } else {
    ssl.rejectUnauthorized = true;
    ssl.servername = s.host;
  }
  return { sslmode: mode, ssl };
}

export function pgConfig(s: PgSettings, timeoutMs: number): { config: ClientConfig; sslmode: string } {
  const { sslmode, ssl } = tlsOptions(s);
  const connectMs = s.connectTimeoutSec ? Math.min(s.connectTimeoutSec * 1000, timeoutMs) : timeoutMs;
  const config: ClientConfig = {
    host: s.host,
    port: s.port,
    user: s.user,
    database: s.database,
    ssl,
    connectionTimeoutMillis: connectMs,
    query_timeout: timeoutMs,
    application_name: 'coder-preflight',
    ...(s.password !== undefined ? { password: s.password } : {}),
    ...(s.params.search_path ? { options: `-c search_path=${s.params.search_path}` } : {}),
  };
  return { config, sslmode };
}

/** Map a pg / socket / TLS error to a fact failure with a remediation. */
export function classifyPgError(e: unknown, s: PgSettings): ClassifiedError {
  if (e instanceof ClassifiedError) return e;
  const err = e as { code?: string; message?: string; severity?: string };
  const code = err.code ?? '';
  const msg = String(err.message ?? e).split('\n')[0] ?? '';
  const at = `${s.host}:${s.port}`;
  const detail = { code: code || null, host: s.host, port: s.port };
  // pg refuses before answering the server's password request; lib/pq sends an empty password and
  // the server says 28P01. Either way the login fails: the settings give no password.
  if (/client password must be a string|password must be a string/i.test(msg) && s.password === undefined) {
    return new ClassifiedError('unauthorized', `the server asks user "${s.user}" for a password, but the settings give none`, 'put the password in the URL (URL-encoded), or give it with --password-file', detail);
  }
  if (code === '28P01') return new ClassifiedError('unauthorized', `password authentication failed for user "${s.user}"`, 'check the user and password in the connection string (special characters must be URL-encoded)', detail);
  if (code === '28000' && /no encryption|SSL off/i.test(msg) && s.sslmodeRaw === 'disable') {
    return new ClassifiedError('tls', 'the server requires TLS, but the URL says sslmode=disable', 'use sslmode=require (or verify-full with sslrootcert=<CA file>): managed servers such as RDS on PostgreSQL 15+ refuse unencrypted connections', detail);
  }
  if (code === '28000') return new ClassifiedError('unauthorized', msg, 'the server\'s pg_hba.conf does not admit this user/host/TLS combination: add a matching line, or change sslmode', detail);
  if (code === '3D000') return new ClassifiedError('invalid-config', msg, `create the database first (CREATE DATABASE ${s.database} OWNER ${s.user}), or fix its name in the URL`, detail);
  if (code === '53300') return new ClassifiedError('capacity', `PostgreSQL at ${at} is out of connection slots: ${msg}`, 'raise max_connections, or close idle clients (SELECT usename, application_name, state FROM pg_stat_activity shows them): Coder\'s replicas would be refused the same way', detail);
  if (code === '57P03') return new ClassifiedError('unreachable', `the server is not accepting connections yet: ${msg}`, 'wait for PostgreSQL to finish starting or recovery', detail);
  if (/does not support SSL/i.test(msg)) {
    return new ClassifiedError('tls', 'the server does not support TLS, but the connection requires it (lib/pq: "SSL is not enabled on the server")', 'Coder defaults to sslmode=require: enable TLS on the server, or add ?sslmode=disable to the URL if the network is trusted', detail);
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new ClassifiedError('dns', `cannot resolve ${s.host} (${code})`, 'check the host name; in-cluster names (*.svc.cluster.local) do not resolve outside the cluster', detail);
  if (code === 'ECONNREFUSED') return new ClassifiedError('unreachable', `connection refused by ${at}`, 'is PostgreSQL running and listening on that address (listen_addresses, port, firewall)?', detail);
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ECONNRESET' || code === 'EPIPE') return new ClassifiedError('unreachable', `${code} talking to ${at}`, 'check routing and firewalls between here and the database', detail);
  if (code === 'ETIMEDOUT' || /timeout|timed out/i.test(msg)) return new ClassifiedError('timeout', `no answer from ${at} in time`, 'check routing and firewalls between here and the database', detail);
  if (/certificate|self[- ]signed|altname|hostname\/ip|CERT_|UNABLE_TO_VERIFY/i.test(`${code} ${msg}`)) {
    return new ClassifiedError('tls', `TLS verification failed: ${msg}`, 'give the server\'s CA with sslrootcert=<file>, or use a certificate whose name matches the host (verify-full)', detail);
  }
  if (/tls|ssl/i.test(`${code} ${msg}`)) return new ClassifiedError('tls', `TLS handshake failed: ${msg}`, 'check the server\'s TLS settings and sslmode', detail);
  return new ClassifiedError('protocol', msg || 'connection failed', 'run again with --debug for details', detail);
}

/** Open one connection (collectors share one through `pgSession`). */
export async function connect(s: PgSettings, timeoutMs: number, signal: AbortSignal): Promise<{ client: Client; sslmode: string; connectMs: number }> {
  const { config, sslmode } = pgConfig(s, timeoutMs);
  const pg = (await import('pg')).default;
  const client = new pg.Client(config);
  client.on('error', () => {}); // a server dying mid-run surfaces on the next query, not as a crash
  // end() does not interrupt a connect in progress: destroy the socket so connect() settles now.
  const onAbort = () => (client as unknown as { connection?: { stream?: { destroy(e?: Error): void } } }).connection?.stream?.destroy(new Error('aborted'));
  signal.addEventListener('abort', onAbort, { once: true });
  const started = performance.now();
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => {});
    throw classifyPgError(e, s);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  return { client, sslmode, connectMs: Math.round((performance.now() - started) * 10) / 10 };
}
