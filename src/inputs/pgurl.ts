// Read a PostgreSQL connection string exactly as Coder does, step by step, not as `pg` would:
//   1. Coder's escapePostgresURLUserInfo (coder/coder v2.30.0 cli/server.go): Go's url.Parse on the
//      whole string; on "net/url: invalid userinfo" or `invalid port ".+" after host` it PathEscapes
//      what follows the last ":" before the first "@" and goes on; any other url.Parse error is
//      fatal. Key=value DSNs go through url.Parse too (a ':' before any '/' fails it).
//   2. lib/pq (github.com/coder/pq, the fork Coder links) NewConnector: a string that starts with
//      exactly "postgres://" or "postgresql://" goes through ParseURL (url.Parse again, u.Query()
//      dropping bad pairs silently, empty values skipped) into a key=value string; parseOpts reads
//      that; then the defaults and refusals (client_encoding, datestyle) — and, when it connects,
//      the driver settings, connect_timeout and sslmode (only disable/require/verify-ca/verify-full).
// Go works on bytes, so the string is handled as its UTF-8 bytes (a "byte string": one char per
// byte) until parseOpts, which works on runes as Go's does. Nothing is trimmed: Coder trims nothing.
// The port of Go's net/url keeps Go's function names (parse, parseAuthority, parseHost, unescape,
// shouldEscape) so each piece can be read against its original.
import { isIPv4, isIPv6 } from 'node:net';
import { userInfo } from 'node:os';
import { ConfigError } from '../errors.ts';

/** The fact that tells why Coder refuses a connection string (postgres.url-syntax judges it). */
export const URL_FACT = 'postgres.url';

export type SslMode = 'disable' | 'require' | 'verify-ca' | 'verify-full';
export const LIBPQ_SSLMODES: readonly string[] = ['disable', 'require', 'verify-ca', 'verify-full'];

/** What a problem in the string is; positions are 1-based characters of the string as given. */
export type PgSyntaxKind =
  | 'control-character'
  | 'bad-escape'
  | 'unescaped-in-password'
  | 'unescaped-in-user'
  | 'invalid-host'
  | 'invalid-port'
  /** A port lib/pq passes on and net.Dial refuses (not 0..65535, not a number). */
  | 'port-out-of-range'
  | 'ipv6-without-port'
  | 'dsn-colon'
  | 'dsn-syntax'
  | 'not-a-url'
  | 'scheme-case'
  | 'sslmode-unsupported'
  | 'param-invalid'
  /** connect_timeout below 0: lib/pq sets a deadline in the past, so every connection times out. */
  | 'negative-timeout'
  /** Not fatal: the URL parses, but not as it was meant. */
  | 'host-part-ends-early'
  | 'query-pair-dropped'
  | 'trailing-space'
  | 'leading-space'
  | 'reencoded-percent';

export interface PgSyntaxProblem {
  kind: PgSyntaxKind;
  /** What is wrong, naming kinds and positions, never the text of the password. */
  message: string;
  hint: string;
  /** 1-based position of the character in the string as given. */
  position?: number;
  /** The character, described (e.g. "'#' (number sign)"); never for characters of the password text beyond the offending one. */
  char?: string;
  /** The form to write instead (e.g. "%23"). */
  encoded?: string;
}

/** How the string was read: no secret in it. */
export interface PgSyntax {
  /** 'url': lib/pq's ParseURL read it; 'dsn': key=value. */
  form: 'url' | 'dsn';
  /** Characters of the string (code points). */
  length: number;
  /** The string itself gives a password (not --password-file or a prompt). */
  passwordInString: boolean;
  /** Characters of the password Coder's escapePostgresURLUserInfo encoded itself (it worked, but only in Coder). */
  coderEscaped: { position: number; char: string; encoded: string }[];
  /** Fatal: Coder refuses the string before it talks to the server. Empty when it parses. */
  problems: PgSyntaxProblem[];
  /** It parses, but probably not as meant. */
  warnings: PgSyntaxProblem[];
  /**
   * Go read the host part short (a '/', '?' or '#' of the password ended it): the port and the
   * database it reads come from the password, so reports leave them out.
   */
  misread?: boolean;
}

export interface PgSettings {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
  /** The sslmode as written (may be unsupported by lib/pq, e.g. "prefer"); undefined: none given (require). */
  sslmodeRaw: string | undefined;
  sslrootcert?: string;
  sslcert?: string;
  sslkey?: string;
  /** lib/pq sslinline=true: sslcert, sslkey and sslrootcert hold PEM text, not paths. */
  sslinline?: boolean;
  /** lib/pq sslsni: anything not starting with "1" turns SNI off (and so the host check of verify-ca). */
  sslsni?: string;
  connectTimeoutSec?: number;
  /** The string's own parameters beyond the fields above (search_path, options, sslsni, unknown ones…). */
  params: Record<string, string>;
  /**
   * Every run-time parameter lib/pq sends in the startup packet besides user and database: its
   * defaults (client_encoding, datestyle, extra_float_digits) and the string's own.
   */
  runtimeParams?: Record<string, string>;
  /** Where the settings came from (flag, env var, values file). */
  source: string;
  /** How the string was read (absent for settings built from values-file fields). */
  syntax?: PgSyntax;
}

/** The sslmode lib/pq will use, or an error string exactly as Coder would fail. */
export function effectiveSslMode(s: Pick<PgSettings, 'sslmodeRaw'>): { mode: SslMode } | { unsupported: string } {
  const raw = s.sslmodeRaw ?? '';
  if (raw === '') return { mode: 'require' };
  if (LIBPQ_SSLMODES.includes(raw)) return { mode: raw as SslMode };
  return {
    unsupported: `unsupported sslmode "${raw}"; only "require" (default), "verify-full", "verify-ca", and "disable" supported`,
  };
}

// ───────────── bytes ─────────────

const toBytes = (s: string) => Buffer.from(s, 'utf8').toString('latin1');
const fromBytes = (b: string) => Buffer.from(b, 'latin1').toString('utf8');
/** 1-based character position (code points) in the original string of byte offset `i`. */
const charPos = (b: string, i: number) => [...fromBytes(b.slice(0, i))].length + 1;

