// The access URL and the wildcard access URL read as Coder reads them. Coder parses
// CODER_ACCESS_URL with Go's net/url (serpent.URL: no validation beyond url.Parse) and checks
// CODER_WILDCARD_ACCESS_URL with appurl.CompileHostnamePattern (coderd/workspaceapps/appurl,
// v2.30.0): one asterisk, at the start, at least two labels, no scheme. The agent's init script
// is built from the access URL resolved against "/" (terraform-provider-coder agent.go:
// config.URL.Parse("/")), so a path in the access URL is dropped for the agent download.
// Only node: imports: this file is bundled into the probe agent too.
import { isIP } from 'node:net';

export type HostKind =
  | 'loopback'
  | 'unspecified'
  /** RFC 1918, CGNAT, link-local, unique-local IPv6. */
  | 'private-ip'
  /** 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32 (RFC 5737, 3849). */
  | 'documentation-ip'
  | 'public-ip'
  /** *.svc, *.svc.cluster.local, *.cluster.local: resolvable only inside a cluster. */
  | 'cluster-internal'
  /** RFC 2606 / 6761 names that never resolve publicly: *.example, *.invalid, example.com/.net/.org. */
  | 'documentation-name'
  /** One label, or a TLD kept for private networks (.local, .internal, .lan, .home.arpa, .corp, .test, …). */
  | 'private-name'
  | 'public-name';

export interface ParsedAccessUrl {
  raw: string;
  /** raw with any user:password@ masked, for messages. */
  display: string;
  scheme: 'http' | 'https';
  /** Lower case, brackets removed for IPv6, no trailing dot. */
  host: string;
  /** As written, or the scheme's default. */
  port: number;
  portGiven: boolean;
  /** '' or '/' means none. */
  path: string;
  query: string;
  fragment: string;
  userinfo: boolean;
  hostKind: HostKind;
  /** host[:port] for a Host header (the port only when not the scheme's default). */
  authority: string;
}

export type AccessUrlParse = { ok: true; url: ParsedAccessUrl } | { ok: false; problem: string; coderRefuses: boolean };

const PRIVATE_TLDS = new Set(['local', 'internal', 'lan', 'home', 'corp', 'intranet', 'private', 'localdomain', 'test', 'home.arpa']);

/** Where a control character or a space sits in a value (never the value itself). */
export function controlCharAt(s: string): { index: number; kind: string } | undefined {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return { index: i, kind: c === 0x0a ? 'a line feed' : c === 0x0d ? 'a carriage return' : c === 0x09 ? 'a tab' : `control character 0x${c.toString(16).padStart(2, '0')}` };
    if (c === 0x20) return { index: i, kind: 'a space' };
  }
  return undefined;
}

function ipv4Kind(ip: string): HostKind {
  const [a, b, c] = ip.split('.').map(Number) as [number, number, number];
  if (a === 127) return 'loopback';
  if (a === 0) return 'unspecified';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254)) return 'private-ip';
  if ((a === 192 && b === 0 && c === 2) || (a === 198 && b === 51 && c === 100) || (a === 203 && b === 0 && c === 113)) return 'documentation-ip';
  return 'public-ip';
}

/** The 8 groups of an IPv6 address, expanded (WHATWG serialises it compressed, in hex only). */
function ipv6Groups(ip: string): number[] {
  const canonical = new URL(`http://[${ip.replace(/%.*$/, '')}]`).hostname.replace(/^\[|\]$/g, '');
  const [head, rest] = canonical.includes('::') ? canonical.split('::') : [canonical, undefined];
  const parse = (s: string | undefined) => (s ? s.split(':').map((x) => parseInt(x, 16)) : []);
  const h = parse(head);
  const r = parse(rest);
  return rest === undefined ? h : [...h, ...new Array(8 - h.length - r.length).fill(0), ...r];
}

