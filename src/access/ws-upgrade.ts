// One WebSocket upgrade through the real path (RFC 6455): an HTTP/1.1 GET with Upgrade: websocket,
// Connection: Upgrade, a random Sec-WebSocket-Key, then — on 101 with the right
// Sec-WebSocket-Accept — a frame must come through the upgraded connection: an echo backend sends
// back a masked text frame with a random nonce; Coder's /derp (DERP over WebSocket, subprotocol
// "derp": coder/coder tailnet/derp.go WithWebsocketSupport) sends its server-key frame first.
// A proxy that drops the hop-by-hop Upgrade/Connection headers or speaks HTTP/1.0 upstream turns
// the request into a plain GET: Coder's DERP handler then answers 426 "DERP requires connection
// upgrade" (tailscale derp/derphttp Handler), an echo backend whatever it answers a plain GET.
// TLS is not verified here (access-url.tls judges the certificate). Only node: imports.
import { createHash, randomBytes } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import * as tls from 'node:tls';

export type UpgradeOutcome = 'upgraded' | 'not-upgraded' | 'bad-accept' | 'no-frame' | 'closed' | 'timeout' | 'connect-failed' | 'tls-failed' | 'not-http';

export interface UpgradeResult {
  url: string;
  path: string;
  /** echo: the frame sent must come back; derp: any frame from the server. */
  expect: 'echo' | 'derp';
  outcome: UpgradeOutcome;
  /** The status line's version and code ("HTTP/1.1", 101). */
  httpVersion?: string;
  status?: number;
  reason?: string;
  /** A few response headers (server, via, connection, upgrade, sec-websocket-protocol). */
  headers: Record<string, string>;
  bodyStart?: string;
  /** The frame came back with our nonce (echo) or a frame arrived (derp). */
  frame?: boolean;
  error?: { code: string; message: string };
  ms: { connect?: number; upgrade?: number; frame?: number };
}