const NAMES: Record<string, string> = {
  ' ': 'a space', '\n': 'a line feed (\\n)', '\r': 'a carriage return (\\r)', '\t': 'a tab', '\0': 'a NUL byte', '\x7f': 'a DEL byte',
  '@': "'@' (at sign)", ':': "':' (colon)", '/': "'/' (slash)", '?': "'?' (question mark)", '#': "'#' (number sign)", '%': "'%' (percent sign)",
  '[': "'[' (left bracket)", ']': "']' (right bracket)", '{': "'{' (left brace)", '}': "'}' (right brace)", '"': "'\"' (double quote)",
  '<': "'<' (less-than sign)", '>': "'>' (greater-than sign)", '\\': "'\\' (backslash)", '^': "'^' (caret)", '`': "'`' (backquote)",
  '|': "'|' (vertical bar)", "'": '"\'" (single quote)', '=': "'=' (equals sign)", '&': "'&' (ampersand)", '+': "'+' (plus sign)",
};

/** A character described by kind, e.g. "'#' (number sign)"; control and non-ASCII characters by code. */
export function describeChar(c: string): string {
  if (NAMES[c]) return NAMES[c];
  const cp = c.codePointAt(0) ?? 0;
  if (cp < 0x20) return `a control character (U+${cp.toString(16).toUpperCase().padStart(4, '0')})`;
  if (cp >= 0x80) return `a non-ASCII character (U+${cp.toString(16).toUpperCase().padStart(4, '0')})`;
  return `'${c}'`;
}

/** Percent-encoding of one character (its UTF-8 bytes), e.g. "#" → "%23". */
export function percentEncode(c: string): string {
  return [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
}

/** The character at byte offset i of a byte string (whole UTF-8 sequence). */
function charAt(b: string, i: number): string {
  const rest = fromBytes(b.slice(i, i + 4));
  return [...rest][0] ?? '';
}

// ───────────── Go's net/url, the parts url.Parse uses ─────────────

type Enc = 'path' | 'pathSegment' | 'host' | 'zone' | 'userPassword' | 'queryComponent' | 'fragment';

/** An error from the Go port: Go's message, where it happened (byte offset) and what part it was in. */
type GoUrlErrorKind = 'ctl' | 'escape' | 'host-char' | 'host' | 'port' | 'userinfo' | 'colon' | 'scheme';
class GoUrlError extends Error {
  readonly at: number | undefined;
  readonly kind: GoUrlErrorKind;
  constructor(message: string, at: number | undefined, kind: GoUrlErrorKind) {
    super(message);
    this.at = at;
    this.kind = kind;
  }
}

const isAlnum = (c: number) => (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39);
const ishex = (c: string | undefined) => c !== undefined && /^[0-9a-fA-F]$/.test(c);
const goQuote = (s: string) => JSON.stringify(fromBytes(s));
/** A Go or lib/pq error text with every quoted piece of the input replaced: they may hold password characters. */
const scrub = (m: string) => m.replace(/"(?:[^"\\]|\\.)*"/g, '"…"');

// net/url shouldEscape (gen_encoding_table.go).
function shouldEscape(c: number, mode: Enc): boolean {
  if (isAlnum(c)) return false;
  const ch = String.fromCharCode(c);
  if ((mode === 'host' || mode === 'zone') && `!$&'()*+,;=:[]<>"`.includes(ch)) return false;
  if ('-_.~'.includes(ch)) return false;
  if ('$&+,/:;=?@'.includes(ch)) {
    switch (mode) {
      case 'path': return ch === '?';
      case 'pathSegment': return ch === '/' || ch === ';' || ch === ',' || ch === '?';
      case 'userPassword': return ch === '@' || ch === '/' || ch === '?' || ch === ':';
      case 'queryComponent': return true;
      case 'fragment': return false;
      default: break;
    }
  }
  if (mode === 'fragment' && '!()*'.includes(ch)) return false;
  return true;
}

// net/url unescape: `at` is the byte offset of s in the whole string, for positions.
function unescape(s: string, mode: Enc, at: number): string {
  let n = 0;
  let hasPlus = false;
  for (let i = 0; i < s.length; ) {
    const c = s.charCodeAt(i);
    if (s[i] === '%') {
      n++;
      if (i + 2 >= s.length || !ishex(s[i + 1]) || !ishex(s[i + 2])) {
        throw new GoUrlError(`invalid URL escape ${goQuote(s.slice(i, i + 3))}`, at + i, 'escape');
      }
      const v = parseInt(s.slice(i + 1, i + 3), 16);
      if (mode === 'host' && parseInt(s[i + 1]!, 16) < 8 && s.slice(i, i + 3) !== '%25') {
        throw new GoUrlError(`invalid URL escape ${goQuote(s.slice(i, i + 3))}`, at + i, 'escape');
      }
      if (mode === 'zone' && s.slice(i, i + 3) !== '%25' && v !== 0x20 && shouldEscape(v, 'host')) {
        throw new GoUrlError(`invalid URL escape ${goQuote(s.slice(i, i + 3))}`, at + i, 'escape');
      }
      i += 3;
    } else if (s[i] === '+') {
      hasPlus = mode === 'queryComponent';
      i++;
    } else {
      if ((mode === 'host' || mode === 'zone') && c < 0x80 && shouldEscape(c, mode)) {
        throw new GoUrlError(`invalid character ${goQuote(s[i]!)} in host name`, at + i, 'host-char');
      }
      i++;
    }
  }
  if (n === 0 && !hasPlus) return s;
  let t = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%') {
      t += String.fromCharCode(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (s[i] === '+') t += mode === 'queryComponent' ? ' ' : '+';
    else t += s[i];
  }
  return t;
}

function escape(s: string, mode: Enc): string {
  let t = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x20 && mode === 'queryComponent') t += '+';
    else if (shouldEscape(c, mode)) t += `%${c.toString(16).toUpperCase().padStart(2, '0')}`;
    else t += s[i];
  }
  return t;
}

