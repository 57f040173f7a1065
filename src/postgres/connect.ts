// Open a `pg` connection that behaves like Coder's lib/pq (github.com/coder/pq ssl.go, conn.go)
// for the same settings, and name the cause when it fails:
//   - sslmode "" and require encrypt and verify nothing — unless an sslrootcert file exists (stat),
//     which makes require verify like verify-ca; one that does not exist is dropped.
//   - verify-ca verifies the chain, and the host name too whenever SNI carries one: lib/pq checks
//     against ConnectionState().ServerName, which crypto/tls leaves empty only for an IP literal
//     (or with sslsni=0). verify-full verifies the chain and the host.
//   - Go's order (crypto/x509 Verify): the leaf's validity dates, then the host name, then the chain;
//     so we verify after the handshake ourselves, in that order, rather than let OpenSSL decide.
//   - Without sslrootcert the roots are the system's (Go reads /etc/ssl/certs), not Node's bundle.
//   - sslcert: a file that does not exist is no client certificate (not an error); sslkey must be
//     0600 (0640 when root owns it) or lib/pq refuses it.
//   - Every parameter lib/pq does not keep for itself goes to the server in the startup packet.
import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { connect as netConnect, isIP } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import type { Client, ClientConfig } from 'pg';
import { ClassifiedError, type Detail, type FailureReason } from '../errors.ts';
import { effectiveSslMode, type PgSettings } from '../inputs/pgurl.ts';

/**
 * Why a connection failed, finer than the fact's reason: the same words the driver oracle
 * (test/world/go/pqoracle) uses, so the two can be compared case by case.
 */
export type PgCause =
  | 'auth-failed'
  | 'no-password'
  | 'no-hba'
  | 'role-missing'
  | 'client-cert'
  | 'db-missing'
  | 'tls-required-by-server'
  | 'tls-not-offered'
  | 'cert-unknown-ca'
  | 'cert-wrong-host'
  | 'cert-expired'
  | 'cert-invalid'
  | 'tls-handshake'
  | 'too-many-connections'
  | 'parameter-rejected'
  | 'server-starting'
  | 'dns'
  | 'refused'
  | 'timeout'
  | 'connection-closed'
  | 'bad-address'
  | 'sslmode-unsupported'
  | 'sslrootcert-unreadable'
  | 'sslrootcert-invalid'
  | 'sslcert-unreadable'
  | 'sslkey-unreadable'
  | 'sslkey-invalid'
  | 'server-error'
  | 'other';

/** The fact's reason for each cause (postgres.connect: a definite refusal fails, not reaching the server is an error). */
export const CAUSE_REASON: Record<PgCause, FailureReason> = {
  'auth-failed': 'unauthorized',
  'no-password': 'unauthorized',
  'no-hba': 'unauthorized',
  'role-missing': 'unauthorized',
  'client-cert': 'unauthorized',
  'db-missing': 'invalid-config',
  'tls-required-by-server': 'tls',
  'tls-not-offered': 'tls',
  'cert-unknown-ca': 'tls',
  'cert-wrong-host': 'tls',
  'cert-expired': 'tls',
  'cert-invalid': 'tls',
  'tls-handshake': 'tls',
  'too-many-connections': 'capacity',
  'parameter-rejected': 'invalid-config',
  'server-starting': 'unreachable',
  dns: 'dns',
  refused: 'unreachable',
  timeout: 'timeout',
  'connection-closed': 'unreachable',
  'bad-address': 'invalid-config',
  'sslmode-unsupported': 'invalid-config',
  'sslrootcert-unreadable': 'invalid-config',
  'sslrootcert-invalid': 'invalid-config',
  'sslcert-unreadable': 'invalid-config',
  'sslkey-unreadable': 'invalid-config',
  'sslkey-invalid': 'invalid-config',
  'server-error': 'protocol',
  other: 'protocol',
};