function ipv6Kind(ip: string): HostKind {
  const g = ipv6Groups(ip);
  if (g.every((x) => x === 0)) return 'unspecified';
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return 'loopback';
  // ::ffff:a.b.c.d
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return ipv4Kind(`${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`);
  if ((g[0]! & 0xfe00) === 0xfc00 || (g[0]! & 0xffc0) === 0xfe80) return 'private-ip';
  if (g[0] === 0x2001 && g[1] === 0x0db8) return 'documentation-ip';
  return 'public-ip';
}

export function hostKind(hostIn: string): HostKind {
  const host = hostIn.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  const v = isIP(host.replace(/%.*$/, ''));
  if (v === 4) return ipv4Kind(host);
  if (v === 6) return ipv6Kind(host);
  if (host === 'localhost' || host.endsWith('.localhost')) return 'loopback';
  if (/(^|\.)svc(\.|$)/.test(host) || host.endsWith('.cluster.local')) return 'cluster-internal';
  const labels = host.split('.');
  const tld = labels[labels.length - 1]!;
  if (tld === 'example' || tld === 'invalid' || /(^|\.)example\.(com|net|org)$/.test(host)) return 'documentation-name';
  if (labels.length === 1 || PRIVATE_TLDS.has(tld) || host.endsWith('.home.arpa')) return 'private-name';
  return 'public-name';
}

