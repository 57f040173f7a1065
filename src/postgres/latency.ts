// Round trips to a PostgreSQL server, measured with nothing but node:net (so the same code can run
// inside a probe pod): the TCP handshake, and PostgreSQL's SSLRequest — 8 bytes out, one byte back
// ('S' or 'N') — on a fresh connection each time, closed before any startup packet (the server logs
// nothing). A TCP handshake can be answered by a local proxy, a sidecar or NAT, so it is evidence
// only; the SSLRequest answer comes from the server itself.
import { connect as netConnect } from 'node:net';

export interface LatencyStats {
  n: number;
  min: number;
  p50: number;
  p95: number;
  max: number;
}

const round = (x: number) => Math.round(x * 100) / 100;

/** Nearest-rank percentiles of the samples (ms). */
export function stats(samples: readonly number[]): LatencyStats {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
  return { n: s.length, min: round(s[0] ?? NaN), p50: round(at(50)), p95: round(at(95)), max: round(s[s.length - 1] ?? NaN) };
}

const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

/** One fresh connection: the TCP handshake time and the SSLRequest round trip (ms). */
export function handshake(host: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<{ connectMs: number; sslRequestMs: number; answer: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let connected = 0;
    let sent = 0;
    const sock = netConnect({ host, port, noDelay: true });
    const fail = (e: Error) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      sock.destroy();
      reject(e);
    };
    const onAbort = () => fail(new Error('aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => fail(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
    sock.once('connect', () => {
      connected = performance.now();
      sent = performance.now();
      sock.write(SSL_REQUEST);
    });
    sock.once('data', (d: Buffer) => {
      const got = performance.now();
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      sock.destroy();
      resolve({ connectMs: connected - started, sslRequestMs: got - sent, answer: String.fromCharCode(d[0] ?? 0) });
    });
    sock.once('error', fail);
    sock.once('close', () => fail(new Error(`${host}:${port} closed the connection before answering`)));
  });
}

/** `n` handshakes one after another, after `warmup` unmeasured ones (DNS, ARP, route caches). */
export async function handshakes(host: string, port: number, n: number, warmup: number, timeoutMs: number, signal?: AbortSignal): Promise<{ connect: number[]; sslRequest: number[] }> {
  const connect: number[] = [];
  const sslRequest: number[] = [];
  for (let i = 0; i < warmup + n; i++) {
    const h = await handshake(host, port, timeoutMs, signal);
    if (i >= warmup) {
      connect.push(round(h.connectMs));
      sslRequest.push(round(h.sslRequestMs));
    }
  }
  return { connect, sslRequest };
}
