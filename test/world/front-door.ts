// A front door of our own, on loopback: what stands in front of Coder (a load balancer, an
// Ingress, an authenticating proxy) played by node:https servers, one per variant, each with a
// certificate of a throwaway PKI made with the system's openssl — a root CA, an intermediate CA
// (pathlen 0) and leaves it signed:
//   good             the access host and the wildcard, served with the intermediate
//   no-intermediate  the same names, served without the intermediate (AIA names where it would be)
//   no-wildcard      only the access host, with the intermediate
//   expired          valid from 400 days ago until 2 days ago (openssl ca -startdate/-enddate:
//                    OpenSSL 3.0's x509 -req cannot go back in time)
//   expiring         valid for 10 more days
//   self-signed      a leaf that signed itself
// and behaviours: 'coder' (/healthz OK, /api/v2/buildinfo, the agent binary at /bin/…),
// 'login-page' (/healthz exempt, everything else an HTML login page with 200), 'sso-redirect'
// (everything 302 to a login host), 'not-installed' (an Ingress default backend: 404 for all),
// 'plain-http' (no TLS at all). Nothing here talks to anything but loopback.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DAY_MS, KEY, makeCa, openssl, sign } from './pki.ts';

/** The access host every certificate is for (its DNS answers come from test/world/dns.ts). */
export const FRONT_DOOR_HOST = 'coder.preflight.test';
/** The wildcard access URL the good certificates cover. */
export const FRONT_DOOR_WILDCARD = '*.apps.preflight.test';
export const EXPIRING_DAYS = 10;
export const EXPIRED_DAYS_AGO = 2;
/** What the 'coder' behaviour serves at /api/v2/buildinfo. */
export const FRONT_DOOR_CODER_VERSION = 'v2.30.0+preflight';
/** Where a login proxy sends everyone (never contacted: nothing resolves it). */
export const LOGIN_HOST = 'sso.preflight.test';

export type CertKind = 'good' | 'no-intermediate' | 'no-wildcard' | 'expired' | 'expiring' | 'self-signed';
export type Behaviour = 'coder' | 'login-page' | 'sso-redirect' | 'not-installed';

export interface FrontDoorPki {
  dir: string;
  /** The root CA alone (give it as --ca-bundle). */
  rootCa: string;
  /** The intermediate alone. */
  intermediateCa: string;
  /** Root and intermediate together. */
  bundle: string;
  certs: Record<CertKind, { cert: string; key: string; chain: string; notAfter: string }>;
}

const LEAF_EXT = 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n';
/** Where a browser would fetch the intermediate from (port 9, discard: never fetched by anything here). */
const AIA = 'authorityInfoAccess=caIssuers;URI:http://127.0.0.1:9/front-door-intermediate.crt\n';

export function makeFrontDoorPki(dir = mkdtempSync(join(tmpdir(), 'cp-front-door-'))): FrontDoorPki {
  const now = Date.now();
  makeCa(dir, 'root', 'coder-preflight front door root CA');
  sign(dir, 'intermediate', '/CN=coder-preflight front door intermediate CA', 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n', 'root', { from: new Date(now - DAY_MS), to: new Date(now + 3650 * DAY_MS) });
  const both = `DNS:${FRONT_DOOR_HOST},DNS:${FRONT_DOOR_WILDCARD}`;
  const specs: Record<CertKind, { san: string; from: number; to: number }> = {
    good: { san: both, from: now - DAY_MS, to: now + 825 * DAY_MS },
    'no-intermediate': { san: both, from: now - DAY_MS, to: now + 825 * DAY_MS },
    'no-wildcard': { san: `DNS:${FRONT_DOOR_HOST}`, from: now - DAY_MS, to: now + 825 * DAY_MS },
    expired: { san: both, from: now - 400 * DAY_MS, to: now - EXPIRED_DAYS_AGO * DAY_MS },
    expiring: { san: both, from: now - DAY_MS, to: now + EXPIRING_DAYS * DAY_MS },
    'self-signed': { san: both, from: now - DAY_MS, to: now + 825 * DAY_MS },
  };
  const intermediate = readFileSync(join(dir, 'intermediate.crt'), 'utf8');
  const certs = {} as FrontDoorPki['certs'];
  for (const [kind, s] of Object.entries(specs) as [CertKind, (typeof specs)[CertKind]][]) {
    let files: { cert: string; key: string };
    if (kind === 'self-signed') {
      openssl(['req', '-x509', '-new', ...KEY, '-keyout', 'self-signed.key', '-out', 'self-signed.crt', '-days', '825', '-sha256', '-subj', `/CN=${FRONT_DOOR_HOST}`,
        '-addext', `subjectAltName=${s.san}`, '-addext', 'extendedKeyUsage=serverAuth'], dir);
      files = { cert: join(dir, 'self-signed.crt'), key: join(dir, 'self-signed.key') };
    } else {
      files = sign(dir, `leaf-${kind}`, `/CN=${FRONT_DOOR_HOST}`, `${LEAF_EXT}${AIA}subjectAltName=${s.san}\n`, 'intermediate', { from: new Date(s.from), to: new Date(s.to) });
    }
    const leaf = readFileSync(files.cert, 'utf8');
    const chain = join(dir, `${kind}.chain.pem`);
    writeFileSync(chain, kind === 'no-intermediate' || kind === 'self-signed' ? leaf : `${leaf}${intermediate}`);
    const notAfter = openssl(['x509', '-in', files.cert, '-noout', '-enddate'], dir).trim().replace(/^notAfter=/, '');
    certs[kind] = { ...files, chain, notAfter: new Date(notAfter).toISOString() };
  }
  const bundle = join(dir, 'bundle.pem');
  writeFileSync(bundle, `${readFileSync(join(dir, 'root.crt'), 'utf8')}${intermediate}`);
  return { dir, rootCa: join(dir, 'root.crt'), intermediateCa: join(dir, 'intermediate.crt'), bundle, certs };
}

/** A few bytes that start like the Linux agent binary (ELF magic), for the 'coder' behaviour. */
export const AGENT_BYTES = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(4088, 0)]);
const LOGIN_HTML = '<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body><form action="/oauth2/start">Sign in to continue</form></body></html>\n';