/** Go's url.PathEscape, on a byte string. */
const pathEscape = (s: string) => escape(s, 'pathSegment');

interface GoUrl {
  scheme: string;
  opaque: string;
  user?: { username: string; password?: string };
  host: string;
  /** Byte offset where the authority starts and ends (after "//", before the path), when there is one. */
  authority?: { start: number; end: number; userinfoEnd: number };
  path: string;
  rawQuery: string;
  /** Byte offset of the query text (after '?'). */
  queryAt: number;
  fragment: string;
}

function getScheme(raw: string): { scheme: string; rest: string } {
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a)) continue;
    if ((c >= 0x30 && c <= 0x39) || raw[i] === '+' || raw[i] === '-' || raw[i] === '.') {
      if (i === 0) return { scheme: '', rest: raw };
      continue;
    }
    if (raw[i] === ':') {
      if (i === 0) throw new GoUrlError('missing protocol scheme', 0, 'scheme');
      return { scheme: raw.slice(0, i), rest: raw.slice(i + 1) };
    }
    return { scheme: '', rest: raw };
  }
  return { scheme: '', rest: raw };
}

function validUserinfo(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isAlnum(c)) continue;
    if (`-._:~!$&'()*+,;=%@`.includes(s[i]!)) continue;
    return i;
  }
  return -1;
}

function validOptionalPort(port: string): boolean {
  if (port === '') return true;
  if (port[0] !== ':') return false;
  return /^[0-9]*$/.test(port.slice(1));
}

function parseHost(host: string, at: number): string {
  const open = host.lastIndexOf('[');
  if (open > 0) throw new GoUrlError('invalid IP-literal', at + open, 'host');
  if (open === 0) {
    const close = host.lastIndexOf(']');
    if (close < 0) throw new GoUrlError("missing ']' in host", at, 'host');
    const colonPort = host.slice(close + 1);
    if (!validOptionalPort(colonPort)) throw new GoUrlError(`invalid port ${goQuote(colonPort)} after host`, at + close + 1, 'port');
    const port = unescape(colonPort, 'host', at + close + 1);
    const hostname = host.slice(1, close);
    const zone = hostname.indexOf('%25');
    const unescaped = zone >= 0 ? unescape(hostname.slice(0, zone), 'host', at + 1) + unescape(hostname.slice(zone), 'zone', at + 1 + zone) : unescape(hostname, 'host', at + 1);
    // netip.ParseAddr: an IPv6 address (an IPv4-mapped one too, zone allowed); a plain IPv4 is refused.
    if (isIPv4(unescaped)) throw new GoUrlError('invalid IP-literal', at, 'host');
    if (!isIPv6(unescaped)) throw new GoUrlError(`invalid host: ParseAddr(${goQuote(unescaped)}): not an IPv6 address`, at, 'host');
    return `[${unescaped}]${port}`;
  }
  const i = host.lastIndexOf(':'); // postgres:// is not http(s): the last colon starts the port (Go 1.25 and 1.26 alike)
  if (i !== -1) {
    const colonPort = host.slice(i);
    if (!validOptionalPort(colonPort)) throw new GoUrlError(`invalid port ${goQuote(colonPort)} after host`, at + i, 'port');
  }
  return unescape(host, 'host', at);
}

function parseAuthority(authority: string, at: number): { user?: GoUrl['user']; host: string; userinfoEnd: number } {
  const i = authority.lastIndexOf('@');
  const host = parseHost(i < 0 ? authority : authority.slice(i + 1), i < 0 ? at : at + i + 1);
  if (i < 0) return { host, userinfoEnd: at };
  const userinfo = authority.slice(0, i);
  const bad = validUserinfo(userinfo);
  if (bad >= 0) throw new GoUrlError('net/url: invalid userinfo', at + bad, 'userinfo');
  const colon = userinfo.indexOf(':');
  if (colon < 0) return { user: { username: unescape(userinfo, 'userPassword', at) }, host, userinfoEnd: at + i };
  return {
    user: { username: unescape(userinfo.slice(0, colon), 'userPassword', at), password: unescape(userinfo.slice(colon + 1), 'userPassword', at + colon + 1) },
    host,
    userinfoEnd: at + i,
  };
}

// net/url parse(rawURL, viaRequest=false), plus Parse's fragment handling.
function goParse(raw: string): GoUrl {
  const hash = raw.indexOf('#');
  const u = hash >= 0 ? raw.slice(0, hash) : raw;
  const frag = hash >= 0 ? raw.slice(hash + 1) : '';
  for (let i = 0; i < u.length; i++) {
    const c = u.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) throw new GoUrlError('net/url: invalid control character in URL', i, 'ctl');
  }
  const url: GoUrl = { scheme: '', opaque: '', host: '', path: '', rawQuery: '', queryAt: -1, fragment: '' };
  if (u !== '*') {
    const got = getScheme(u);
    url.scheme = got.scheme.toLowerCase();
    let rest = got.rest;
    const restAt = u.length - rest.length;
    if (rest.endsWith('?') && rest.split('?').length === 2) rest = rest.slice(0, -1);
    else {
      const q = rest.indexOf('?');
      if (q >= 0) {
        url.rawQuery = rest.slice(q + 1);
        url.queryAt = restAt + q + 1;
        rest = rest.slice(0, q);
      }
    }
    let done = false;
    if (!rest.startsWith('/')) {
      if (url.scheme !== '') {
        url.opaque = rest;
        done = true;
      } else {
        const seg = rest.split('/')[0]!;
        const colon = seg.indexOf(':');
        if (colon >= 0) throw new GoUrlError('first path segment in URL cannot contain colon', restAt + colon, 'colon');
      }
    }
    if (!done) {
      let pathAt = restAt;
      if ((url.scheme !== '' || !rest.startsWith('///')) && rest.startsWith('//')) {
        let authority = rest.slice(2);
        rest = '';
        const slash = authority.indexOf('/');
        if (slash >= 0) {
          rest = authority.slice(slash);
          authority = authority.slice(0, slash);
        }
        const a = parseAuthority(authority, restAt + 2);
        if (a.user) url.user = a.user;
        url.host = a.host;
        url.authority = { start: restAt + 2, end: restAt + 2 + authority.length, userinfoEnd: a.userinfoEnd };
        pathAt = restAt + 2 + authority.length;
      }
      url.path = unescape(rest, 'path', pathAt);
    }
  }
  if (frag !== '') url.fragment = unescape(frag, 'fragment', hash + 1);
  return url;
}

