// A throwaway PKI for the test world's TLS servers (PostgreSQL, the access URL's front door, a
// client certificate signed by the world's kube CA): openssl with EC P-256 keys; certificates with
// exact dates (in the past too) through `openssl ca`, since OpenSSL 3.0's `x509 -req` has only -days.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
export const DAY_MS = 86_400_000;

export function openssl(args: string[], cwd: string): string {
  try {
    return execFileSync('openssl', args, { cwd, stdio: 'pipe', encoding: 'utf8' });
  } catch (e) {
    const err = e as { stderr?: Buffer | string; message: string };
    throw new Error(`openssl ${args[0]} failed: ${err.stderr?.toString().trim() || err.message}`);
  }
}

export function makeCa(dir: string, name: string, cn: string): void {
  openssl(
    ['req', '-x509', '-new', ...KEY, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '3650', '-sha256',
      '-subj', `/CN=${cn}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    dir,
  );
  chmodSync(join(dir, `${name}.key`), 0o600);
}

/** openssl ca's date form, YYYYMMDDHHMMSSZ (UTC). */
export const caDate = (d: Date) => d.toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z');

/**
 * Sign a new key's CSR with `ca` (a path stem, relative to `dir` or absolute: <ca>.crt and <ca>.key). With `validity` the dates are set
 * exactly with `openssl ca -startdate/-enddate` (OpenSSL 3.0's `x509 -req` has only -days, which
 * cannot go negative; -not_before/-not_after came in 3.4); otherwise `x509 -req -days 3650`.
 */
export function sign(dir: string, name: string, subject: string, extensions: string, ca = 'ca', validity?: { from: Date; to: Date }): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, extensions);
  openssl(['req', '-new', ...KEY, '-keyout', key, '-out', csr, '-subj', subject], dir);
  const serial = randomBytes(8).toString('hex');
  if (!validity) {
    openssl(
      ['x509', '-req', '-in', csr, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-set_serial', `0x${serial}`,
        '-days', '3650', '-sha256', '-extfile', ext, '-out', cert],
      dir,
    );
  } else {
    // openssl ca wants a database, a serial file and a policy; a throwaway one per certificate.
    const db = join(dir, `${name}.ca-db`);
    mkdirSync(db, { recursive: true });
    writeFileSync(join(db, 'index.txt'), '');
    writeFileSync(join(db, 'serial'), `${serial}\n`);
    const cnf = join(db, 'ca.cnf');
    writeFileSync(
      cnf,
      ['[ca]', 'default_ca = world', '[world]', `database = ${join(db, 'index.txt')}`, `new_certs_dir = ${db}`, `serial = ${join(db, 'serial')}`,
        'default_md = sha256', 'policy = any', 'unique_subject = no', 'copy_extensions = none', '[any]', 'organizationName = optional', 'commonName = supplied', ''].join('\n'),
    );
    openssl(
      ['ca', '-batch', '-notext', '-config', cnf, '-cert', `${ca}.crt`, '-keyfile', `${ca}.key`, '-in', csr, '-out', cert,
        '-startdate', caDate(validity.from), '-enddate', caDate(validity.to), '-extfile', ext],
      dir,
    );
  }
  chmodSync(key, 0o600);
  return { cert, key };
}