function failure(cause: PgCause, message: string, hint: string, detail: Detail = {}): ClassifiedError {
  return new ClassifiedError(CAUSE_REASON[cause], message, hint, { cause, ...detail });
}

function readFileFor(what: 'sslrootcert' | 'sslcert' | 'sslkey', path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw failure(`${what}-unreadable`, `cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, `fix the ${what} path in the connection string (Coder's pod reads that path: mount the file there)`, { path });
  }
}

/** stat(2) as Go's os.Stat: the mode and owner, or the error code. */
function stat(path: string): { mode: number; uid: number } | { code: string } {
  try {
    const st = statSync(path);
    return { mode: st.mode, uid: st.uid };
  } catch (e) {
    return { code: (e as NodeJS.ErrnoException).code ?? 'EIO' };
  }
}

/** What lib/pq verifies of the server certificate after the handshake. */
export interface TlsVerification {
  /** false: encrypt only (sslmode=require without a root cert). */
  chain: boolean;
  /** The name checked against the certificate's subjectAltNames, or null for none. */
  hostname: string | null;
}

/** Options for tls.connect, plus what to verify after the handshake (Go's order, not OpenSSL's). */
export interface PgTls {
  sslmode: string;
  ssl: false | tls.ConnectionOptions;
  verify: TlsVerification | null;
}

/** The system's CA certificates, as Go reads them (Node's own bundle is a different list). */
function systemRoots(): string[] | undefined {
  const get = (tls as { getCACertificates?: (type: string) => string[] }).getCACertificates;
  try {
    return get ? get('system') : undefined;
  } catch {
    return undefined;
  }
}

/** lib/pq sslClientCertificates: the client certificate and key, or none. */
function clientCertificate(s: PgSettings): { cert?: string; key?: string } {
  if (s.sslinline) return { ...(s.sslcert ? { cert: s.sslcert } : {}), ...(s.sslkey ? { key: s.sslkey } : {}) };
  const home = homedir();
  const certPath = s.sslcert || join(home, '.postgresql', 'postgresql.crt');
  const cs = stat(certPath);
  if ('code' in cs) {
    if (cs.code === 'ENOENT') return {}; // lib/pq: os.IsNotExist → no client certificate
    throw failure('sslcert-unreadable', `cannot read sslcert ${certPath}: ${cs.code}`, 'fix the sslcert path in the connection string', { path: certPath });
  }
  const keyPath = s.sslkey || join(home, '.postgresql', 'postgresql.key');
  const ks = stat(keyPath);
  if ('code' in ks) throw failure('sslkey-unreadable', `cannot read sslkey ${keyPath}: ${ks.code}`, 'fix the sslkey path in the connection string', { path: keyPath });
  const perm = ks.mode & 0o777;
  // lib/pq ssl_permissions.go: at most 0600, or 0640 when root owns the file.
  if ((perm & ~0o600) !== 0 && !(ks.uid === 0 && (perm & ~0o640) === 0)) {
    throw failure('sslkey-invalid', `the sslkey file ${keyPath} is readable by others (mode ${perm.toString(8).padStart(4, '0')}): lib/pq refuses it ("pq: Private key has world access")`, `chmod 0600 ${keyPath} (Kubernetes: defaultMode: 0600 on the Secret volume)`, { path: keyPath });
  }
  return { cert: readFileFor('sslcert', certPath), key: readFileFor('sslkey', keyPath) };
}

/** The TLS Coder's driver would use, as tls.connect options and the checks to make after the handshake. */
export function tlsOptions(s: PgSettings): PgTls {
  const eff = effectiveSslMode(s);
  if ('unsupported' in eff) {
    throw failure('sslmode-unsupported', `Coder would refuse this connection string: ${eff.unsupported}`, 'use sslmode=disable, require, verify-ca or verify-full (lib/pq supports no other)');
  }
  let mode = eff.mode;
  // lib/pq: no TLS over a Unix socket.
  if (mode === 'disable' || s.host.startsWith('/')) return { sslmode: 'disable', ssl: false, verify: null };
  let rootcert = s.sslrootcert;
  if (mode === 'require' && rootcert && !s.sslinline) {
    // require + an sslrootcert that exists (os.Stat succeeds, a directory too) verifies like verify-ca;
    // one that does not exist is dropped.
    if ('code' in stat(rootcert)) rootcert = undefined;
    else mode = 'verify-ca';
  }
  const ssl: tls.ConnectionOptions = { ...clientCertificate(s), rejectUnauthorized: false, checkServerIdentity: () => undefined };
  if (rootcert) {
    const pem = s.sslinline ? rootcert : readFileFor('sslrootcert', rootcert);
    if (!/-----BEGIN CERTIFICATE-----/.test(pem)) {
      throw failure('sslrootcert-invalid', `the sslrootcert ${s.sslinline ? '(inline)' : rootcert} holds no PEM certificate (lib/pq: "couldn't parse pem in sslrootcert")`, 'give the CA certificate in PEM form (-----BEGIN CERTIFICATE-----)');
    }
    ssl.ca = pem;
  } else if (mode !== 'require') {
    const roots = systemRoots();
    if (roots) ssl.ca = roots;
  }
  if (mode === 'require') return { sslmode: mode, ssl, verify: { chain: false, hostname: null } };
  // The name lib/pq checks: verify-full always the host; verify-ca the SNI name, which is the host
  // unless it is an IP literal or sslsni is off.
  const sni = s.params['sslsni'] === undefined || s.params['sslsni'] === '' || s.params['sslsni'].startsWith('1');
  const hostname = mode === 'verify-full' ? s.host : sni && isIP(s.host) === 0 ? s.host : null;
  return { sslmode: mode, ssl, verify: { chain: true, hostname } };
}

/** The subjectAltNames of a certificate, for messages ("DNS:localhost, IP Address:127.0.0.1"). */
const altNames = (c: X509Certificate) => c.subjectAltName ?? 'none';

/** Go's x509 Verify, in its order, on the socket's peer certificate: undefined when it passes. */
export function verifyLikeGo(sock: tls.TLSSocket, v: TlsVerification, detail: Detail): ClassifiedError | undefined {
  if (!v.chain && v.hostname === null) return undefined;
  const peer = sock.getPeerCertificate(true);
  if (!peer || !peer.raw) return failure('tls-handshake', 'the server presented no certificate', 'check the server\'s ssl_cert_file', detail);
  const leaf = new X509Certificate(peer.raw);
  const now = Date.now();
  const from = Date.parse(leaf.validFrom);
  const to = Date.parse(leaf.validTo);
  if (now > to || now < from) {
    return failure('cert-expired', now > to ? `TLS verification failed: the server's certificate expired on ${new Date(to).toISOString().slice(0, 10)}` : `TLS verification failed: the server's certificate is not valid before ${new Date(from).toISOString().slice(0, 10)}`, 'renew the server\'s certificate (Coder verifies its dates under verify-ca and verify-full)', { ...detail, validTo: new Date(to).toISOString() });
  }
  if (v.hostname !== null) {
    const h = v.hostname.replace(/^\[|\]$/g, '');
    const ok = isIP(h) ? leaf.checkIP(h) !== undefined : leaf.checkHost(h.replace(/\.$/, ''), { subject: 'never', wildcards: true, partialWildcards: false, multiLabelWildcards: false, singleLabelSubdomains: false }) !== undefined;
    if (!ok) {
      return failure('cert-wrong-host', `TLS verification failed: the server's certificate is not valid for ${h} (its subjectAltNames: ${altNames(leaf)})`, 'connect with a name the certificate carries, or reissue it with this host in its subjectAltName (lib/pq checks the name under verify-full, and under verify-ca too for a host name: sslsni=0 or an IP address skips it)', detail);
    }
  }
  if (v.chain && !sock.authorized) {
    const code = String(sock.authorizationError ?? 'UNKNOWN');
    if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
      return failure('cert-expired', `TLS verification failed: a certificate in the server's chain is outside its validity dates (${code})`, 'renew the expired CA or intermediate certificate', { ...detail, tlsCode: code });
    }
    if (/ISSUER|SELF_SIGNED|UNABLE_TO_VERIFY|UNTRUSTED|CHAIN_TOO_LONG/.test(code)) {
      return failure('cert-unknown-ca', `TLS verification failed: the server's certificate is not signed by a CA this connection trusts (${code})`, 'give the server\'s CA with sslrootcert=<file> (Coder\'s pod reads that path: mount the CA there)', { ...detail, tlsCode: code });
    }
    return failure('cert-invalid', `TLS verification failed: ${code}`, 'check the server\'s certificate chain', { ...detail, tlsCode: code });
  }
  return undefined;
}