/** net/url ParseQuery, errors dropped as url.Query() drops them (with where each dropped pair was). */
function goQuery(q: string, at: number): { values: Map<string, string[]>; dropped: { at: number; why: string }[] } {
  const values = new Map<string, string[]>();
  const dropped: { at: number; why: string }[] = [];
  let off = 0;
  for (const pair of q === '' ? [] : q.split('&')) {
    const here = at + off;
    off += pair.length + 1;
    if (pair.includes(';')) {
      dropped.push({ at: here + pair.indexOf(';'), why: "a ';' (Go refuses semicolons as separators)" });
      continue;
    }
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    try {
      const k = unescape(eq >= 0 ? pair.slice(0, eq) : pair, 'queryComponent', here);
      const v = unescape(eq >= 0 ? pair.slice(eq + 1) : '', 'queryComponent', here + eq + 1);
      values.set(k, [...(values.get(k) ?? []), v]);
    } catch (e) {
      dropped.push({ at: (e as GoUrlError).at ?? here, why: 'an invalid % escape' });
    }
  }
  return { values, dropped };
}

/** net.SplitHostPort. */
function splitHostPort(hp: string): { host: string; port: string } | undefined {
  const i = hp.lastIndexOf(':');
  if (i < 0) return undefined;
  let host: string;
  let j = 0;
  let k = 0;
  if (hp[0] === '[') {
    const end = hp.indexOf(']');
    if (end < 0 || end + 1 === hp.length || end + 1 !== i) return undefined;
    host = hp.slice(1, end);
    j = 1;
    k = end + 1;
  } else {
    host = hp.slice(0, i);
    if (host.includes(':')) return undefined;
  }
  if (hp.slice(j).includes('[') || hp.slice(k).includes(']')) return undefined;
  return { host, port: hp.slice(i + 1) };
}

// ───────────── Coder's escape, lib/pq's ParseURL and parseOpts ─────────────

class CoderRefusal extends Error {
  readonly problem: Omit<PgSyntaxProblem, 'message'> & { message?: string };
  constructor(message: string, problem: Omit<PgSyntaxProblem, 'message'> & { message?: string }) {
    super(message);
    this.problem = problem;
  }
}

/** Coder v2.30.0 escapePostgresURLUserInfo (cli/server.go), on a byte string. */
function coderEscape(v: string): { url: string; escapedAt: number[] } | { error: GoUrlError; stage: 'escape' | 'no-at' } {
  try {
    goParse(v);
    return { url: v, escapedAt: [] };
  } catch (e) {
    const err = e as GoUrlError;
    if (!(err instanceof GoUrlError)) throw e;
    if (err.kind !== 'userinfo' && !/invalid port ".+" after host/.test(err.message)) return { error: err, stage: 'escape' };
    const at = v.indexOf('@');
    if (at < 0) return { error: err, stage: 'no-at' };
    const before = v.slice(0, at);
    const colon = before.lastIndexOf(':');
    const password = before.slice(colon + 1);
    const escapedAt: number[] = [];
    for (let i = 0; i < password.length; i++) if (pathEscape(password[i]!) !== password[i]) escapedAt.push(colon + 1 + i);
    return { url: before.slice(0, colon + 1) + pathEscape(password) + v.slice(at), escapedAt };
  }
}

/** lib/pq ParseURL: a URL into a key=value string (byte string in, byte string out). */
function pqParseUrl(url: string, dropped: { at: number; why: string }[]): string {
  const u = goParse(url);
  if (u.scheme !== 'postgres' && u.scheme !== 'postgresql') throw new GoUrlError(`invalid connection protocol: ${u.scheme}`, 0, 'scheme');
  const kvs: string[] = [];
  const accrue = (k: string, v: string) => {
    if (v !== '') kvs.push(`${k}='${v.replace(/['\\]/g, (c) => `\\${c}`)}'`);
  };
  if (u.user) {
    accrue('user', u.user.username);
    accrue('password', u.user.password ?? '');
  }
  const hp = splitHostPort(u.host);
  if (!hp) accrue('host', u.host);
  else {
    accrue('host', hp.host);
    accrue('port', hp.port);
  }
  if (u.path !== '') accrue('dbname', u.path.slice(1));
  const q = goQuery(u.rawQuery, u.queryAt);
  dropped.push(...q.dropped);
  for (const [k, vs] of q.values) accrue(k, vs[0]!);
  kvs.sort();
  return kvs.join(' ');
}

// Go's unicode.IsSpace.
const isSpace = (r: string | undefined) => r !== undefined && /^[\t\n\v\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]$/u.test(r);

