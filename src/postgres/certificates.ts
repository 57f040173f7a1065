// What a PostgreSQL server's certificate says, as plain data for the facts, and which names Coder's
// driver would accept for a host. Coder's lib/pq (github.com/coder/pq) verifies with Go's
// crypto/x509: a host name matches only a subjectAltName (Go ignores the subject CN since 1.15,
// where Node's tls.checkServerIdentity still falls back to it), and an IP host only an IP SAN.
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import type { DetailedPeerCertificate } from 'node:tls';
import type { SslMode } from '../inputs/pgurl.ts';

export interface TlsCertificate {
  /** e.g. "CN=localhost" (RDN per line in OpenSSL's order, joined with ", "). */
  subject: string;
  issuer: string;
  /** As OpenSSL prints them: "DNS:localhost", "IP Address:127.0.0.1". */
  subjectAltNames: string[];
  /** ISO 8601. */
  notBefore: string;
  notAfter: string;
  serialNumber: string;
  /** SHA-256 fingerprint, colon-separated hex. */
  sha256: string;
}

/** Split OpenSSL's subjectAltName string on the ", " between entries (not inside a quoted one). */
function splitAltNames(s: string | undefined): string[] {
  if (!s) return [];
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === '"') quoted = !quoted;
    if (!quoted && ch === ',' && s[i + 1] === ' ') {
      out.push(cur);
      cur = '';
      i++;
      continue;
    }
    cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

export function describeCertificate(der: Buffer): TlsCertificate {
  const x = new X509Certificate(der);
  return {
    subject: x.subject.split('\n').join(', '),
    issuer: x.issuer.split('\n').join(', '),
    subjectAltNames: splitAltNames(x.subjectAltName),
    notBefore: new Date(x.validFrom).toISOString(),
    notAfter: new Date(x.validTo).toISOString(),
    serialNumber: x.serialNumber,
    sha256: x.fingerprint256,
  };
}

/** The peer's certificate and the issuers the handshake showed (getPeerCertificate(true)), leaf first. */
export function describeChain(peer: DetailedPeerCertificate | undefined): TlsCertificate[] {
  const out: TlsCertificate[] = [];
  const seen = new Set<string>();
  let c: DetailedPeerCertificate | undefined = peer;
  while (c && c.raw && !seen.has(c.fingerprint256)) {
    seen.add(c.fingerprint256);
    out.push(describeCertificate(c.raw));
    c = c.issuerCertificate;
  }
  return out;
}

/** Canonical text of an IP address (IPv6 compressed, lower case), or undefined when it is none. */
function canonicalIp(s: string): string | undefined {
  const bare = s.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const v = isIP(bare);
  if (v === 4) return bare;
  if (v === 6) return new URL(`http://[${bare}]`).hostname.replace(/^\[|\]$/g, '');
  return undefined;
}

/** Go's crypto/x509 matchHostnames: lower case, no trailing dot, "*" only as the whole leftmost label. */
function matchHostname(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  const h = host.toLowerCase().replace(/\.$/, '');
  if (!p || !h) return false;
  const pp = p.split('.');
  const hp = h.split('.');
  if (pp.length !== hp.length) return false;
  return pp.every((label, i) => (i === 0 && label === '*') || label === hp[i]);
}

/**
 * Whether `host` is a name of the certificate by Go's Certificate.VerifyHostname: an IP host
 * against the IP SANs, a DNS host against the DNS SANs; the subject CN never counts.
 */
export function goHostnameMatches(host: string, cert: Pick<TlsCertificate, 'subjectAltNames'>): boolean {
  const ip = canonicalIp(host);
  if (ip !== undefined) {
    return cert.subjectAltNames.some((n) => n.startsWith('IP Address:') && canonicalIp(n.slice('IP Address:'.length)) === ip);
  }
  return cert.subjectAltNames.some((n) => n.startsWith('DNS:') && matchHostname(n.slice(4), host));
}

export type CoderVerification = 'none' | 'chain' | 'chain+host';

/**
 * What Coder's driver verifies of the server certificate under the effective sslmode (after
 * require + an existing sslrootcert became verify-ca), for this host, with a reason.
 *
 * coder/pq (ssl.go) sets tls.Config.ServerName to the host whenever sslsni is on (the default:
 * empty or starting with "1"), and its verify-ca check verifies the chain with
 * DNSName = ConnectionState().ServerName — the SNI sent, which crypto/tls leaves empty for an IP
 * literal. So verify-ca checks the host name too when the host is a DNS name and sslsni is on.
 */
export function coderVerification(mode: SslMode, host: string, sslsni: string | undefined): { verifies: CoderVerification; why: string } {
  if (mode === 'disable') return { verifies: 'none', why: 'sslmode=disable: no TLS' };
  if (mode === 'require') return { verifies: 'none', why: 'sslmode=require without an sslrootcert file: lib/pq encrypts but verifies nothing' };
  if (mode === 'verify-full') return { verifies: 'chain+host', why: 'sslmode=verify-full: the chain and the host name (subjectAltName)' };
  const sni = sslsni === undefined || sslsni === '' || sslsni.startsWith('1');
  if (canonicalIp(host) !== undefined) return { verifies: 'chain', why: 'verify-ca: the chain only (an IP host sends no SNI, so lib/pq checks no name)' };
  if (!sni) return { verifies: 'chain', why: 'verify-ca with sslsni=0: the chain only' };
  return {
    verifies: 'chain+host',
    why: 'verify-ca with a DNS host: lib/pq checks the chain against the SNI name it sends, so the host name must match too (sslsni=0 turns that off)',
  };
}
