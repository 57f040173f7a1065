// Walk the path a workspace agent takes to the access URL, from wherever this runs: DNS (the
// system resolver, as Go's agent uses it; the hosts file's say apart), TCP (each address in
// turn), TLS (what the server sends, and whether it verifies against the system roots and a CA
// bundle), HTTP (any answer), then Coder's own endpoints when it answers: /healthz, the build
// info, and the agent download (bin/coder-linux-amd64: its HEAD, then its first 4 bytes, an ELF
// binary and not a login page). A step that fails ends the walk; each step records its error
// code and time. Only node: imports (and the certificate helpers, which have only node: ones):
// the probe agent bundles this file and runs it in pods, so the same steps run from there.
import { randomBytes, X509Certificate } from 'node:crypto';
import { lookup, Resolver } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect, isIP } from 'node:net';
import * as tls from 'node:tls';
import { describeChain } from '../postgres/certificates.ts';
import { hostsFileEntries } from './hosts-file.ts';
import { HANDSHAKE_FAILED, type CoderProbe, type DnsResult, type HttpProbe, type ReachArgs, type ReachResult, type StepError, type TcpResult, type TlsResult, type TrustVerdict, type WildcardResult, type WildcardTls } from './types.ts';
import { parseAccessUrl, parseWildcard, sampleWildcardName } from './url.ts';

export const AGENT_PATH = '/bin/coder-linux-amd64';
const DEFAULT_STEP_MS = 5000;
const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

const ms = (t0: number) => Math.round((performance.now() - t0) * 10) / 10;
const oneLine = (s: string) => s.split('\n')[0]!.slice(0, 300);

export function stepError(e: unknown): StepError {
  const err = e as NodeJS.ErrnoException & { reason?: string };
  const code = typeof err?.code === 'string' ? err.code : 'ERROR';
  return { code, message: oneLine(String(err?.message ?? e)) };
}