/** lib/pq parseOpts (conn.go), on runes; errors carry the rune index. */
function parseOpts(name: string, o: Map<string, string>): void {
  const s = [...name];
  let i = 0;
  const next = (): string | undefined => (i < s.length ? s[i++] : undefined);
  const skipSpaces = (): string | undefined => {
    let r = next();
    while (r !== undefined && isSpace(r)) r = next();
    return r;
  };
  for (;;) {
    let r = skipSpaces();
    if (r === undefined) break;
    const keyStart = i - 1;
    let key = '';
    while (r !== undefined && !isSpace(r) && r !== '=') {
      key += r;
      r = next();
    }
    if (r !== '=') r = skipSpaces();
    if (r !== '=') throw new CoderRefusal(`missing "=" after ${JSON.stringify(key)} in connection info string"`, { kind: 'dsn-syntax', position: keyStart + 1, message: `the word at position ${keyStart + 1} has no '=' after it (lib/pq: missing "=" … in connection info string)`, hint: 'write each setting as key=value; quote values with spaces in single quotes' });
    r = skipSpaces();
    if (r === undefined) {
      o.set(key, '');
      break;
    }
    let val = '';
    if (r !== "'") {
      while (r !== undefined && !isSpace(r)) {
        if (r === '\\') {
          r = next();
          if (r === undefined) throw new CoderRefusal('missing character after backslash', { kind: 'dsn-syntax', position: i, message: `the backslash at position ${i} ends the string (lib/pq: missing character after backslash)`, hint: 'a backslash must be followed by the character it escapes' });
        }
        val += r;
        r = next();
      }
    } else {
      const quoteAt = i;
      for (;;) {
        r = next();
        if (r === undefined) throw new CoderRefusal('unterminated quoted string literal in connection string', { kind: 'dsn-syntax', position: quoteAt, message: `the quote at position ${quoteAt} is never closed (lib/pq: unterminated quoted string literal)`, hint: "close the single-quoted value (a ' inside it is written \\')" });
        if (r === "'") break;
        if (r === '\\') r = next() ?? '';
        val += r;
      }
    }
    o.set(key, val);
  }
}

/** lib/pq isDriverSetting: the keys it keeps; every other one goes to the server. */
export function isDriverSetting(key: string): boolean {
  return ['host', 'port', 'password', 'sslmode', 'sslcert', 'sslkey', 'sslrootcert', 'sslinline', 'sslsni', 'fallback_application_name', 'connect_timeout', 'disable_prepared_binary_result', 'binary_parameters', 'krbsrvname', 'krbspn'].includes(key);
}

const isUtf8Name = (n: string) => ['utf8', 'unicode'].includes(n.toLowerCase().replace(/[^a-z0-9]/g, ''));

/** The OS user lib/pq falls back to (user.Current()); in Coder's image that is "coder". */
function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'postgres';
  }
}

/** lib/pq NewConnector's defaults and refusals, then the checks open() makes before it dials. */
function pqConnector(dsn: string): Map<string, string> {
  const o = new Map<string, string>([['host', 'localhost'], ['port', '5432'], ['extra_float_digits', '2']]);
  // (NewConnector also reads PG* environment variables: those of Coder's pod, not ours — none here.)
  parseOpts(dsn, o);
  if (o.has('fallback_application_name') && !o.has('application_name')) o.set('application_name', o.get('fallback_application_name')!);
  if (o.has('client_encoding') && !isUtf8Name(o.get('client_encoding')!)) throw new CoderRefusal("client_encoding must be absent or 'UTF8'", { kind: 'param-invalid', hint: 'remove client_encoding, or set it to UTF8' });
  o.set('client_encoding', 'UTF8');
  if (o.has('datestyle') && o.get('datestyle') !== 'ISO, MDY') throw new CoderRefusal(`setting datestyle must be absent or ISO, MDY; got ${o.get('datestyle')}`, { kind: 'param-invalid', hint: 'remove datestyle from the connection string' });
  if (!o.has('datestyle')) o.set('datestyle', 'ISO, MDY');
  if (!o.has('user')) o.set('user', osUser());
  if ((o.get('host') ?? '').startsWith('/')) o.set('sslmode', 'disable');
  // open(): handleDriverSettings, then dial()'s connect_timeout, then ssl()'s sslmode.
  for (const k of ['disable_prepared_binary_result', 'binary_parameters']) {
    const v = o.get(k);
    if (v !== undefined && v !== 'yes' && v !== 'no') throw new CoderRefusal(`unrecognized value ${JSON.stringify(v)} for ${k}`, { kind: 'param-invalid', hint: `set ${k} to yes or no, or remove it` });
  }
  const ct = o.get('connect_timeout');
  if (ct !== undefined && ct !== '0' && !/^[+-]?[0-9]+$/.test(ct)) {
    throw new CoderRefusal(`invalid value for parameter connect_timeout: ${JSON.stringify(ct)} is not a whole number of seconds`, { kind: 'param-invalid', hint: 'connect_timeout is a whole number of seconds (e.g. connect_timeout=10)' });
  }
  if (ct !== undefined && Number(ct) < 0) {
    throw new CoderRefusal(`connect_timeout=${ct} sets a deadline in the past: every connection times out`, { kind: 'negative-timeout', message: `connect_timeout=${ct} is below 0: lib/pq dials with a deadline already past, so every connection times out`, hint: 'connect_timeout is a whole number of seconds ≥ 0 (0: no limit); use e.g. connect_timeout=10' });
  }
  const eff = effectiveSslMode({ sslmodeRaw: o.get('sslmode') });
  if ('unsupported' in eff) {
    throw new CoderRefusal(`pq: ${eff.unsupported}`, { kind: 'sslmode-unsupported', hint: 'use sslmode=disable, require, verify-ca or verify-full (lib/pq supports no other: not prefer or allow)' });
  }
  return o;
}

// ───────────── the whole pipeline ─────────────

export type PgParse = { ok: true; settings: PgSettings } | { ok: false; syntax: PgSyntax; message: string; hint: string };

const isUrlPrefix = (b: string) => b.startsWith('postgres://') || b.startsWith('postgresql://');

/** Where the user meant the password to be: after the first ':' of the text between "://" and the last '@'. */
function intendedUserinfo(b: string): { userAt: number; userEnd: number; pwAt: number; pwEnd: number } | undefined {
  const start = b.indexOf('://');
  if (start < 0) return undefined;
  const at = b.lastIndexOf('@');
  if (at <= start) return undefined;
  const info = b.slice(start + 3, at);
  const colon = info.indexOf(':');
  return colon < 0 ? { userAt: start + 3, userEnd: at, pwAt: -1, pwEnd: -1 } : { userAt: start + 3, userEnd: start + 3 + colon, pwAt: start + 3 + colon + 1, pwEnd: at };
}

