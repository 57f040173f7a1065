// What walking the path to the access URL saw, step by step (DNS, TCP, TLS, HTTP, then Coder's own
// endpoints), as plain JSON: the same shape from this machine (fact access-url.reach) and, later,
// from a probe pod (the probe agent runs the same reach()). Nothing here judges.
import type { TlsCertificate } from '../postgres/certificates.ts';
import type { HostsFileEntry } from './hosts-file.ts';

export type { TlsCertificate, HostsFileEntry };

/** The error of a TrustVerdict whose handshake did not complete (no verdict): HANDSHAKE_FAILED:<code>. */
export const HANDSHAKE_FAILED = 'HANDSHAKE_FAILED:';

export interface StepError {
  /** ENOTFOUND, ECONNREFUSED, ETIMEDOUT, EPROTO, … */
  code: string;
  /** One line. */
  message: string;
}

export interface DnsResult {
  host: string;
  /** The host is an IP address: nothing to resolve. */
  literal: boolean;
  ok: boolean;
  ms: number;
  /** What the system resolver (getaddrinfo: the hosts file, then DNS) answered, in its order. */
  addresses: string[];
  error: StepError | null;
  /** The hosts file's lines for the host; null when it could not be read. */
  hostsFile: { file: string; entries: HostsFileEntry[] } | null;
  /** When the hosts file names the host: what DNS alone answers (pods see DNS, not this file). */
  dnsOnly: { addresses: string[]; error: StepError | null } | null;
}

export interface TcpAttempt {
  address: string;
  ok: boolean;
  ms: number;
  error: StepError | null;
}

export interface TcpResult {
  ok: boolean;
  ms: number;
  /** The address that accepted, or null. */
  address: string | null;
  /** In order, until one accepted (Go's dialer tries the addresses one after the other too). */
  attempts: TcpAttempt[];
}

export interface TrustVerdict {
  /** OpenSSL's verdict on the chain (signatures, dates, CA flags) against the trust store. */
  verified: boolean;
  /** X509 error code when not verified (UNABLE_TO_VERIFY_LEAF_SIGNATURE, CERT_HAS_EXPIRED, …); "HANDSHAKE_FAILED:<code>" when this handshake did not complete, so there is no verdict. */
  error: string | null;
}

export interface TlsResult {
  /** The handshake completed (whether the certificate is trusted is below). */
  ok: boolean;
  ms: number;
  error: StepError | null;
  /** The SNI sent (none for an IP address). */
  servername: string | null;
  protocol: string | null;
  cipher: string | null;
  alpn: string | null;
  /** The certificates the server itself sent, leaf first, in issuer order. */
  sent: TlsCertificate[];
  /** Against this machine's system roots plus the CA bundle given (--ca-bundle); chain as built, root included. */
  verify: (TrustVerdict & { chain: TlsCertificate[] }) | null;
  /** Against the system roots alone (only when a CA bundle is given). */
  systemOnly: TrustVerdict | null;
  /** Against the system roots and only the self-signed certificates of the bundle (only when the bundle holds intermediates). */
  anchorsOnly: TrustVerdict | null;
  /** The issuer of the last certificate sent is in the trust store (signature checked, not dates); null when that certificate signed itself. */
  lastIssuerInStore: boolean | null;
  /** The leaf's Authority Information Access "CA Issuers" URLs (browsers may fetch a missing intermediate there; Go, curl and Node do not). */
  aiaIssuers: string[];
}

export interface HttpProbe {
  method: 'GET' | 'HEAD';
  path: string;
  /** An HTTP response came back. */
  ok: boolean;
  ms: number;
  status: number | null;
  contentType: string | null;
  location: string | null;
  server: string | null;
  contentLength: number | null;
  /** What the first bytes of the body are. */
  body: 'elf' | 'html' | 'text' | 'json' | 'binary' | 'empty' | null;
  /** The first bytes of a text body (printable ASCII, at most 64), for the evidence. */
  bodyStart: string | null;
  error: StepError | null;
}

export interface CoderProbe {
  /** GET /healthz (Coder answers 200 "OK"). */
  healthz: HttpProbe;
  /** /healthz said OK: Coder answers behind the front door. */
  answers: boolean;
  /** GET /api/v2/buildinfo's version, when Coder answers. */
  version: string | null;
  /** HEAD of the agent download path. */
  agentHead: HttpProbe | null;
  /** GET of its first 4 bytes (Range), to see an ELF binary rather than a page. */
  agentStart: HttpProbe | null;
  /** The path the agent's init script downloads (bin/coder-linux-amd64). */
  agentPath: string;
}

export interface WildcardTls {
  address: string;
  servername: string;
  ok: boolean;
  error: StepError | null;
  /** The certificate served for the sample name. */
  leaf: TlsCertificate | null;
  verify: TrustVerdict | null;
}

export interface WildcardResult {
  pattern: string;
  /** Why Coder refuses the pattern (appurl.CompileHostnamePattern), or null. */
  problem: string | null;
  /** A random name the pattern matches. */
  sample: string | null;
  dns: DnsResult | null;
  tls: WildcardTls | null;
}

export type ReachStep = 'dns' | 'tcp' | 'tls' | 'http';

export interface ReachResult {
  url: string;
  scheme: 'http' | 'https';
  host: string;
  port: number;
  /** host[:port] as sent in Host headers. */
  authority: string;
  /** The trust store the TLS verdicts used. */
  roots: { source: 'system' | 'bundled'; count: number; bundle: number };
  dns: DnsResult;
  tcp: TcpResult | null;
  tls: TlsResult | null;
  http: HttpProbe | null;
  coder: CoderProbe | null;
  wildcard: WildcardResult | null;
  /** The first step that failed (later ones did not run), or null. */
  failedAt: ReachStep | null;
}

export interface ReachArgs {
  url: string;
  wildcard?: string;
  /** PEM certificates trusted besides the system roots (--ca-bundle). */
  caPems?: string[];
  /** Per step (default 5000 ms). */
  timeoutMs?: number;
  /** Default /etc/hosts. */
  hostsFile?: string;
  /** Ask /healthz, buildinfo and the agent download path (default true). */
  coder?: boolean;
  /** The random label for the wildcard's sample name (default: preflight-<8 hex>). */
  sampleLabel?: string;
  userAgent?: string;
  signal?: AbortSignal;
}