/** Read the access URL as Coder would; a URL Coder refuses or misreads is a problem in words (positions, never the value). */
export function parseAccessUrl(raw: string): AccessUrlParse {
  const cc = controlCharAt(raw);
  if (cc) {
    return { ok: false, coderRefuses: true, problem: `it contains ${cc.kind} at position ${cc.index + 1}: Go's URL parser refuses it (invalid control character) or reads the whole value as a path, and Coder does not start or uses a broken URL` };
  }
  if (raw === '') return { ok: false, coderRefuses: false, problem: 'it is empty' };
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(raw)?.[1]?.toLowerCase();
  if (!scheme || !raw.slice(scheme.length + 1).startsWith('//')) {
    return { ok: false, coderRefuses: false, problem: `it has no scheme: Go reads "${scheme ? `${scheme}:…` : 'host…'}" as ${scheme ? 'an opaque URL' : 'a path'} with no host, so every link, redirect and agent download Coder builds from it is broken; write https://<host> (or http://)` };
  }
  if (scheme !== 'http' && scheme !== 'https') return { ok: false, coderRefuses: false, problem: `its scheme is ${scheme}: Coder serves http and https only` };
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return { ok: false, coderRefuses: true, problem: 'it is not a valid URL (the host or the port cannot be read)' };
  }
  const host = u.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '');
  if (!host) return { ok: false, coderRefuses: false, problem: 'it has no host' };
  const port = u.port ? Number(u.port) : scheme === 'https' ? 443 : 80;
  // WHATWG drops a default port; Go keeps what was written. Only "given" matters here.
  const portGiven = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/(?:[^@/?#]*@)?(?:\[[^\]]*\]|[^:/?#]*):\d+/.test(raw);
  const ipv6 = isIP(host) === 6;
  const defaultPort = port === (scheme === 'https' ? 443 : 80);
  return {
    ok: true,
    url: {
      raw,
      display: maskUserinfo(raw),
      scheme,
      host,
      port,
      portGiven,
      path: u.pathname === '/' ? '' : u.pathname,
      query: u.search.replace(/^\?/, ''),
      fragment: u.hash.replace(/^#/, ''),
      userinfo: u.username !== '' || u.password !== '',
      hostKind: hostKind(host),
      authority: `${ipv6 ? `[${host}]` : host}${defaultPort ? '' : `:${port}`}`,
    },
  };
}

/** The URL with a user:password@ part masked (never shown, not even partly). */
export function maskUserinfo(raw: string): string {
  return raw.replace(/^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)[^@/?#]*@/, '$1***@');
}

/** The password of a user:password@ part, to register with the redactor. */
export function userinfoSecrets(raw: string): string[] {
  const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^@/?#]*)@/.exec(raw);
  if (!m) return [];
  // The user name alone is not a secret (and masking a common word like "admin" everywhere would mangle reports).
  const pass = m[1]!.includes(':') ? m[1]!.slice(m[1]!.indexOf(':') + 1) : '';
  return pass ? [m[1]!, pass, decodeURIComponentSafe(pass)] : [];
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export interface WildcardPattern {
  pattern: string;
  /** What the asterisk's label carries besides it: "" for *.example.com, "--apps" for *--apps.example.com. */
  labelSuffix: string;
  /** The labels after the first: "example.com". */
  domain: string;
  /** A port written in the pattern (Coder ignores it for matching, uses it for links). */
  port?: number;
  /** What follows the colon when it is not a number: Coder accepts it (net.SplitHostPort) and builds broken app links. */
  badPort?: string;
}

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** appurl.CompileHostnamePattern's rules, with its messages. */
export function parseWildcard(raw: string): { ok: true; wildcard: WildcardPattern } | { ok: false; problem: string } {
  const cc = controlCharAt(raw);
  if (cc) return { ok: false, problem: `hostname pattern contains ${cc.kind} at position ${cc.index + 1}` };
  let pattern = raw.toLowerCase();
  if (pattern.includes('http:') || pattern.includes('https:')) return { ok: false, problem: 'hostname pattern must not contain a scheme (write *.example.com, not https://*.example.com)' };
  if (pattern.startsWith('.') || pattern.endsWith('.')) return { ok: false, problem: 'hostname pattern must not start or end with a period' };
  if (!pattern.includes('.')) return { ok: false, problem: 'hostname pattern must contain at least two labels/segments' };
  if ((pattern.match(/\*/g) ?? []).length !== 1) return { ok: false, problem: 'hostname pattern must contain exactly one asterisk' };
  if (!pattern.startsWith('*')) return { ok: false, problem: 'hostname pattern must only contain an asterisk at the beginning' };
  // net.SplitHostPort: one colon (or [host]:port) splits, whatever follows it; more colons do not.
  let port: number | undefined;
  let portText: string | undefined;
  const hp = /^\[([^\]]*)\]:([^:]*)$/.exec(pattern) ?? (pattern.split(':').length === 2 ? /^([^:]*):(.*)$/.exec(pattern) : null);
  if (hp) {
    pattern = hp[1]!;
    portText = hp[2]!;
    if (/^\d+$/.test(portText)) port = Number(portText);
  }
  const labels = pattern.split('.');
  for (let i = 0; i < labels.length; i++) {
    const label = i === 0 ? `a${labels[i]!.slice(1)}` : labels[i]!;
    if (!LABEL.test(label)) return { ok: false, problem: `hostname pattern contains invalid label "${label}"` };
  }
  return { ok: true, wildcard: { pattern, labelSuffix: labels[0]!.slice(1), domain: labels.slice(1).join('.'), ...(port !== undefined ? { port } : {}), ...(portText !== undefined && port === undefined ? { badPort: portText } : {}) } };
}

/** A name the pattern matches, for looking it up and asking the server which certificate it serves. */
export function sampleWildcardName(w: WildcardPattern, label: string): string {
  return `${label}${w.labelSuffix}.${w.domain}`;
}

/** The Ingress host the chart derives from a wildcard pattern (regexReplaceAll "\\*[^.]*(\\..*)" → "*${1}"). */
export function ingressWildcardHost(pattern: string): string {
  return pattern.replace(/\*[^.]*(\..*)/, '*$1');
}

/** The chart's default when no CODER_ACCESS_URL is set (libcoder _helpers.tpl coder.defaultAccessURL). */
export function chartDefaultAccessUrl(namespace: string, tls: boolean): string {
  return `${tls ? 'https' : 'http'}://coder.${namespace}.svc.cluster.local`;
}