/** Every character of b[from,to) that a URL's user info cannot hold as written. */
function unencoded(b: string, from: number, to: number, what: 'password' | 'user'): PgSyntaxProblem[] {
  const out: PgSyntaxProblem[] = [];
  for (let i = from; i < to; ) {
    const c = charAt(b, i);
    const len = Buffer.byteLength(c, 'utf8');
    const code = b.charCodeAt(i);
    const badPercent = c === '%' && !(ishex(b[i + 1]) && ishex(b[i + 2]));
    const reserved = '/?#'.includes(c) || (what === 'user' && c === ':');
    // Go's validUserinfo takes ASCII letters, digits and -._:~!$&'()*+,;=%@ only (a non-ASCII one too is refused).
    const invalid = code >= 0x80 || (!isAlnum(code) && !`-._:~!$&'()*+,;=%@`.includes(c));
    if (badPercent || reserved || invalid || code < 0x20 || code === 0x7f) {
      const pos = charPos(b, i);
      out.push({
        kind: what === 'password' ? 'unescaped-in-password' : 'unescaped-in-user',
        position: pos,
        char: describeChar(c),
        encoded: percentEncode(c),
        message: `${describeChar(c)} at position ${pos}, in the ${what}`,
        hint: `write it as ${percentEncode(c)}`,
      });
    }
    i += len;
  }
  return out;
}

function ctlProblem(b: string, at: number): PgSyntaxProblem {
  const c = b[at]!;
  const pos = charPos(b, at);
  const total = charPos(b, b.length) - 1;
  const trailing = /^[\r\n\t ]*$/.test(b.slice(at)) && at > 0;
  return {
    kind: 'control-character',
    position: pos,
    char: describeChar(c),
    message: trailing
      ? `it ends with ${describeChar(c)} at position ${pos} of ${total}: Go's url.Parse refuses control characters ("net/url: invalid control character in URL"), so Coder refuses the whole URL`
      : `${describeChar(c)} at position ${pos}: Go's url.Parse refuses control characters ("net/url: invalid control character in URL"), so Coder refuses the whole URL`,
    hint: trailing
      ? "remove the line break: a Secret made with `echo` or from a file keeps the file's final newline (use `printf '%s'` or `kubectl create secret generic … --from-literal`)"
      : 'remove the control character from the connection string',
  };
}

/** Turn a Go url.Parse error into the problem a person can act on. */
function urlProblem(b: string, err: GoUrlError, form: 'url' | 'dsn'): PgSyntaxProblem[] {
  const at = err.at ?? 0;
  const info = form === 'url' ? intendedUserinfo(b) : undefined;
  const inPw = info && info.pwAt >= 0 && at >= info.pwAt && at < info.pwEnd;
  switch (err.kind) {
    case 'ctl':
      return [ctlProblem(b, at)];
    case 'escape': {
      const pos = charPos(b, at);
      const where = inPw ? 'the password' : info && at >= info.userAt && at < info.userEnd ? 'the user name' : form === 'dsn' ? 'the connection string' : 'the URL';
      return [{ kind: 'bad-escape', position: pos, char: "'%' (percent sign)", encoded: '%25', message: `a '%' at position ${pos}, in ${where}, is not followed by two hex digits (Go: invalid URL escape)`, hint: "write a literal '%' as %25" }];
    }
    case 'userinfo': {
      const probs = info ? [...unencoded(b, info.userAt, info.userEnd, 'user'), ...(info.pwAt >= 0 ? unencoded(b, info.pwAt, info.pwEnd, 'password') : [])] : [];
      if (probs.length) return probs;
      const pos = charPos(b, at);
      return [{ kind: 'unescaped-in-password', position: pos, char: describeChar(charAt(b, at)), encoded: percentEncode(charAt(b, at)), message: `${describeChar(charAt(b, at))} at position ${pos} is not allowed in the user info`, hint: `write it as ${percentEncode(charAt(b, at))}` }];
    }
    case 'port': {
      if (info && info.pwAt >= 0) {
        const probs = unencoded(b, info.pwAt, info.pwEnd, 'password');
        if (probs.length) return probs;
      }
      const pos = charPos(b, at);
      return [{ kind: 'invalid-port', position: pos, message: `the port at position ${pos} is not a number (Go: ${err.message.replace(/"[^"]*"/, '…')})`, hint: 'write host:port with a numeric port, or encode the characters of the password' }];
    }
    case 'host-char':
    case 'host': {
      const pos = charPos(b, at);
      return [{ kind: 'invalid-host', position: pos, ...(err.kind === 'host-char' ? { char: describeChar(charAt(b, at)) } : {}), message: err.kind === 'host-char' ? `${describeChar(charAt(b, at))} at position ${pos} cannot be in a host name` : `the host at position ${pos} is not valid (Go: ${err.message})`, hint: 'check the host part; an IPv6 address goes in [brackets], e.g. [fd00::1]:5432' }];
    }
    case 'colon': {
      const pos = charPos(b, at);
      return [{ kind: 'dsn-colon', position: pos, char: "':' (colon)", message: `Coder runs Go's url.Parse on every connection string, and this key=value string has a ':' at position ${pos} before any '/' ("first path segment in URL cannot contain colon")`, hint: "use a postgres:// URL instead (the user, ':', the password URL-encoded — ':' as %3A — then '@', host:port and /database)" }];
    }
    case 'scheme':
      return [{ kind: 'not-a-url', position: 1, message: `it is not a URL or a key=value string (Go: ${err.message})`, hint: 'use postgres://user:password@host:5432/db?sslmode=…' }];
  }
}

/**
 * Read a connection string as Coder will: never throws; a string Coder refuses gives `ok: false`
 * with what is wrong and where (no secret in it).
 */
