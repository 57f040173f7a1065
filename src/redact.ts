// One redactor per run. Secrets are registered the moment they are read (passwords from URLs,
// Secret values, tokens) and every output path (reports, bundle, logs, error lines) goes through it.
// It counts what it masks — per secret (by what it is and where it came from, never its value) and
// per output — for the support bundle's redaction manifest; with `hosts`, it also replaces host
// names and IP addresses with stable placeholders (host-1, ip-1), the same in every output.
import { isIPv6 } from 'node:net';

export const MASK = '[REDACTED]';

/** How a registered secret may show up in text. */
type Form = 'as read' | 'trimmed' | 'URL-encoded' | 'base64' | 'JSON-escaped' | 'HTML-escaped' | 'line of a PEM key' | 'PEM body';

interface Registered {
  /** What it is and where it came from, e.g. "password from --postgres-url". */
  label: string;
  form: Form;
}

/** Where masks were made: output name → count. */
type Counts = Map<string, number>;

export interface RedactionManifest {
  /** The marker masked text is replaced with. */
  mask: string;
  /** Every secret registered during the run (by what it is and where it came from), with where it was masked. Never the values. */
  secrets: { what: string; forms: string[]; masked: Record<string, number>; total: number }[];
  /** Text that looked like a password without having been registered (a password in any postgres:// URL, password=…). */
  patterns: { what: string; masked: Record<string, number>; total: number }[];
  /** Every output that went through the redactor (streams, files, the bundle's files), with how many masks were made in it. */
  outputs: Record<string, number>;
  /** Masks made while gathering facts and judging checks, before any output (the outputs then hold masked text). */
  stages: Record<string, number>;
  hosts: {
    redacted: boolean;
    note: string;
    /** Placeholders given out, with what they stand for (the kind, never the name) and where they were used. */
    placeholders?: { placeholder: string; kind: string; replaced: Record<string, number>; total: number }[];
  };
}

/** What follows "password=" in the tool's own words (evidence password=given, a placeholder in a hint): no password. */
const NOT_A_PASSWORD = /^(?:given|none|absent|set|unset|empty|true|false|yes|no|<[^>]*>|\$\{?[A-Z_]+\}?|…)$/;

const PATTERNS = {
  url: 'a password in a postgres:// URL (not registered: caught by pattern)',
  kv: 'a key/value password setting of a connection string (not registered: caught by pattern)',
} as const;


export class Redactor {
  private readonly secrets = new Map<string, Registered>();
  private sorted: [string, Registered][] | undefined;
  private readonly bySecret = new Map<string, Counts>();
  private readonly byPattern = new Map<string, Counts>();
  private readonly byOutput: Counts = new Map();
  private readonly labels: string[] = [];
  private readonly forms = new Map<string, Set<Form>>();
  /** --redact-hosts: host names and addresses become placeholders. */
  readonly hosts: boolean;
  private readonly hostNames = new Map<string, { placeholder: string; kind: string }>();
  private hostPattern: RegExp | undefined;
  private readonly placeholders = new Map<string, { kind: string; counts: Counts }>();
  private readonly next = { host: 0, ip: 0 };
  /** Hosts that are not the user's (the documentation the checks link to): never replaced. */
  private readonly keep = new Set<string>();

  constructor(opts: { hosts?: boolean } = {}) {
    this.hosts = opts.hosts ?? false;
  }