export function pgConfig(s: PgSettings, timeoutMs: number): { config: ClientConfig; sslmode: string; verify: TlsVerification | null } {
  const { sslmode, ssl, verify } = tlsOptions(s);
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
    // Settings built from values-file fields have no runtimeParams: only search_path, as before.
    ...(!s.runtimeParams && s.params['search_path'] ? { options: `-c search_path=${s.params['search_path']}` } : {}),
  };
  return { config, sslmode, verify };
}

/** lib/pq's startup parameters besides user and database (ours keep application_name=coder-preflight, so our sessions can be told apart). */
function startupParams(s: PgSettings): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(s.runtimeParams ?? {})) if (k !== 'application_name') out[k] = v;
  return out;
}

/** Does the server answer an SSLRequest with 'S'? (One message, no authentication.) */
export function serverOffersTls(host: string, port: number, timeoutMs = 2000): Promise<boolean | null> {
  return new Promise((resolve) => {
    const sock = netConnect({ host, port });
    const done = (v: boolean | null) => {
      sock.destroy();
      resolve(v);
    };
    sock.setTimeout(timeoutMs, () => done(null));
    sock.once('error', () => done(null));
    sock.once('connect', () => sock.write(Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f])));
    sock.once('data', (b) => done(b[0] === 0x53));
  });
}