function handler(behaviour: Behaviour): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const send = (status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}) => {
      res.writeHead(status, { 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(body)), ...extra });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (behaviour === 'not-installed') return send(404, 'text/plain', 'default backend - 404');
    if (behaviour === 'sso-redirect') return send(302, 'text/html', '<a href="/oauth2/start">Found</a>', { Location: `https://${LOGIN_HOST}/oauth2/start?rd=${encodeURIComponent(path)}` });
    if (path === '/healthz') return send(200, 'text/plain; charset=utf-8', 'OK');
    if (behaviour === 'login-page') return send(200, 'text/html; charset=utf-8', LOGIN_HTML);
    if (path === '/api/v2/buildinfo') return send(200, 'application/json', JSON.stringify({ version: FRONT_DOOR_CODER_VERSION, external_url: 'https://github.com/coder/coder' }));
    if (path === '/bin/coder-linux-amd64') {
      const range = /^bytes=(\d+)-(\d+)$/.exec(String(req.headers.range ?? ''));
      if (range) {
        const part = AGENT_BYTES.subarray(Number(range[1]), Number(range[2]) + 1);
        return send(206, 'application/octet-stream', part, { 'Content-Range': `bytes ${range[1]}-${range[2]}/${AGENT_BYTES.length}` });
      }
      return send(200, 'application/octet-stream', AGENT_BYTES, { ETag: '"preflight"' });
    }
    if (path === '/') return send(307, 'text/html', '', { Location: '/login' });
    return send(404, 'text/plain', 'not found');
  };
}

export interface FrontDoorServer {
  port: number;
  address: string;
  url: string;
  close(): Promise<void>;
}

/** Where a front door listens: a loopback address (default 127.0.0.1) and port (default: any free one), and the host its URL names. */
export interface Listen {
  address?: string;
  port?: number;
  host?: string;
}

function listen(server: Server, scheme: 'http' | 'https', at: Listen): Promise<FrontDoorServer> {
  const address = at.address ?? '127.0.0.1';
  if (!/^127\./.test(address)) throw new Error(`the front door listens on loopback only, not ${address}`);
  const host = at.host ?? FRONT_DOOR_HOST;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port ?? 0, address, () => {
      const port = (server.address() as { port: number }).port;
      const defaultPort = port === (scheme === 'https' ? 443 : 80);
      resolve({
        port,
        address,
        url: `${scheme}://${host}${defaultPort ? '' : `:${port}`}`,
        close: () => new Promise<void>((r) => {
          server.closeAllConnections?.();
          server.close(() => r());
        }),
      });
    });
  });
}

/** An HTTPS server on loopback presenting `kind` with `behaviour`. */
export function startFrontDoor(pki: FrontDoorPki, kind: CertKind, behaviour: Behaviour = 'coder', at: Listen = {}): Promise<FrontDoorServer> {
  const c = pki.certs[kind];
  return listen(createHttpsServer({ cert: readFileSync(c.chain), key: readFileSync(c.key) }, handler(behaviour)), 'https', at);
}

/** The same behaviours over plain HTTP (an http:// access URL, or https:// pointed at a port that speaks HTTP). */
export function startPlainFrontDoor(behaviour: Behaviour = 'coder', at: Listen = {}): Promise<FrontDoorServer> {
  return listen(createHttpServer(handler(behaviour)), 'http', at);
}

/** A loopback port nothing listens on (bound, then closed: connecting is refused). */
export async function closedPort(): Promise<number> {
  const s = createTcpServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/**
 * reach() (src/access/reach.ts) in a child process whose resolver is the world's DNS (and whose
 * /etc/hosts is `hosts`), so that no lookup leaves this machine; its result as JSON.
 */
export async function reachInWorld(args: import('../../src/access/types.ts').ReachArgs, resolv: string, hosts: string): Promise<import('../../src/access/types.ts').ReachResult> {
  const { execFile } = await import('node:child_process');
  const { runWithResolver } = await import('./dns.ts');
  const reachTs = new URL('../../src/access/reach.ts', import.meta.url).pathname;
  const script = `const { reach } = await import(${JSON.stringify(reachTs)}); process.stdout.write(JSON.stringify(await reach(JSON.parse(process.argv[1]))));`;
  const [cmd, argv] = runWithResolver(resolv, hosts, process.execPath, ['--input-type=module', '-e', script, JSON.stringify(args)]);
  return new Promise((resolve, reject) => {
    execFile(cmd, argv, { timeout: 60_000, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`reach failed: ${err.message}\n${stderr}`));
      try {
        resolve(JSON.parse(stdout));
      } catch {
        reject(new Error(`reach printed no JSON:\n${stdout}\n${stderr}`));
      }
    });
  });
}
