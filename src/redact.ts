// One redactor per run. Secrets are registered the moment they are read (passwords from URLs,
// Secret values, tokens) and every output path (reports, bundle, logs, error lines) goes through it.

const MASK = '[REDACTED]';

export class Redactor {
  private readonly secrets = new Set<string>();

  /** Remember a secret (and its URL-encoded form) so it never appears in output. */
  add(secret: string | undefined | null): void {
    if (!secret || secret.length < 3) return; // too short to redact without wrecking text
    this.secrets.add(secret);
    // URL-encoded forms: encodeURIComponent's, and every non-alphanumeric escaped (%21 for !).
    for (const enc of [encodeURIComponent(secret), [...secret].map((c) => (/[A-Za-z0-9]/.test(c) ? c : encodeURIComponent(c) === c ? `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}` : encodeURIComponent(c))).join('')]) {
      if (enc !== secret) this.secrets.add(enc);
    }
  }

  redact(text: string): string {
    let out = text;
    // Longest first, so a secret containing another is masked whole.
    for (const s of [...this.secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join(MASK);
    // Belt and braces: a password in any postgres:// URL, registered or not.
    out = out.replace(/(postgres(?:ql)?:\/\/[^:/@\s]*:)[^@\s]*@/gi, `$1${MASK}@`);
    out = out.replace(/(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)/gi, `$1${MASK}`);
    return out;
  }

  /** Deep-redact every string in a JSON-like value. */
  redactValue<T>(value: T): T {
    if (typeof value === 'string') return this.redact(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.redactValue(v)) as T;
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.redactValue(v);
      return out as T;
    }
    return value;
  }
}