export interface UpgradeArgs {
  url: string;
  /** Default: the URL's path. */
  path?: string;
  expect: 'echo' | 'derp';
  timeoutMs: number;
  userAgent: string;
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const KEEP = ['server', 'via', 'connection', 'upgrade', 'sec-websocket-protocol', 'content-type'];
const ms = (t0: number) => Math.round((performance.now() - t0) * 10) / 10;

/** A masked client text frame (RFC 6455 §5.2), payload < 126 bytes. */
export function textFrame(payload: string): Buffer {
  const data = Buffer.from(payload);
  const mask = randomBytes(4);
  const out = Buffer.alloc(6 + data.length);
  out[0] = 0x81;
  out[1] = 0x80 | data.length;
  mask.copy(out, 2);
  for (let i = 0; i < data.length; i++) out[6 + i] = data[i]! ^ mask[i % 4]!;
  return out;
}

/** The first complete frame in `b` (server frames are unmasked), or undefined. */
export function readFrame(b: Buffer): { opcode: number; payload: Buffer } | undefined {
  if (b.length < 2) return undefined;
  let len = b[1]! & 0x7f;
  let off = 2;
  if (len === 126) {
    if (b.length < 4) return undefined;
    len = b.readUInt16BE(2);
    off = 4;
  } else if (len === 127) {
    if (b.length < 10) return undefined;
    len = Number(b.readBigUInt64BE(2));
    off = 10;
  }
  const masked = (b[1]! & 0x80) !== 0;
  const maskOff = off;
  if (masked) off += 4;
  if (b.length < off + len) return undefined;
  const payload = Buffer.from(b.subarray(off, off + len));
  if (masked) for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ b[maskOff + (i % 4)]!;
  return { opcode: b[0]! & 0x0f, payload };
}

export async function wsUpgrade(a: UpgradeArgs): Promise<UpgradeResult> {
  const u = new URL(a.url);
  const path = a.path ?? `${u.pathname}${u.search}`;
  const r: UpgradeResult = { url: a.url, path, expect: a.expect, outcome: 'timeout', headers: {}, ms: {} };
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  const host = u.hostname.replace(/^\[|\]$/g, '');
  let sock: Socket | undefined;
  const t0 = performance.now();
  try {
    sock = await new Promise<Socket>((resolve, reject) => {
      const timer = setTimeout(() => reject(Object.assign(new Error(`no connection to ${host}:${port} within ${a.timeoutMs} ms`), { code: 'ETIMEDOUT' })), a.timeoutMs);
      const s: Socket =
        u.protocol === 'https:'
          ? tls.connect({ host, port, servername: /^[\d.]+$|:/.test(host) ? undefined : host, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }, () => (clearTimeout(timer), resolve(s)))
          : netConnect({ host, port }, () => (clearTimeout(timer), resolve(s)));
      s.once('error', (e) => (clearTimeout(timer), reject(e)));
    });
    r.ms.connect = ms(t0);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    r.outcome = err.code === 'ETIMEDOUT' ? 'timeout' : u.protocol === 'https:' && !/ECONNREFUSED|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN/.test(String(err.code)) ? 'tls-failed' : 'connect-failed';
    r.error = { code: String(err.code ?? 'ERROR'), message: String(err.message).slice(0, 200) };
    return r;
  }
  const key = randomBytes(16).toString('base64');
  const nonce = `coder-preflight-${randomBytes(6).toString('hex')}`;
  const t1 = performance.now();
  try {
    return await new Promise<UpgradeResult>((resolve) => {
      let buf = Buffer.alloc(0);
      let upgraded = false;
      let tFrame = 0;
      const done = (o: Partial<UpgradeResult>) => {
        clearTimeout(timer);
        resolve(Object.assign(r, o));
      };
      const timer = setTimeout(() => done({ outcome: upgraded ? 'no-frame' : 'timeout', ...(upgraded ? { frame: false } : {}), error: { code: 'ETIMEDOUT', message: `${upgraded ? 'no frame' : 'no answer'} within ${a.timeoutMs} ms` } }), a.timeoutMs);
      sock!.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (!upgraded) {
          const end = buf.indexOf('\r\n\r\n');
          if (end < 0) {
            if (buf.length > 16384) done({ outcome: 'not-http' });
            return;
          }
          const head = buf.subarray(0, end).toString('latin1').split('\r\n');
          const m = /^(HTTP\/\d(?:\.\d)?) (\d{3}) ?(.*)$/.exec(head[0] ?? '');
          if (!m) return done({ outcome: 'not-http', bodyStart: (head[0] ?? '').slice(0, 80) });
          r.httpVersion = m[1]!;
          r.status = Number(m[2]);
          r.reason = m[3]!.slice(0, 80);
          r.ms.upgrade = ms(t1);
          const hs: Record<string, string> = {};
          for (const l of head.slice(1)) {
            const i = l.indexOf(':');
            if (i > 0) hs[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
          }
          for (const k of KEEP) if (hs[k] !== undefined) r.headers[k] = hs[k]!.slice(0, 120);
          buf = buf.subarray(end + 4);
          if (r.status !== 101) return done({ outcome: 'not-upgraded', bodyStart: buf.toString('latin1').replace(/[^\x20-\x7e]/g, ' ').trim().slice(0, 120) });
          const want = createHash('sha1').update(key + GUID).digest('base64');
          if (hs['sec-websocket-accept'] !== want) return done({ outcome: 'bad-accept' });
          upgraded = true;
          tFrame = performance.now();
          if (a.expect === 'echo') sock!.write(textFrame(nonce));
        }
        const f = readFrame(buf);
        if (!f) return;
        r.ms.frame = ms(tFrame);
        done({ outcome: 'upgraded', frame: a.expect === 'echo' ? f.payload.toString() === nonce : true });
      });
      sock!.once('close', () => done({ outcome: upgraded ? 'no-frame' : r.status ? 'not-upgraded' : 'closed', ...(upgraded ? { frame: false } : {}) }));
      sock!.once('error', (e: NodeJS.ErrnoException) => done({ outcome: upgraded ? 'no-frame' : 'closed', error: { code: String(e.code ?? 'ERROR'), message: e.message.slice(0, 200) } }));
      sock!.write(
        `GET ${path} HTTP/1.1\r\nHost: ${u.host}\r\nUser-Agent: ${a.userAgent}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${a.expect === 'derp' ? 'Sec-WebSocket-Protocol: derp\r\n' : ''}\r\n`,
      );
    });
  } finally {
    sock.destroy();
  }
}
