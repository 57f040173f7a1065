import { EXIT } from '../errors.ts';
import type { Status } from './types.ts';

export type FailOn = 'warn' | 'fail';

/** Exit codes of design.md: 3 any fail, else 1 any error, else 4 a warn with --fail-on warn, else 0. */
export function exitCodeFor(statuses: readonly Status[], failOn: FailOn): number {
  if (statuses.includes('fail')) return EXIT.fail;
  if (statuses.includes('error')) return EXIT.error;
  if (failOn === 'warn' && statuses.includes('warn')) return EXIT.warn;
  return EXIT.ok;
}
