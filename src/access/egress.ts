// One walk out of the cluster to an endpoint an install needs (an image registry, the Terraform
// registry and release hosts, a mirror): DNS, TCP — straight, or to the HTTP(S) proxy the values
// give Coder, with CONNECT — then TLS (verified against the system roots plus a CA bundle: a
// TLS-inspecting proxy's certificate shows here) and one HTTP request; any HTTP answer counts (a
// registry's 401 is an answer). Every step has a timeout; a step that fails ends the walk. Only
// node: imports: the probe agent bundles this and runs it in pods.
import { lookup } from 'node:dns/promises';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import * as tls from 'node:tls';

export type EgressStep = 'url' | 'dns' | 'tcp' | 'proxy' | 'tls' | 'http';

export interface EgressResult {
  url: string;
  host: string;
  port: number;
  /** The proxy the walk went through (host:port), or null for a straight connection. */
  proxy: string | null;
  ok: boolean;
  failedAt: EgressStep | null;
  error: { code: string; message: string } | null;
  /** ms per step that ran. */
  ms: Partial<Record<EgressStep, number>>;
  addresses: string[];
  /** The proxy's answer to CONNECT (e.g. "HTTP/1.1 403 Forbidden"), when it refused. */
  proxyAnswer?: string;
  tlsVerified?: boolean;
  tlsError?: string | null;
  /** The certificate's issuer (a TLS-inspecting proxy shows its own CA here). */
  issuer?: string;
  status?: number;
  server?: string | null;
}

export interface EgressArgs {
  url: string;
  /** http(s)://host:port of a proxy, applied unless noProxy matches. */
  proxy?: string;
  noProxy?: string;
  caPems?: string[];
  timeoutMs: number;
  userAgent: string;
}

const round = (t0: number) => Math.round((performance.now() - t0) * 10) / 10;
const err = (e: unknown) => {
  const x = e as NodeJS.ErrnoException;
  return { code: typeof x?.code === 'string' ? x.code : 'ERROR', message: String(x?.message ?? e).split('\n')[0]!.slice(0, 200) };
};

function timed<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(Object.assign(new Error(`${what}: no answer within ${ms} ms`), { code: 'ETIMEDOUT' })), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e) => (clearTimeout(t), reject(e)),
    );
  });
}

/** NO_PROXY as Go's httpproxy reads it: comma-separated hosts, ".domain" or "domain" suffixes, "*". */
export function bypassesProxy(host: string, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const h = host.toLowerCase();
  return noProxy
    .split(',')
    .map((s) => s.trim().toLowerCase().replace(/:\d+$/, ''))
    .filter(Boolean)
    .some((p) => p === '*' || h === p.replace(/^\./, '') || h.endsWith(p.startsWith('.') ? p : `.${p}`));
}

function tcp(host: string, port: number, ms: number): Promise<Socket> {
  return timed(
    new Promise<Socket>((resolve, reject) => {
      const s = netConnect({ host, port });
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    }),
    ms,
    `TCP ${host}:${port}`,
  );
}

/** CONNECT host:port through an open proxy socket: the proxy's status line. */
function connectThrough(sock: Socket, host: string, port: number, ms: number): Promise<string> {
  return timed(
    new Promise<string>((resolve, reject) => {
      let buf = '';
      const onData = (d: Buffer) => {
        buf += d.toString('latin1');
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0 && buf.length < 8192) return;
        sock.off('data', onData);
        resolve(buf.split('\r\n')[0] ?? '');
      };
      sock.on('data', onData);
      sock.once('error', reject);
      sock.once('end', () => reject(Object.assign(new Error('the proxy closed the connection'), { code: 'ECONNRESET' })));
      sock.write(`CONNECT ${host}:${port} HTTP/1.1\r\nHost: ${host}:${port}\r\n\r\n`);
    }),
    ms,
    `CONNECT ${host}:${port}`,
  );
}

