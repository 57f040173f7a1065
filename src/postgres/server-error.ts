// Telling the server's own refusal of one query (it answered with a SQLSTATE: permission denied, a
// control file it cannot parse) from a lost connection or a timeout, so a collector can report
// what it could not read and go on, and still fail on the rest.
import { ClassifiedError } from '../errors.ts';

/** The SQLSTATE and message of an error the server answered with, or undefined for anything else. */
export function serverError(e: unknown): { code: string; message: string } | undefined {
  if (!(e instanceof ClassifiedError) || e.reason !== 'protocol') return undefined;
  const code = e.detail?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? { code, message: e.message } : undefined;
}
