// Errors that reach the user, and the failure vocabulary every layer shares. Each user-facing
// message is worded "what happened — why it matters — what to do" and maps to an exit code;
// anything else is a bug (exit 1, stack only with --debug).

export const EXIT = { ok: 0, error: 1, usage: 2, fail: 3, warn: 4, interrupted: 130 } as const;

/** Bad flag, unreadable or malformed input file, unwritable output, a plugin that does not load: exit 2. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly hint: string | undefined;
  constructor(message: string, hint?: string) {
    super(message);
    this.hint = hint;
  }
}

/** Why something could not be gathered. `not-configured` turns into `skip`; everything else into `error`. */
export type FailureReason =
  | 'not-configured'
  /** The configuration points at something broken (e.g. a Secret that does not exist). */
  | 'invalid-config'
  | 'forbidden'
  | 'unauthorized'
  | 'timeout'
  | 'unreachable'
  | 'dns'
  | 'tls'
  | 'protocol'
  /** The server answered but has no room: out of connection slots. */
  | 'capacity'
  | 'aborted'
  /** Replaying saved facts: the snapshot has no such fact. */
  | 'not-collected'
  | 'bug';

export type Detail = Record<string, string | number | boolean | null>;

/**
 * A failure a client layer understands (a refused login, a 403, a DNS miss), with a hint.
 * The PostgreSQL and Kubernetes clients throw it; the fact store stores it as a value.
 */
export class ClassifiedError extends Error {
  override name = 'ClassifiedError';
  readonly reason: FailureReason;
  readonly hint: string | undefined;
  readonly detail: Detail | undefined;
  /** The fact whose failure caused this one (one root cause is told once). */
  readonly causedBy: string | undefined;
  constructor(reason: FailureReason, message: string, hint?: string, detail?: Detail, causedBy?: string) {
    super(message);
    this.reason = reason;
    this.hint = hint;
    this.detail = detail;
    this.causedBy = causedBy;
  }
}

/** Why a file could not be read, in words (for "cannot read values file x: no such file"). */
export function fileProblem(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : errorMessage(e);
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