export async function egress(a: EgressArgs): Promise<EgressResult> {
  let u: URL;
  const out = (over: Partial<EgressResult>): EgressResult => ({ url: a.url, host: '', port: 0, proxy: null, ok: false, failedAt: null, error: null, ms: {}, addresses: [], ...over });
  try {
    u = new URL(a.url);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error(`${u.protocol} is not http or https`);
  } catch (e) {
    return out({ failedAt: 'url', error: { code: 'BAD_URL', message: (e as Error).message } });
  }
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  const proxyUrl = a.proxy && !bypassesProxy(host, a.noProxy) ? new URL(a.proxy.includes('://') ? a.proxy : `http://${a.proxy}`) : undefined;
  const proxy = proxyUrl ? { host: proxyUrl.hostname.replace(/^\[|\]$/g, ''), port: Number(proxyUrl.port || (proxyUrl.protocol === 'https:' ? 443 : 80)) } : undefined;
  const r = out({ host, port, proxy: proxy ? `${proxy.host}:${proxy.port}` : null });
  const fail = (step: EgressStep, e: unknown) => Object.assign(r, { failedAt: step, error: err(e) });
  // DNS: of the endpoint, or of the proxy (the proxy resolves the endpoint itself).
  const lookFor = proxy?.host ?? host;
  let t0 = performance.now();
  if (isIP(lookFor) === 0) {
    try {
      r.addresses = (await timed(lookup(lookFor, { all: true }), a.timeoutMs, `DNS ${lookFor}`)).map((x) => x.address);
      r.ms.dns = round(t0);
    } catch (e) {
      r.ms.dns = round(t0);
      return fail('dns', e);
    }
  } else r.addresses = [lookFor];
  t0 = performance.now();
  let sock: Socket;
  try {
    sock = await tcp(r.addresses[0]!, proxy?.port ?? port, a.timeoutMs);
    r.ms.tcp = round(t0);
  } catch (e) {
    r.ms.tcp = round(t0);
    return fail('tcp', e);
  }
  try {
    if (proxy) {
      t0 = performance.now();
      try {
        const line = await connectThrough(sock, host, port, a.timeoutMs);
        r.ms.proxy = round(t0);
        if (!/^HTTP\/1\.[01] 2\d\d/.test(line)) {
          r.proxyAnswer = line.slice(0, 120);
          return fail('proxy', Object.assign(new Error(`the proxy refused CONNECT ${host}:${port}: ${line.slice(0, 120)}`), { code: 'PROXY_REFUSED' }));
        }
      } catch (e) {
        r.ms.proxy = round(t0);
        return fail('proxy', e);
      }
    }
    let stream: Socket | tls.TLSSocket = sock;
    if (u.protocol === 'https:') {
      t0 = performance.now();
      try {
        // The roots a Go client in the pod would use (the system's), else Node's own, plus the bundle.
        const get = (tls as { getCACertificates?: (t: string) => string[] }).getCACertificates;
        let system: string[] = [];
        try {
          system = get ? get('system') : [];
        } catch {
          system = [];
        }
        const roots = [...(system.length ? system : tls.rootCertificates), ...(a.caPems ?? [])];
        const ts = await timed(
          new Promise<tls.TLSSocket>((resolve, reject) => {
            const s = tls.connect({ socket: sock, ...(isIP(host) ? {} : { servername: host }), ca: roots, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
            s.once('secureConnect', () => resolve(s));
            s.once('error', reject);
          }),
          a.timeoutMs,
          `TLS ${host}:${port}`,
        );
        r.ms.tls = round(t0);
        const hostOk = tls.checkServerIdentity(host, ts.getPeerCertificate());
        r.tlsVerified = ts.authorized && !hostOk;
        r.tlsError = ts.authorized ? (hostOk ? hostOk.message.slice(0, 160) : null) : String(ts.authorizationError ?? 'UNKNOWN');
        const issuer = ts.getPeerCertificate().issuer as unknown as Record<string, string> | undefined;
        if (issuer) r.issuer = Object.entries(issuer).map(([k, v]) => `${k}=${v}`).join(', ').slice(0, 160);
        stream = ts;
      } catch (e) {
        r.ms.tls = round(t0);
        return fail('tls', e);
      }
    }
    t0 = performance.now();
    try {
      const head = await timed(
        new Promise<string>((resolve, reject) => {
          let buf = '';
          stream.on('data', (d: Buffer) => {
            buf += d.toString('latin1');
            if (buf.includes('\r\n\r\n') || buf.length > 16384) resolve(buf);
          });
          stream.once('error', reject);
          stream.once('end', () => (buf ? resolve(buf) : reject(Object.assign(new Error('closed without an HTTP answer'), { code: 'ECONNRESET' }))));
          stream.write(`GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUser-Agent: ${a.userAgent}\r\nAccept: */*\r\nConnection: close\r\n\r\n`);
        }),
        a.timeoutMs,
        `HTTP ${a.url}`,
      );
      r.ms.http = round(t0);
      const m = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(head);
      if (!m) return fail('http', Object.assign(new Error(`not an HTTP answer: ${JSON.stringify(head.slice(0, 60))}`), { code: 'NOT_HTTP' }));
      r.status = Number(m[1]);
      r.server = /\r\nserver: *([^\r\n]*)/i.exec(head)?.[1]?.slice(0, 60) ?? null;
      r.ok = true;
      return r;
    } catch (e) {
      r.ms.http = round(t0);
      return fail('http', e);
    }
  } finally {
    sock.destroy();
  }
}