export function parsePgConnString(input: string, source: string): PgParse {
  const b = toBytes(input);
  const syntax: PgSyntax = { form: isUrlPrefix(b) ? 'url' : 'dsn', length: [...input].length, passwordInString: false, coderEscaped: [], problems: [], warnings: [] };
  const refuse = (problems: PgSyntaxProblem[], goMessage: string): PgParse => {
    syntax.problems = problems;
    const first = problems[0]!;
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more: ${problems.slice(1).map((p) => p.char ? `${p.char} at ${p.position}` : p.kind).join(', ')})` : '';
    return { ok: false, syntax, message: `Coder would refuse the ${syntax.form === 'url' ? 'URL' : 'connection string'} from ${source}: ${first.message}${more}`, hint: first.hint + (goMessage ? ` (Coder's error: ${scrub(goMessage)})` : '') };
  };
  if (/^postgres(ql)?:\/\//i.test(b) && !isUrlPrefix(b)) {
    // lib/pq then reads it as key=value: everything up to the first '=' is one parameter name
    // (password and all), sent to the server, and the host defaults to localhost:5432. We do not
    // follow it there: it would send the password to whatever listens on this machine's 5432.
    return refuse([{ kind: 'scheme-case', position: 1, message: 'lib/pq takes a URL only when it starts with exactly "postgres://" or "postgresql://" in lower case; it reads this one as a key=value string — the text up to the first \'=\' becomes one parameter name, password included, and the host defaults to localhost:5432', hint: 'write the scheme in lower case: postgres://' }], '');
  }
  // 1. Coder's escapePostgresURLUserInfo.
  const esc = coderEscape(b);
  if ('error' in esc) {
    const form = syntax.form;
    const lead = /^[\t\n\v\f\r ]+/.exec(b);
    if (lead && /^postgres(ql)?:\/\//.test(b.slice(lead[0].length))) {
      return refuse([{ kind: 'leading-space', position: 1, char: describeChar(b[0]!), message: `it starts with ${describeChar(b[0]!)}: Go's url.Parse then finds no scheme, and Coder refuses it`, hint: 'remove the white space before postgres://' }], `parse postgres url: ${esc.error.message}`);
    }
    if (esc.stage === 'no-at') return refuse(urlProblem(b, esc.error, form), 'invalid postgres url with userinfo');
    return refuse(urlProblem(b, esc.error, form), `parse postgres url: ${esc.error.message}`);
  }
  for (const i of esc.escapedAt) {
    const c = charAt(b, i);
    syntax.coderEscaped.push({ position: charPos(b, i), char: describeChar(c), encoded: percentEncode(c) });
  }
  if (esc.escapedAt.some((i) => b[i] === '%')) {
    syntax.warnings.push({ kind: 'reencoded-percent', message: "Coder's escaping encodes every '%' of the password again, so an escape already in it (like %40) reaches the server as the three characters, not as the character it stands for", hint: 'encode every special character of the password yourself (so Coder leaves the URL alone)' });
  }
  // 2. lib/pq.
  const dropped: { at: number; why: string }[] = [];
  let dsn: string;
  const url = esc.url;
  try {
    dsn = isUrlPrefix(url) ? fromBytes(pqParseUrl(url, dropped)) : fromBytes(url);
  } catch (e) {
    if (!(e instanceof GoUrlError)) throw e;
    // The URL still does not parse after Coder's escaping: report against the string as given.
    if (e.kind === 'userinfo' || e.kind === 'port') {
      const info = intendedUserinfo(b);
      const probs = info ? [...unencoded(b, info.userAt, info.userEnd, 'user'), ...(info.pwAt >= 0 ? unencoded(b, info.pwAt, info.pwEnd, 'password') : [])] : [];
      if (probs.length) return refuse(probs, e.message);
    }
    const mapped = esc.escapedAt.length ? new GoUrlError(e.message, undefined, e.kind) : e;
    return refuse(urlProblem(b, mapped, 'url'), e.message);
  }
  let o: Map<string, string>;
  try {
    o = pqConnector(dsn);
  } catch (e) {
    if (!(e instanceof CoderRefusal)) throw e;
    // A parseOpts position counts runes of the key=value text: the string itself only for a DSN.
    const { position, ...p } = e.problem;
    const ws = p.kind === 'sslmode-unsupported' && /^\s|\s$/.test(o0(dsn).get('sslmode') ?? '');
    return refuse([{ ...p, ...(position !== undefined && syntax.form === 'dsn' ? { position } : {}), message: p.message ?? e.message.replace(/^pq: /, ''), ...(ws ? { hint: 'the sslmode value ends (or starts) with white space, which Coder keeps: remove it' } : {}) }], e.message);
  }

  // It parses. What may not be what was meant:
  if (syntax.form === 'url') {
    const u = goParse(url);
    const a = u.authority;
    if (a && !u.user && esc.escapedAt.length === 0) {
      const later = url.indexOf('@', a.end);
      if (later >= 0) {
        const ender = url[a.end]!;
        const pos = charPos(b, a.end);
        syntax.misread = true;
        syntax.warnings.push({
          kind: 'host-part-ends-early',
          position: pos,
          char: describeChar(ender),
          encoded: percentEncode(ender),
          message: `${describeChar(ender)} at position ${pos} ends the host part before the '@' at position ${charPos(b, later)}: Go reads no user or password, and the host and port from what precedes it — if that ${describeChar(ender)} is in the password, Coder connects to the wrong place`,
          hint: `write ${describeChar(ender)} in the password as ${percentEncode(ender)}`,
        });
      }
    }
    for (const d of dropped) {
      const pos = charPos(b, d.at);
      syntax.warnings.push({ kind: 'query-pair-dropped', position: pos, message: `the query parameter at position ${pos} has ${d.why}: Go's u.Query() drops it silently, so Coder never sees it`, hint: "separate parameters with '&' and encode '%' as %25" });
    }
  }
  for (const k of ['dbname', 'sslmode', 'search_path', 'user', 'host']) {
    const v = o.get(k);
    if (v !== undefined && v !== v.trim()) {
      syntax.warnings.push({ kind: 'trailing-space', message: `the ${k} value has ${/^\s/.test(v) ? 'leading' : 'trailing'} white space, which Coder keeps (${k} "${k === 'user' || k === 'host' || k === 'dbname' || k === 'sslmode' ? v.trim() : '…'}" plus the space)`, hint: 'remove the white space around the connection string (a Secret or values file may add it)' });
    }
  }

  const host = o.get('host')!;
  const portRaw = o.get('port')!;
  const port = Number(portRaw);
  if (!/^[0-9]+$/.test(portRaw) || port < 1 || port > 65535) {
    return refuse([{ kind: 'port-out-of-range', message: `the port "${portRaw}" is not a port number (Go's net.Dial refuses it)`, hint: 'use a port between 1 and 65535' }], '');
  }
  if (host.startsWith('[') || host.endsWith(']')) {
    return refuse([{ kind: 'ipv6-without-port', message: `the host "${host}" keeps its brackets: lib/pq strips them only when a port follows (net.SplitHostPort), and then dials "${host.includes(':') ? `[${host}]` : host}:${portRaw}", which is no address`, hint: `give the port: [${host.replace(/^\[|\]$/g, '')}]:5432` }], '');
  }

  const params: Record<string, string> = {};
  const runtimeParams: Record<string, string> = {};
  const explicit = new Set(parseKeysOnly(dsn));
  for (const [k, v] of o) {
    if (!isDriverSetting(k) && k !== 'user' && k !== 'dbname') runtimeParams[k] = v;
    // params: what the string itself sets beyond the settings PgSettings has fields for (sslsni,
    // sslinline and other driver settings included, so readers of params see them).
    if (explicit.has(k) && !PG_SETTING_KEYS.includes(k)) params[k] = v;
  }
  syntax.passwordInString = (o.get('password') ?? '') !== '';
  const ct = o.get('connect_timeout');
  const ctNum = ct !== undefined ? Number(ct) : undefined;
  const settings: PgSettings = {
    host,
    port,
    user: o.get('user')!,
    ...(o.has('password') ? { password: o.get('password')! } : {}),
    database: o.get('dbname') || o.get('user')!,
    sslmodeRaw: o.get('sslmode'),
    ...(o.get('sslrootcert') ? { sslrootcert: o.get('sslrootcert')! } : {}),
    ...(o.get('sslcert') ? { sslcert: o.get('sslcert')! } : {}),
    ...(o.get('sslkey') ? { sslkey: o.get('sslkey')! } : {}),
    ...(o.get('sslinline') === 'true' ? { sslinline: true } : {}),
    ...(o.has('sslsni') ? { sslsni: o.get('sslsni')! } : {}),
    ...(ctNum !== undefined && Number.isFinite(ctNum) && ctNum > 0 ? { connectTimeoutSec: ctNum } : {}),
    params,
    runtimeParams,
    source,
    syntax,
  };
  return { ok: true, settings };
}

