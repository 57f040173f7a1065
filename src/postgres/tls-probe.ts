// Two small looks at a PostgreSQL server on connections of their own, for what the shared session
// cannot show:
// - probeTls: PostgreSQL's SSLRequest (8 bytes: length 8, code 80877103); on 'S' a TLS handshake
//   that verifies nothing (rejectUnauthorized false), so the certificate is seen even when the
//   connection Coder would make refuses it (expired, wrong host, unknown CA). Closed right after
//   the handshake: the server logs nothing for a client that leaves before its startup packet. It
//   presents no client certificate (PostgreSQL asks for one but does not require it in the
//   handshake), so a server that would reject Coder's logs nothing for the probe either.
// - probeAuthMethod: a plain StartupMessage for the role and database, and the server's first
//   answer (AuthenticationRequest: trust, cleartext password, MD5, SASL), then close — the server
//   logs nothing for a client that leaves at the password prompt (psql does the same).
import { once } from 'node:events';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { describeChain, type TlsCertificate } from './certificates.ts';

const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

export type TlsProbe =
  | { offered: false; answer: string }
  | {
      offered: true;
      protocol: string | null;
      cipher: string | null;
      chain: TlsCertificate[];
      /** OpenSSL's verdict against `ca` (Node's bundled roots without one). */
      authorized: boolean;
      authorizationError: string | null;
    };

export type AuthMethod = 'trust' | 'password' | 'md5' | 'scram-sha-256' | 'other';

interface Target {
  host: string;
  port: number;
}

/** Run `work` on a fresh TCP connection, destroyed when done, on timeout or on abort. */
async function onConnection<T>(t: Target, timeoutMs: number, signal: AbortSignal, work: (s: Socket, done: (s2?: Socket) => void) => Promise<T>): Promise<T> {
  const sock = netConnect({ host: t.host, port: t.port });
  let extra: Socket | undefined;
  const kill = (why: string) => {
    const e = new Error(why);
    extra?.destroy(e);
    sock.destroy(e);
  };
  const timer = setTimeout(() => kill(`no answer from ${t.host}:${t.port} within ${timeoutMs} ms`), timeoutMs);
  timer.unref();
  const onAbort = () => kill('aborted');
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await once(sock, 'connect');
    return await work(sock, (s2) => (extra = s2));
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
    extra?.destroy();
    sock.destroy();
  }
}

/** Read from `sock` until `enough(buffered)` says how many bytes it needs are there. */
async function readUntil(sock: Socket, enough: (b: Buffer) => boolean): Promise<Buffer> {
  let buf = Buffer.alloc(0);
  return new Promise<Buffer>((resolve, reject) => {
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (enough(buf)) {
        cleanup();
        resolve(buf);
      }
    };
    const onEnd = () => {
      cleanup();
      reject(new Error(`the server closed the connection after ${buf.length} bytes`));
    };
    const onError = (e: Error) => {
      cleanup();
      reject(e);
    };
    const cleanup = () => {
      sock.off('data', onData);
      sock.off('end', onEnd);
      sock.off('error', onError);
      sock.pause();
    };
    sock.on('data', onData);
    sock.on('end', onEnd);
    sock.on('error', onError);
    sock.resume();
  });
}

/** SSLRequest, then (on 'S') a handshake that records what the server presents and verifies nothing. */
export function probeTls(t: Target, opts: Pick<ConnectionOptions, 'ca'>, timeoutMs: number, signal: AbortSignal): Promise<TlsProbe> {
  return onConnection(t, timeoutMs, signal, async (sock, keep) => {
    sock.write(SSL_REQUEST);
    const answer = String.fromCharCode((await readUntil(sock, (b) => b.length >= 1))[0]!);
    if (answer !== 'S') return { offered: false, answer };
    const secure: TLSSocket = tlsConnect({
      socket: sock,
      ...(opts.ca ? { ca: opts.ca } : {}),
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
      // SNI as lib/pq sends it: the host name, never an IP literal.
      ...(isIP(t.host) === 0 ? { servername: t.host } : {}),
    });
    keep(secure);
    // Whatever the server says after the handshake is not this probe's question.
    secure.on('error', () => {});
    await once(secure, 'secureConnect');
    const cipher = secure.getCipher();
    const result: TlsProbe = {
      offered: true,
      protocol: secure.getProtocol(),
      cipher: cipher?.standardName ?? cipher?.name ?? null,
      chain: describeChain(secure.getPeerCertificate(true)),
      authorized: secure.authorized,
      authorizationError: secure.authorizationError ? String(secure.authorizationError) : null,
    };
    secure.end();
    return result;
  });
}

function startupMessage(user: string, database: string): Buffer {
  const body = Buffer.concat([
    Buffer.from([0, 3, 0, 0]), // protocol 3.0
    ...[['user', user], ['database', database], ['application_name', 'coder-preflight']].flatMap(([k, v]) => [Buffer.from(`${k}\0${v}\0`, 'utf8')]),
    Buffer.from([0]),
  ]);
  const len = Buffer.alloc(4);
  len.writeInt32BE(body.length + 4);
  return Buffer.concat([len, body]);
}

/** The server's first answer to a plain (unencrypted) StartupMessage for this role and database. */
export function probeAuthMethod(t: Target & { user: string; database: string }, timeoutMs: number, signal: AbortSignal): Promise<{ method: AuthMethod } | { error: string }> {
  return onConnection(t, timeoutMs, signal, async (sock) => {
    sock.write(startupMessage(t.user, t.database));
    // A message: type byte, int32 length (itself included), body.
    const msg = await readUntil(sock, (b) => b.length >= 5 && b.length >= 1 + b.readInt32BE(1));
    const type = String.fromCharCode(msg[0]!);
    const body = msg.subarray(5, 1 + msg.readInt32BE(1));
    if (type === 'E') {
      // Fields: a code byte and a C string each; M is the message.
      const fields = body.toString('utf8').split('\0');
      const m = fields.find((f) => f.startsWith('M'));
      return { error: m ? m.slice(1) : 'the server refused the startup packet' };
    }
    if (type !== 'R' || body.length < 4) return { error: `unexpected answer '${type}' to the startup packet` };
    const code = body.readInt32BE(0);
    if (code === 0) return { method: 'trust' };
    if (code === 3) return { method: 'password' };
    if (code === 5) return { method: 'md5' };
    if (code === 10) return { method: body.subarray(4).toString('utf8').split('\0').includes('SCRAM-SHA-256') ? 'scram-sha-256' : 'other' };
    return { method: 'other' };
  });
}
