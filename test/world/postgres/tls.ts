// A small PKI for one PostgreSQL of the test world, made with the system's openssl: a CA, a server
// certificate (by default for 127.0.0.1/localhost; other kinds on request: expired, expiring soon,
// for another host, CN only), client certificates whose CN is the role name (mTLS), and a second CA
// that signed nothing the server trusts, with client certificates of its own (rejected by the server).
import { chownSync } from 'node:fs';
import { join } from 'node:path';
import type { Account } from '../proc.ts';
import { DAY_MS, makeCa, openssl, sign } from '../pki.ts';

/**
 * Which server certificate the server presents; every kind is signed by the instance's CA (ca.crt).
 * - 'good' (default): CN=localhost, SANs IP:127.0.0.1 and DNS:localhost, valid for 10 years.
 * - 'expired': the same names, valid from 400 days ago until 2 days ago (EXPIRED_DAYS_AGO).
 * - 'expiring-soon': the same names, valid until EXPIRING_SOON_DAYS (10) days from now.
 * - 'wrong-host': CN and the only SAN are DNS:db.wrong-host.invalid (WRONG_HOST_NAME): nothing for
 *   127.0.0.1 or localhost, so verify-full fails there and verify-ca / require connect.
 * - 'cn-only': CN=localhost and no subjectAltName at all. Go's crypto/tls (Coder's lib/pq) ignores
 *   the CN, so verify-full to host localhost fails for Coder; Node's tls falls back to the CN and
 *   passes (for an IP host neither uses the CN).
 */
export type PgServerCertKind = 'good' | 'expired' | 'expiring-soon' | 'wrong-host' | 'cn-only';
export const PG_SERVER_CERT_KINDS: readonly PgServerCertKind[] = ['good', 'expired', 'expiring-soon', 'wrong-host', 'cn-only'];
export const WRONG_HOST_NAME = 'db.wrong-host.invalid';
export const EXPIRING_SOON_DAYS = 10;
export const EXPIRED_DAYS_AGO = 2;

export interface PgTlsFiles {
  /** CA that signed the server and client certificates: give it to clients as sslrootcert. */
  caCert: string;
  serverCert: string;
  serverKey: string;
  /** What kind of certificate serverCert is. */
  serverCertKind: PgServerCertKind;
  /** serverCert's notAfter, ISO 8601. */
  serverCertNotAfter: string;
  /** A second CA that signed nothing this server trusts or presents (as sslrootcert: verification fails). */
  otherCaCert: string;
  /** Client certificate/key for the `coder` role (CN=coder); only with tls 'mtls'. */
  clientCert?: string;
  clientKey?: string;
  /** Client certificates per role name (CN=<role>); only with tls 'mtls'. */
  clients?: Record<string, { cert: string; key: string }>;
  /**
   * Client certificates per role name (CN=<role>) signed by otherCaCert, which the server does not
   * trust: the server aborts the TLS handshake (alert "unknown ca"). Only with tls 'mtls'.
   */
  untrustedClients?: Record<string, { cert: string; key: string }>;
}

export interface PgPkiOptions {
  /** Default 'good'. */
  serverCert?: PgServerCertKind;
}

const SERVER_EXT = 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n';
const CLIENT_EXT = 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n';

function serverCertSpec(kind: PgServerCertKind, now: Date): { subject: string; ext: string; validity?: { from: Date; to: Date } } {
  const localNames = `${SERVER_EXT}subjectAltName=IP:127.0.0.1,DNS:localhost\n`;
  switch (kind) {
    case 'good':
      return { subject: '/CN=localhost', ext: localNames };
    case 'expired':
      return { subject: '/CN=localhost', ext: localNames, validity: { from: new Date(now.getTime() - 400 * DAY_MS), to: new Date(now.getTime() - EXPIRED_DAYS_AGO * DAY_MS) } };
    case 'expiring-soon':
      return { subject: '/CN=localhost', ext: localNames, validity: { from: new Date(now.getTime() - DAY_MS), to: new Date(now.getTime() + EXPIRING_SOON_DAYS * DAY_MS) } };
    case 'wrong-host':
      return { subject: `/CN=${WRONG_HOST_NAME}`, ext: `${SERVER_EXT}subjectAltName=DNS:${WRONG_HOST_NAME}\n` };
    case 'cn-only':
      return { subject: '/CN=localhost', ext: SERVER_EXT };
  }
}

/**
 * Write ca.crt/ca.key, other-ca.crt/other-ca.key, server.crt/server.key (owned by `serverAccount`,
 * mode 0600, as PostgreSQL demands; of the kind opts.serverCert asks for) and, for each name in
 * `clientRoles`, <role>.crt/<role>.key with CN=<role> signed by ca, and untrusted-<role>.* signed
 * by other-ca.
 */
export function makePgPki(dir: string, serverAccount: Account | undefined, clientRoles: string[], opts: PgPkiOptions = {}): PgTlsFiles {
  const kind = opts.serverCert ?? 'good';
  if (!PG_SERVER_CERT_KINDS.includes(kind)) throw new Error(`unknown server certificate kind "${kind}" (one of ${PG_SERVER_CERT_KINDS.join(', ')})`);
  makeCa(dir, 'ca', 'coder-preflight test world CA');
  makeCa(dir, 'other-ca', 'coder-preflight test world other CA (trusted by nobody)');
  const spec = serverCertSpec(kind, new Date());
  const server = sign(dir, 'server', spec.subject, spec.ext, 'ca', spec.validity);
  if (serverAccount && (process.getuid?.() ?? 1) === 0) chownSync(server.key, serverAccount.uid, serverAccount.gid);
  const notAfter = openssl(['x509', '-in', server.cert, '-noout', '-enddate'], dir).trim().replace(/^notAfter=/, '');
  const files: PgTlsFiles = {
    caCert: join(dir, 'ca.crt'),
    serverCert: server.cert,
    serverKey: server.key,
    serverCertKind: kind,
    serverCertNotAfter: new Date(notAfter).toISOString(),
    otherCaCert: join(dir, 'other-ca.crt'),
  };
  if (clientRoles.length > 0) {
    files.clients = {};
    files.untrustedClients = {};
    for (const role of clientRoles) {
      files.clients[role] = sign(dir, `client-${role}`, `/CN=${role}`, CLIENT_EXT);
      files.untrustedClients[role] = sign(dir, `untrusted-client-${role}`, `/CN=${role}`, CLIENT_EXT, 'other-ca');
    }
    const coder = files.clients['coder'];
    if (coder) {
      files.clientCert = coder.cert;
      files.clientKey = coder.key;
    }
  }
  return files;
}
