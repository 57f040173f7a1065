// A small PKI for one PostgreSQL of the test world, made with the system's openssl: a CA, a server
// certificate for 127.0.0.1/localhost, and client certificates whose CN is the role name (mTLS).
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Account } from '../proc.ts';

export interface PgTlsFiles {
  /** CA that signed the server and client certificates: give it to clients as sslrootcert. */
  caCert: string;
  serverCert: string;
  serverKey: string;
  /** Client certificate/key for the `coder` role (CN=coder); only with tls 'mtls'. */
  clientCert?: string;
  clientKey?: string;
  /** Client certificates per role name (CN=<role>); only with tls 'mtls'. */
  clients?: Record<string, { cert: string; key: string }>;
}

const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: 'pipe' });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`openssl ${args[0]} failed: ${err.stderr?.toString().trim() || err.message}`);
  }
}

function sign(dir: string, name: string, subject: string, extensions: string): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, extensions);
  openssl(['req', '-new', ...KEY, '-keyout', key, '-out', csr, '-subj', subject], dir);
  openssl(
    ['x509', '-req', '-in', csr, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', `0x${randomBytes(8).toString('hex')}`,
      '-days', '3650', '-sha256', '-extfile', ext, '-out', cert],
    dir,
  );
  chmodSync(key, 0o600);
  return { cert, key };
}

/**
 * Write ca.crt/ca.key, server.crt/server.key (owned by `serverAccount`, mode 0600, as PostgreSQL
 * demands) and, for each name in `clientRoles`, <role>.crt/<role>.key with CN=<role>.
 */
export function makePgPki(dir: string, serverAccount: Account | undefined, clientRoles: string[]): PgTlsFiles {
  openssl(
    ['req', '-x509', '-new', ...KEY, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '3650', '-sha256',
      '-subj', '/CN=coder-preflight test world CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    dir,
  );
  chmodSync(join(dir, 'ca.key'), 0o600);
  const server = sign(
    dir,
    'server',
    '/CN=localhost',
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n',
  );
  if (serverAccount && (process.getuid?.() ?? 1) === 0) chownSync(server.key, serverAccount.uid, serverAccount.gid);
  const files: PgTlsFiles = { caCert: join(dir, 'ca.crt'), serverCert: server.cert, serverKey: server.key };
  if (clientRoles.length > 0) {
    files.clients = {};
    for (const role of clientRoles) {
      files.clients[role] = sign(
        dir,
        `client-${role}`,
        `/CN=${role}`,
        'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n',
      );
    }
    const coder = files.clients['coder'];
    if (coder) {
      files.clientCert = coder.cert;
      files.clientKey = coder.key;
    }
  }
  return files;
}