/** Resolve within `timeoutMs` (getaddrinfo cannot be cancelled: its answer is dropped when late). */
function withTimeout<T>(p: Promise<T>, timeoutMs: number, what: string, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(Object.assign(new Error(`${what}: no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs);
    const onAbort = () => reject(Object.assign(new Error(`${what}: aborted`), { code: 'ABORTED' }));
    signal?.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    });
  });
}

/** The system roots (as Go's crypto/x509 reads them on Linux), else Node's bundled ones. */
function systemRoots(): { pems: string[]; source: 'system' | 'bundled' } {
  try {
    const pems = tls.getCACertificates('system');
    if (pems.length) return { pems, source: 'system' };
  } catch {
    /* older Node */
  }
  return { pems: [...tls.rootCertificates], source: 'bundled' };
}

const selfSigned = (x: X509Certificate) => {
  try {
    return x.checkIssued(x) && x.verify(x.publicKey);
  } catch {
    return false;
  }
};

const issuedBy = (cert: X509Certificate, issuer: X509Certificate) => {
  try {
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
};

const x509s = (pems: readonly string[]) =>
  pems.flatMap((p) => {
    try {
      return [new X509Certificate(p)];
    } catch {
      return [];
    }
  });

export async function resolveHost(host: string, timeoutMs: number, hostsFile: string, signal?: AbortSignal): Promise<DnsResult> {
  const t0 = performance.now();
  const base = { host, hostsFile: null, dnsOnly: null } as const;
  if (isIP(host)) return { ...base, literal: true, ok: true, ms: 0, addresses: [host], error: null };
  let hosts: DnsResult['hostsFile'] = null;
  try {
    hosts = { file: hostsFile, entries: hostsFileEntries(await readFile(hostsFile, 'utf8'), host) };
  } catch {
    hosts = null;
  }
  let addresses: string[] = [];
  let error: StepError | null = null;
  try {
    const found = await withTimeout(lookup(host, { all: true, order: 'verbatim' }), timeoutMs, `looking up ${host}`, signal);
    addresses = found.map((a) => a.address);
  } catch (e) {
    error = stepError(e);
  }
  const done = ms(t0);
  let dnsOnly: DnsResult['dnsOnly'] = null;
  if (hosts?.entries.length) {
    // What pods would see: DNS itself, without this machine's hosts file.
    const r = new Resolver({ timeout: Math.min(timeoutMs, 2000), tries: 1 });
    const got: string[] = [];
    let err: StepError | null = null;
    for (const q of [() => r.resolve4(host), () => r.resolve6(host)]) {
      try {
        got.push(...(await withTimeout(q(), timeoutMs, `asking DNS for ${host}`, signal)));
      } catch (e) {
        const se = stepError(e);
        if (se.code !== 'ENODATA') err ??= se;
      }
    }
    r.cancel();
    dnsOnly = { addresses: got, error: got.length ? null : (err ?? { code: 'ENODATA', message: `DNS has no address for ${host}` }) };
  }
  return { ...base, literal: false, ok: error === null && addresses.length > 0, ms: done, addresses, error: error ?? (addresses.length ? null : { code: 'ENODATA', message: `no address for ${host}` }), hostsFile: hosts, dnsOnly };
}

function tcpConnect(address: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<{ ok: boolean; ms: number; error: StepError | null }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const s = netConnect({ host: address, port });
    let settled = false;
    const done = (error: StepError | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      s.destroy();
      resolve({ ok: error === null, ms: ms(t0), error });
    };
    const timer = setTimeout(() => done({ code: 'ETIMEDOUT', message: `no answer from ${address}:${port} within ${timeoutMs} ms (dropped by a firewall, or nothing routes there)` }), timeoutMs);
    const onAbort = () => done({ code: 'ABORTED', message: 'aborted' });
    signal?.addEventListener('abort', onAbort, { once: true });
    s.once('connect', () => done(null));
    s.once('error', (e) => done(stepError(e)));
  });
}

async function tcpStep(addresses: string[], port: number, timeoutMs: number, signal?: AbortSignal): Promise<TcpResult> {
  const t0 = performance.now();
  const attempts: TcpResult['attempts'] = [];
  for (const address of addresses) {
    const a = await tcpConnect(address, port, timeoutMs, signal);
    attempts.push({ address, ...a });
    if (a.ok) return { ok: true, ms: ms(t0), address, attempts };
    if (signal?.aborted) break;
  }
  return { ok: false, ms: ms(t0), address: null, attempts };
}

interface Handshake {
  ok: boolean;
  ms: number;
  error: StepError | null;
  protocol: string | null;
  cipher: string | null;
  alpn: string | null;
  authorized: boolean;
  authorizationError: string | null;
  peer: tls.DetailedPeerCertificate | undefined;
}

/** One TLS handshake that verifies nothing itself (the verdict against `context`'s store is read after). */
function handshake(address: string, port: number, servername: string | null, context: tls.SecureContext, timeoutMs: number, signal?: AbortSignal): Promise<Handshake> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const s = tls.connect({ host: address, port, ...(servername ? { servername } : {}), secureContext: context, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'],
      // The chain only: names are judged by Go's rules (certificates.ts), not by Node's, which fall back to the CN.
      checkServerIdentity: () => undefined });
    let settled = false;
    const empty = { protocol: null, cipher: null, alpn: null, authorized: false, authorizationError: null, peer: undefined };
    const done = (h: Omit<Handshake, 'ms'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      s.destroy();
      resolve({ ...h, ms: ms(t0) });
    };
    const timer = setTimeout(() => done({ ok: false, error: { code: 'ETIMEDOUT', message: `the TLS handshake with ${address}:${port} did not finish within ${timeoutMs} ms` }, ...empty }), timeoutMs);
    const onAbort = () => done({ ok: false, error: { code: 'ABORTED', message: 'aborted' }, ...empty });
    signal?.addEventListener('abort', onAbort, { once: true });
    s.once('secureConnect', () =>
      done({
        ok: true,
        error: null,
        protocol: s.getProtocol() ?? null,
        cipher: s.getCipher()?.name ?? null,
        alpn: typeof s.alpnProtocol === 'string' ? s.alpnProtocol : null,
        authorized: s.authorized,
        authorizationError: s.authorizationError ? String((s.authorizationError as unknown as { code?: string }).code ?? s.authorizationError) : null,
        peer: s.getPeerCertificate(true),
      }),
    );
    s.once('error', (e) => done({ ok: false, error: stepError(e), ...empty }));
  });
}

interface Stores {
  /** Nothing trusted: the peer chain is exactly what the server sent. */
  empty: tls.SecureContext;
  full: tls.SecureContext;
  systemOnly: tls.SecureContext | null;
  anchorsOnly: tls.SecureContext | null;
  trusted: X509Certificate[];
  roots: ReachResult['roots'];
}

function stores(caPems: readonly string[]): Stores {
  const sys = systemRoots();
  const bundle = x509s(caPems);
  const anchors = bundle.filter(selfSigned);
  return {
    empty: tls.createSecureContext({ ca: [] }),
    full: tls.createSecureContext({ ca: [...sys.pems, ...caPems] }),
    systemOnly: caPems.length ? tls.createSecureContext({ ca: sys.pems }) : null,
    anchorsOnly: anchors.length < bundle.length ? tls.createSecureContext({ ca: [...sys.pems, ...anchors.map((a) => a.toString())] }) : null,
    trusted: [...x509s(sys.pems), ...bundle],
    roots: { source: sys.source, count: sys.pems.length, bundle: bundle.length },
  };
}

const verdict = (h: Handshake): TrustVerdict | null => (h.ok ? { verified: h.authorized, error: h.authorized ? null : h.authorizationError } : null);
/** A verifying handshake that did not complete (the first one did): no verdict, and it says so. */
const verdictOrFailure = (h: Handshake): TrustVerdict => verdict(h) ?? { verified: false, error: `${HANDSHAKE_FAILED}${h.error?.code ?? 'ERROR'}` };

async function tlsStep(address: string, port: number, host: string, st: Stores, timeoutMs: number, signal?: AbortSignal): Promise<TlsResult> {
  const t0 = performance.now();
  const servername = isIP(host) ? null : host;
  const sent = await handshake(address, port, servername, st.empty, timeoutMs, signal);
  const base = { servername, protocol: sent.protocol, cipher: sent.cipher, alpn: sent.alpn };
  if (!sent.ok) return { ok: false, ms: ms(t0), error: sent.error, ...base, sent: [], verify: null, systemOnly: null, anchorsOnly: null, lastIssuerInStore: null, aiaIssuers: [] };
  const sentChain = describeChain(sent.peer);
  const full = await handshake(address, port, servername, st.full, timeoutMs, signal);
  const systemOnly = st.systemOnly ? await handshake(address, port, servername, st.systemOnly, timeoutMs, signal) : null;
  const anchorsOnly = st.anchorsOnly ? await handshake(address, port, servername, st.anchorsOnly, timeoutMs, signal) : null;
  // Walk what was sent to its last certificate, and ask whether the store holds that one's issuer.
  let last: X509Certificate | undefined;
  let leaf: X509Certificate | undefined;
  for (let c: tls.DetailedPeerCertificate | undefined = sent.peer, seen = new Set<string>(); c?.raw && !seen.has(c.fingerprint256); c = c.issuerCertificate) {
    seen.add(c.fingerprint256);
    last = new X509Certificate(c.raw);
    leaf ??= last;
  }
  const lastIssuerInStore = !last || selfSigned(last) ? null : st.trusted.some((t) => issuedBy(last!, t));
  const aiaIssuers = (leaf?.infoAccess ?? '').split('\n').filter((l) => l.startsWith('CA Issuers - URI:')).map((l) => l.slice('CA Issuers - URI:'.length));
  const fullVerdict = verdict(full);
  return {
    ok: true,
    ms: ms(t0),
    error: null,
    ...base,
    sent: sentChain,
    verify: fullVerdict ? { ...fullVerdict, chain: describeChain(full.peer) } : { ...verdictOrFailure(full), chain: [] },
    systemOnly: systemOnly ? verdictOrFailure(systemOnly) : null,
    anchorsOnly: anchorsOnly ? verdictOrFailure(anchorsOnly) : null,
    lastIssuerInStore,
    aiaIssuers,
  };
}

/** What a body's first bytes are. */
function classifyBody(b: Buffer, contentType: string | null): HttpProbe['body'] {
  if (b.length === 0) return 'empty';
  if (b.subarray(0, 4).equals(ELF)) return 'elf';
  const head = b.subarray(0, 512).toString('latin1').trimStart().toLowerCase();
  if (head.startsWith('<!doctype html') || head.startsWith('<html') || /text\/html/i.test(contentType ?? '')) return 'html';
  if (head.startsWith('{') || head.startsWith('[')) return 'json';
  return /[\x00-\x08\x0e-\x1f]/.test(head) ? 'binary' : 'text';
}

const printable = (b: Buffer) => b.subarray(0, 64).toString('latin1').replace(/[^\x20-\x7e]/g, '.');

interface HttpTarget {
  scheme: 'http' | 'https';
  address: string;
  port: number;
  host: string;
  authority: string;
  userAgent: string;
}

/** One request on a connection of its own (no keep-alive, no redirects followed), at most `maxBody` bytes read. */
function httpProbe(t: HttpTarget, method: 'GET' | 'HEAD', path: string, timeoutMs: number, signal: AbortSignal | undefined, extra: Record<string, string> = {}, maxBody = 64 * 1024): Promise<HttpProbe & { bodyBytes: Buffer }> {
  const t0 = performance.now();
  const base = { method, path } as const;
  const fail = (e: StepError) => ({ ...base, ok: false, ms: ms(t0), status: null, contentType: null, location: null, server: null, contentLength: null, body: null, bodyStart: null, error: e, bodyBytes: Buffer.alloc(0) });
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: HttpProbe & { bodyBytes: Buffer }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      req.destroy();
      resolve(r);
    };
    const opts = {
      host: t.address,
      port: t.port,
      method,
      path,
      agent: false as const,
      headers: { Host: t.authority, 'User-Agent': t.userAgent, Accept: '*/*', Connection: 'close', ...extra },
      ...(t.scheme === 'https' ? { servername: isIP(t.host) ? undefined : t.host, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] } : {}),
    };
    const req = (t.scheme === 'https' ? httpsRequest : httpRequest)(opts, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let got = 0;
      const done = () => {
        const bodyBytes = Buffer.concat(chunks).subarray(0, maxBody);
        const contentType = res.headers['content-type'] ?? null;
        const cl = res.headers['content-length'];
        const body = method === 'HEAD' ? null : classifyBody(bodyBytes, contentType);
        finish({
          ...base,
          ok: true,
          ms: ms(t0),
          status: res.statusCode ?? null,
          contentType,
          location: res.headers.location ?? null,
          server: typeof res.headers.server === 'string' ? res.headers.server : null,
          contentLength: cl !== undefined && /^\d+$/.test(cl) ? Number(cl) : null,
          body,
          bodyStart: body && body !== 'elf' && body !== 'binary' && body !== 'empty' ? printable(bodyBytes) : null,
          error: null,
          bodyBytes,
        });
      };
      res.on('data', (d: Buffer) => {
        chunks.push(d);
        got += d.length;
        if (got >= maxBody) done();
      });
      res.once('end', done);
      res.once('error', done);
    });
    const timer = setTimeout(() => finish(fail({ code: 'ETIMEDOUT', message: `no HTTP answer to ${method} ${path} within ${timeoutMs} ms` })), timeoutMs);
    const onAbort = () => finish(fail({ code: 'ABORTED', message: 'aborted' }));
    signal?.addEventListener('abort', onAbort, { once: true });
    req.once('error', (e) => finish(fail(stepError(e))));
    req.end();
  });
}

const strip = ({ bodyBytes: _b, ...p }: HttpProbe & { bodyBytes: Buffer }): HttpProbe => p;

async function coderStep(t: HttpTarget, timeoutMs: number, signal?: AbortSignal): Promise<CoderProbe> {
  const healthz = await httpProbe(t, 'GET', '/healthz', timeoutMs, signal, {}, 1024);
  const answers = healthz.ok && healthz.status === 200 && healthz.bodyBytes.toString('utf8').trim() === 'OK';
  let version: string | null = null;
  let agentHead: HttpProbe | null = null;
  let agentStart: HttpProbe | null = null;
  if (answers) {
    const info = await httpProbe(t, 'GET', '/api/v2/buildinfo', timeoutMs, signal, { Accept: 'application/json' }, 16 * 1024);
    try {
      const v = (JSON.parse(info.bodyBytes.toString('utf8')) as { version?: unknown }).version;
      version = typeof v === 'string' ? v.slice(0, 80) : null;
    } catch {
      version = null;
    }
  }
  // Whatever answers /healthz, the agent download is what workspaces fetch first.
  if (healthz.ok) {
    agentHead = strip(await httpProbe(t, 'HEAD', AGENT_PATH, timeoutMs, signal));
    if (agentHead.status === 200 || agentHead.status === 405 || agentHead.status === 501) agentStart = strip(await httpProbe(t, 'GET', AGENT_PATH, timeoutMs, signal, { Range: 'bytes=0-3', 'Accept-Encoding': 'identity' }, 4096));
  }
  return { healthz: strip(healthz), answers, version, agentHead, agentStart, agentPath: AGENT_PATH.slice(1) };
}

async function wildcardStep(pattern: string, label: string, fallback: string | null, port: number, scheme: 'http' | 'https', st: Stores, timeoutMs: number, hostsFile: string, signal?: AbortSignal): Promise<WildcardResult> {
  const w = parseWildcard(pattern);
  if (!w.ok) return { pattern, problem: w.problem, sample: null, dns: null, tls: null };
  const sample = sampleWildcardName(w.wildcard, label);
  const dns = await resolveHost(sample, timeoutMs, hostsFile, signal);
  let wtls: WildcardTls | null = null;
  // Which certificate the server serves for an app's name: to the name's own address, or (when it
  // does not resolve) to the access host's, which shows the certificate all the same.
  const address = dns.addresses[0] ?? fallback;
  if (scheme === 'https' && address) {
    const appPort = w.wildcard.port ?? port;
    const h = await handshake(address, appPort, sample, st.full, timeoutMs, signal);
    const chain = describeChain(h.peer);
    wtls = { address: `${address}:${appPort}`, servername: sample, ok: h.ok, error: h.error, leaf: chain[0] ?? null, verify: verdict(h) };
  }
  return { pattern, problem: null, sample, dns, tls: wtls };
}

/** Walk the path to the access URL. Never throws for what the network does: every failure is in the result. */
export async function reach(a: ReachArgs): Promise<ReachResult> {
  const parsed = parseAccessUrl(a.url);
  if (!parsed.ok) throw Object.assign(new Error(`the access URL cannot be used: ${parsed.problem}`), { code: 'BAD_URL' });
  const u = parsed.url;
  const timeoutMs = a.timeoutMs ?? DEFAULT_STEP_MS;
  const hostsFile = a.hostsFile ?? '/etc/hosts';
  const signal = a.signal;
  const st = stores(a.caPems ?? []);
  const label = a.sampleLabel ?? `preflight-${randomBytes(4).toString('hex')}`;
  const result: ReachResult = { url: a.url, scheme: u.scheme, host: u.host, port: u.port, authority: u.authority, roots: st.roots, dns: await resolveHost(u.host, timeoutMs, hostsFile, signal), tcp: null, tls: null, http: null, coder: null, wildcard: null, failedAt: null };
  const wildcard = () => (a.wildcard ? wildcardStep(a.wildcard, label, result.tcp?.address ?? result.dns.addresses[0] ?? null, u.port, u.scheme, st, timeoutMs, hostsFile, signal) : Promise.resolve(null));
  if (!result.dns.ok) {
    result.failedAt = 'dns';
    result.wildcard = await wildcard();
    return result;
  }
  result.tcp = await tcpStep(result.dns.addresses, u.port, timeoutMs, signal);
  if (!result.tcp.ok) {
    result.failedAt = 'tcp';
    result.wildcard = await wildcard();
    return result;
  }
  const address = result.tcp.address!;
  if (u.scheme === 'https') {
    result.tls = await tlsStep(address, u.port, u.host, st, timeoutMs, signal);
    if (!result.tls.ok) {
      result.failedAt = 'tls';
      result.wildcard = await wildcard();
      return result;
    }
  }
  const target: HttpTarget = { scheme: u.scheme, address, port: u.port, host: u.host, authority: u.authority, userAgent: a.userAgent ?? 'coder-preflight' };
  result.http = strip(await httpProbe(target, 'GET', '/', timeoutMs, signal, {}, 16 * 1024));
  if (!result.http.ok) result.failedAt = 'http';
  else if (a.coder !== false) result.coder = await coderStep(target, timeoutMs, signal);
  result.wildcard = await wildcard();
  return result;
}