  /**
   * Remember a secret, and the forms it may take in text (URL-encoded, base64, JSON- and
   * HTML-escaped), so it never appears in output. `what` says what it is and where it came from
   * ("password from --postgres-url"); the manifest lists it with its counts, never the value.
   */
  add(secret: string | undefined | null, what = 'a secret'): void {
    if (!secret || secret.length < 3) return; // too short to redact without wrecking text
    if (this.secrets.has(secret)) return; // registered already (the first label keeps it)
    this.register(secret, what, 'as read');
    const trimmed = secret.trim();
    if (trimmed !== secret) this.register(trimmed, what, 'trimmed');
    // URL-encoded forms: encodeURIComponent's, and every non-alphanumeric escaped (%21 for !).
    for (const enc of [encodeURIComponent(secret), [...secret].map((c) => (/[A-Za-z0-9]/.test(c) ? c : encodeURIComponent(c) === c ? `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}` : encodeURIComponent(c))).join('')]) {
      this.register(enc, what, 'URL-encoded');
    }
    // A value that travels in a Secret's data or a kubeconfig's *-data field is base64.
    if (secret.length >= 4) {
      const b64 = Buffer.from(secret, 'utf8').toString('base64');
      this.register(b64, what, 'base64');
      this.register(b64.replace(/=+$/, ''), what, 'base64');
      this.register(Buffer.from(secret, 'utf8').toString('base64url'), what, 'base64');
    }
    this.register(JSON.stringify(secret).slice(1, -1), what, 'JSON-escaped');
    this.register(escapeHtml(secret), what, 'HTML-escaped');
    // A PEM private key: its body lines, and the body without line breaks, are secret on their own.
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(secret)) {
      const body = secret.replace(/-----(BEGIN|END) [A-Z ]+-----/g, '').split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
      for (const line of body) if (line.length >= 16) this.register(line, what, 'line of a PEM key');
      if (body.length) this.register(body.join(''), what, 'PEM body');
    }
  }

  /** A secret's value and how it was registered; the first label registered for a value keeps it. */
  private register(value: string, what: string, form: Form): void {
    if (value.length < 3 || this.secrets.has(value)) return;
    this.secrets.set(value, { label: what, form });
    if (!this.labels.includes(what)) this.labels.push(what);
    let f = this.forms.get(what);
    if (!f) this.forms.set(what, (f = new Set()));
    f.add(form);
    this.sorted = undefined;
  }

  /**
   * A host name or address to replace with a placeholder under --redact-hosts (what it is, e.g.
   * "the Kubernetes API server"). Without --redact-hosts it is not remembered.
   */
  addHost(name: string | undefined | null, kind = 'a host name'): void {
    if (!this.hosts || !name) return;
    const host = name.replace(/^\[|\]$/g, '').trim();
    if (!host || this.keep.has(host.toLowerCase()) || host.includes(MASK) || isLoopback(host)) return;
    const ip = isIPv4(host) || isIPv6(host);
    this.placeholder(host, ip ? (isIPv6(host) ? 'an IPv6 address' : 'an IPv4 address') : kind);
  }

  /** Hosts that are public and not the user's (the checks' documentation links): kept as they are. */
  keepHosts(names: Iterable<string>): void {
    for (const n of names) this.keep.add(n.toLowerCase());
  }

  /** Register the host of every URL in `text` (scheme://[user@]host[:port]) as a host to replace. */
  discoverHosts(text: string): void {
    if (!this.hosts) return;
    for (const m of text.matchAll(/\b[a-z][a-z0-9+.-]*:\/\/(?:[^\s/@"'<>]*@)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)/gi)) this.addHost(m[1], 'a host name in a URL');
  }

  private placeholder(host: string, kind: string): string {
    const key = host.toLowerCase();
    const got = this.hostNames.get(key);
    if (got) return got.placeholder;
    const ip = kind.startsWith('an IP');
    const placeholder = ip ? `ip-${++this.next.ip}` : `host-${++this.next.host}`;
    this.hostNames.set(key, { placeholder, kind });
    this.placeholders.set(placeholder, { kind, counts: new Map() });
    this.hostPattern = undefined;
    return placeholder;
  }

  /** Mask every registered secret in `text`, counting the masks under `where` (an output or a stage of the run). */
  redact(text: string, where = 'output'): string {
    let out = text;
    let made = 0;
    this.sorted ??= [...this.secrets].sort((a, b) => b[0].length - a[0].length);
    // Longest first, so a secret containing another is masked whole.
    for (const [s, reg] of this.sorted) {
      if (!out.includes(s)) continue;
      const parts = out.split(s);
      const n = parts.length - 1;
      out = parts.join(MASK);
      made += n;
      bump(this.bySecret, reg.label, where, n);
    }
    // Belt and braces: a password in any postgres:// URL, registered or not.
    out = out.replace(/(postgres(?:ql)?:\/\/[^:/@\s]*:)([^@\s]*)@/gi, (_m, head: string, pw: string) => {
      if (pw !== MASK) {
        made++;
        bump(this.byPattern, PATTERNS.url, where, 1);
      }
      return `${head}${MASK}@`;
    });
    out = out.replace(/(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&"<]+)/gi, (_m, head: string, pw: string) => {
      if (pw !== MASK && pw !== `'${MASK}'` && !NOT_A_PASSWORD.test(pw)) {
        made++;
        bump(this.byPattern, PATTERNS.kv, where, 1);
      }
      return NOT_A_PASSWORD.test(pw) ? `${head}${pw}` : `${head}${MASK}`;
    });
    if (this.hosts) out = this.replaceHosts(out, where);
    this.byOutput.set(where, (this.byOutput.get(where) ?? 0) + made);
    return out;
  }

  private replaceHosts(text: string, where: string): string {
    // Every IP address, registered or not; then the host names registered (longest first).
    // Loopback addresses and localhost stay: they name no machine, and the checks judge them (a
    // database on loopback is a sidecar in Coder's pod).
    let out = text.replace(/(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?!\w|\.\d)/g, (ip) => (isLoopback(ip) ? ip : this.use(this.placeholder(ip, 'an IPv4 address'), where)));
    out = out.replace(/(?<![\w:.-])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])/g, (m) => (/[0-9a-f]/i.test(m) && isIPv6(m) && !isLoopback(m) ? this.use(this.placeholder(m, 'an IPv6 address'), where) : m));
    const names = [...this.hostNames].filter(([, v]) => !v.kind.startsWith('an IP')).map(([k]) => k);
    if (!names.length) return out;
    this.hostPattern ??= new RegExp(`(?<![A-Za-z0-9-])(?:${names.sort((a, b) => b.length - a.length).map(escapeRegExp).join('|')})(?![A-Za-z0-9-]|\\.[A-Za-z0-9])`, 'gi');
    return out.replace(this.hostPattern, (m) => this.use(this.hostNames.get(m.toLowerCase())!.placeholder, where));
  }

  private use(placeholder: string, where: string): string {
    const p = this.placeholders.get(placeholder)!;
    p.counts.set(where, (p.counts.get(where) ?? 0) + 1);
    return placeholder;
  }

  /** Deep-redact every string in a JSON-like value (object keys too). */
  redactValue<T>(value: T, where = 'output'): T {
    if (typeof value === 'string') return this.redact(value, where) as T;
    if (Array.isArray(value)) return value.map((v) => this.redactValue(v, where)) as T;
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[this.redact(k, where)] = this.redactValue(v, where);
      return out as T;
    }
    return value;
  }

  /** What was registered and masked, where, and how many times: never a value, never a host name. */
  manifest(): RedactionManifest {
    const record = (c: Counts | undefined) => Object.fromEntries([...(c ?? new Map<string, number>())].filter(([, n]) => n > 0));
    const total = (c: Counts | undefined) => [...(c ?? new Map<string, number>()).values()].reduce((a, b) => a + b, 0);
    return {
      mask: MASK,
      secrets: this.labels.map((what) => ({ what, forms: [...(this.forms.get(what) ?? [])], masked: record(this.bySecret.get(what)), total: total(this.bySecret.get(what)) })),
      patterns: Object.values(PATTERNS).map((what) => ({ what, masked: record(this.byPattern.get(what)), total: total(this.byPattern.get(what)) })),
      outputs: Object.fromEntries([...this.byOutput].filter(([k]) => !isStage(k))),
      stages: Object.fromEntries([...this.byOutput].filter(([k, n]) => isStage(k) && n > 0)),
      hosts: this.hosts
        ? {
            redacted: true,
            note: '--redact-hosts: every IP address, and every host name coder-preflight was given or found (the API server, the database, this machine, the nodes, the hosts of URLs), is replaced with a placeholder (host-N for names, ip-N for addresses), the same one in every file of the bundle and every output of the run; loopback addresses, localhost and the unspecified 0.0.0.0 and :: are kept (they name no machine, and the checks judge them). A replay judges names by their placeholders: checks that look at what a host is (an IP literal, a private range) may judge differently',
            placeholders: [...this.placeholders].map(([placeholder, p]) => ({ placeholder, kind: p.kind, replaced: record(p.counts), total: total(p.counts) })),
          }
        : { redacted: false, note: 'host names and IP addresses are kept (pass --redact-hosts to replace them with placeholders)' },
    };
  }
}

/** Where names that are stages of the run, not outputs: "fact <id>", "result <id>", "report". */
const isStage = (where: string) => where.startsWith('fact ') || where.startsWith('result ') || where === 'report';

function bump(map: Map<string, Counts>, key: string, where: string, n: number): void {
  let c = map.get(key);
  if (!c) map.set(key, (c = new Map()));
  c.set(where, (c.get(where) ?? 0) + n);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** 127.0.0.0/8, ::1 (and ::ffff:127.x), localhost, and the unspecified 0.0.0.0 and :: (a bind address): the same on every machine. */
function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || /^(::ffff:)?127\./.test(h) || /^(0{0,4}:){2,7}0{0,3}1$|^::1$/.test(h) || h === '0.0.0.0' || /^(0{0,4}:){2,7}0{0,4}$/.test(h);
}

function isIPv4(s: string): boolean {
  return /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/.test(s);
}

/** HTML/XML text and attribute escaping (also used by the HTML report). */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