export interface ClassifyContext {
  /** With TLS off and a 28000 "no encryption" refusal: whether the server offers TLS (null: unknown). */
  tlsOffered?: boolean | null;
  /**
   * 'query': the error answered a query on an open session, so it is about that query (a
   * permission, a missing object), never about the connection string's parameters or the login.
   */
  phase?: 'connect' | 'query';
}

/** SQLSTATEs that mean one thing at login (a parameter or credential refused) and another for a query. */
const LOGIN_ONLY = new Set(['42704', '22023', '42501', '55P02', '42602', '28000', '28P01', '3D000']);

/** Map a pg / socket / TLS error to a fact failure with its cause and a remediation. */
export function classifyPgError(e: unknown, s: PgSettings, c: ClassifyContext = {}): ClassifiedError {
  if (e instanceof ClassifiedError) return e;
  const err = e as { code?: string; message?: string; severity?: string };
  const code = err.code ?? '';
  const msg = String(err.message ?? e).split('\n')[0] ?? '';
  // A misread URL (the host part ended inside the password): its port and database are pieces of the password.
  const misread = s.syntax?.misread === true;
  const at = misread ? s.host : `${s.host}:${s.port}`;
  const detail = { code: code || null, host: s.host, port: misread ? null : s.port };
  const ssl = effectiveSslMode(s);
  const tlsOff = 'mode' in ssl && ssl.mode === 'disable';
  // pg refuses before answering the server's password request; lib/pq sends an empty password and
  // the server says 28P01. Either way the login fails: the settings give no password.
  if (/client password must be a string|password must be a string/i.test(msg) && s.password === undefined) {
    return failure('no-password', `the server asks user "${s.user}" for a password, but the settings give none`, 'put the password in the URL (URL-encoded), or give it with --password-file', detail);
  }
  // A statement_timeout or lock_timeout set on the role, the database or the server cancelled our
  // query: Coder's migrations run under the same setting (the real coder server stops with
  // "canceling statement due to statement timeout"). Not a network timeout.
  if (code === '57014' || code === '55P03') {
    const which = code === '55P03' || /lock timeout/i.test(msg) ? 'lock_timeout' : 'statement_timeout';
    return new ClassifiedError('invalid-config', `the server cancelled our query under its ${which} (${msg}): Coder's migrations run under the same ${which} and would be cancelled too`, `find where it is set (SELECT setting, source FROM pg_settings WHERE name = '${which}'; ALTER ROLE … / ALTER DATABASE … RESET ${which})`, detail);
  }
  if (c.phase === 'query' && LOGIN_ONLY.has(code)) return failure('server-error', msg, 'the server refused this query', detail);
  if (code === '28P01') return failure('auth-failed', `password authentication failed for user "${s.user}"`, 'check the user and password in the connection string (special characters must be URL-encoded); a role that does not exist gets this same answer from a server that asks for a password', detail);
  if (code === '28000' && /role .* does not exist/i.test(msg)) {
    return failure('role-missing', msg, `create the role first (CREATE ROLE ${s.user} LOGIN PASSWORD '…'), or fix the user in the connection string`, detail);
  }
  if (code === '28000' && /no encryption|SSL off/i.test(msg)) {
    if (tlsOff && c.tlsOffered === true) {
      return failure('tls-required-by-server', 'the server requires TLS, but the URL says sslmode=disable', 'use sslmode=require (or verify-full with sslrootcert=<CA file>): managed servers such as RDS on PostgreSQL 15+ refuse unencrypted connections', detail);
    }
    return failure('no-hba', msg, `the server's pg_hba.conf does not admit this user/host/TLS combination: add a matching line (host or hostssl) for user "${s.user}", database "${s.database}" and the address Coder's pods connect from`, detail);
  }
  if (code === '28000' && /certificate/i.test(msg)) {
    return failure('client-cert', msg, 'the server authenticates this role by client certificate (pg_hba.conf `cert`, or clientcert=verify-full): give sslcert and sslkey whose CN is the role name', detail);
  }
  if (code === '28000' && /pg_hba\.conf/i.test(msg)) {
    return failure('no-hba', msg, `the server's pg_hba.conf does not admit this user/host/TLS combination: add a matching line for user "${s.user}" and database "${s.database}", or change sslmode`, detail);
  }
  if (code === '28000') return failure('auth-failed', msg, 'the server refused this login: check the role and how pg_hba.conf authenticates it', detail);
  if (code === '3D000') return failure('db-missing', msg, `create the database first (CREATE DATABASE ${s.database} OWNER ${s.user}), or fix its name in the URL`, detail);
  if (code === '53300') return failure('too-many-connections', `PostgreSQL at ${at} is out of connection slots: ${msg}`, 'raise max_connections, or close idle clients (SELECT usename, application_name, state FROM pg_stat_activity shows them): Coder\'s replicas would be refused the same way', detail);
  if (['42704', '22023', '42501', '55P02', '42602'].includes(code)) {
    const name = /parameter "([^"]+)"/.exec(msg)?.[1];
    return failure('parameter-rejected', `the server refused a run-time parameter of the connection string: ${msg}`, `lib/pq sends every connection-string parameter it does not use itself to the server, which refuses the connection over it: remove ${name ?? 'it'} from the connection string`, { ...detail, ...(name ? { parameter: name } : {}) });
  }
  if (code === '57P03') return failure('server-starting', `the server is not accepting connections yet: ${msg}`, 'wait for PostgreSQL to finish starting or recovery', detail);
  if (/does not support SSL/i.test(msg)) {
    return failure('tls-not-offered', 'the server does not support TLS, but the connection requires it (lib/pq: "SSL is not enabled on the server")', 'Coder defaults to sslmode=require: enable TLS on the server, or add ?sslmode=disable to the URL if the network is trusted', detail);
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME' || code === 'EAI_FAIL') return failure('dns', `cannot resolve ${s.host} (${code})`, 'check the host name; in-cluster names (*.svc.cluster.local) do not resolve outside the cluster', detail);
  if (code === 'ECONNREFUSED') return failure('refused', `connection refused by ${at}`, 'is PostgreSQL running and listening on that address (listen_addresses, port, firewall)?', detail);
  if (code === 'ETIMEDOUT' || /timeout|timed out/i.test(msg)) return failure('timeout', `no answer from ${at} in time`, 'check routing and firewalls between here and the database (and add connect_timeout=10 to the URL: without it lib/pq waits as long as the OS does)', detail);
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return failure('refused', `${code} talking to ${at}`, 'check routing and firewalls between here and the database', detail);
  if (code === 'ECONNRESET' || code === 'EPIPE' || /terminated unexpectedly|Connection terminated/i.test(msg)) {
    return failure('connection-closed', `the server at ${at} closed the connection (${code || msg})`, 'is it a PostgreSQL server (not a proxy speaking another protocol)? Its log says why it hung up', detail);
  }
  if (/certificate|self[- ]signed|altname|hostname\/ip|CERT_|UNABLE_TO_VERIFY/i.test(`${code} ${msg}`)) {
    return failure('cert-invalid', `TLS verification failed: ${msg}`, 'give the server\'s CA with sslrootcert=<file>, or use a certificate whose name matches the host (verify-full)', detail);
  }
  if (/tls|ssl/i.test(`${code} ${msg}`)) return failure('tls-handshake', `TLS handshake failed: ${msg}`, 'check the server\'s TLS settings and sslmode', detail);
  if (err.severity) return failure('server-error', msg, 'the server refused the connection: its log says why', detail);
  return failure('other', msg || 'connection failed', 'run again with --debug for details', detail);
}