/** Keys PgSettings has a field of its own for. */
const PG_SETTING_KEYS = ['host', 'port', 'user', 'password', 'dbname', 'sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'connect_timeout'];

/** What a key=value string sets, without lib/pq's defaults ({} when it does not parse). */
function o0(dsn: string): Map<string, string> {
  const o = new Map<string, string>();
  try {
    parseOpts(dsn, o);
  } catch {
    return new Map();
  }
  return o;
}
const parseKeysOnly = (dsn: string) => [...o0(dsn).keys()];

/**
 * The substrings of a connection string that may hold its password, for the redactor: for a URL
 * the text between "://" and the last '@' (and what follows its first ':'), Coder's own split
 * (after the last ':' before the first '@'), and every password=… value of a key=value string.
 * Used when the string may not parse, so nothing of it can leak through an error message.
 */
export function passwordCandidates(input: string): string[] {
  const out = new Set<string>();
  const start = input.indexOf('://');
  if (start >= 0) {
    const rest = input.slice(start + 3);
    const last = rest.lastIndexOf('@');
    if (last >= 0) {
      const info = rest.slice(0, last);
      const c = info.indexOf(':');
      // Not the user name alone: masking it would wreck every mention of the role.
      if (c >= 0) {
        out.add(info.slice(c + 1));
        out.add(info);
      }
    }
    const first = rest.indexOf('@');
    if (first >= 0) {
      const c = rest.slice(0, first).lastIndexOf(':');
      if (c >= 0) out.add(rest.slice(c + 1, first));
    }
    // A password cut short by '/', '?' or '#' before the '@': every piece of it between separators.
    const info = last >= 0 ? rest.slice(0, last) : '';
    // (Not pieces of digits only: a port or a number in the report would be masked with them, and
    // a masked number breaks JSON output. A misread URL's report leaves those fields out instead.)
    const c = info.indexOf(':');
    if (c >= 0) for (const piece of info.slice(c + 1).split(/[:/?#]/)) if (piece.length >= 4 && !/^[0-9]+$/.test(piece)) out.add(piece);
  }
  for (const m of input.matchAll(/password\s*=\s*('(?:[^'\\]|\\.)*'?|\S+)/gi)) {
    out.add(m[1]!);
    out.add(m[1]!.replace(/^'|'$/g, '').replace(/\\(.)/g, '$1'));
  }
  return [...out].filter((s) => s.length > 0);
}

/** Compatibility: the settings, or a ConfigError that says why Coder would refuse the string. */
export function parsePostgresUrl(input: string, source: string): PgSettings {
  if (input.trim() === '') throw new ConfigError(`the PostgreSQL URL from ${source} is empty`, 'give postgres://user:password@host:5432/db');
  const r = parsePgConnString(input, source);
  if (!r.ok) throw new ConfigError(r.message, r.hint);
  return r.settings;
}

/** A display form with the password masked, for reports. */
export function describePg(s: PgSettings): string {
  const auth = s.password !== undefined ? `${s.user}:[REDACTED]@` : `${s.user}@`;
  const host = s.host.includes(':') ? `[${s.host}]` : s.host;
  const q = s.sslmodeRaw !== undefined ? `?sslmode=${s.sslmodeRaw}` : '';
  return `postgres://${auth}${host}:${s.port}/${s.database}${q}`;
}
