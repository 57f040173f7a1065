// Errors that reach the user. Each is worded "what happened — why it matters — what to do"
// and maps to an exit code; anything else is a bug (exit 1, stack only with --debug).

export const EXIT = { ok: 0, error: 1, usage: 2, fail: 3, warn: 4, interrupted: 130 } as const;

/** Bad flag, unreadable or malformed input file, unwritable output: exit 2. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly hint: string | undefined;
  constructor(message: string, hint?: string) {
    super(message);
    this.hint = hint;
  }
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