/** Open one connection (collectors share one through `pgSession`). */
export async function connect(s: PgSettings, timeoutMs: number, signal: AbortSignal): Promise<{ client: Client; sslmode: string; connectMs: number }> {
  const { config, sslmode, verify } = pgConfig(s, timeoutMs);
  const pg = (await import('pg')).default;
  const client = new pg.Client(config);
  client.on('error', () => {}); // a server dying mid-run surfaces on the next query, not as a crash
  // lib/pq's run-time parameters go in the startup packet, as lib/pq sends them.
  const extra = startupParams(s);
  const c = client as unknown as { getStartupConf?: () => Record<string, string>; connection?: { stream?: { destroy(e?: Error): void }; on(ev: string, f: () => void): void } };
  if (Object.keys(extra).length && typeof c.getStartupConf === 'function') {
    const base = c.getStartupConf.bind(client);
    c.getStartupConf = () => ({ ...extra, ...base() });
  }
  // end() does not interrupt a connect in progress: destroy the socket so connect() settles now.
  const onAbort = () => c.connection?.stream?.destroy(new Error('aborted'));
  signal.addEventListener('abort', onAbort, { once: true });
  // Verify the certificate after the handshake, in Go's order (see tlsOptions).
  if (verify && (verify.chain || verify.hostname !== null)) {
    c.connection?.on('sslconnect', () => {
      const sock = c.connection?.stream as unknown as tls.TLSSocket;
      sock.once('secureConnect', () => {
        const bad = verifyLikeGo(sock, verify, { code: null, host: s.host, port: s.port });
        if (bad) sock.destroy(bad);
      });
    });
  }
  const started = performance.now();
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => {});
    const err = e as { code?: string; message?: string };
    const ctx: ClassifyContext = {};
    if (err.code === '28000' && /no encryption|SSL off/i.test(err.message ?? '') && !config.ssl) ctx.tlsOffered = await serverOffersTls(s.host, s.port);
    throw classifyPgError(e, s, ctx);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  return { client, sslmode, connectMs: Math.round((performance.now() - started) * 10) / 10 };
}
