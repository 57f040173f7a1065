// Small helpers checks use to turn a missing fact into the right status, so that
// "could not look" is never confused with "looked and it is fine".
import type { CheckOutcome, FactFailure } from './types.ts';

/** A fact that could not be gathered: `skip` when not configured (with the hint), else `error`. */
export function unavailable(fact: FactFailure, what = 'the required facts'): CheckOutcome {
  const evidence = { reason: fact.reason, ...(fact.detail ?? {}) };
  if (fact.reason === 'not-configured') {
    return { status: 'skip', summary: fact.message, remediation: fact.hint, evidence };
  }
  return {
    status: 'error',
    summary: `Could not gather ${what}: ${fact.message}`,
    remediation: fact.hint,
    evidence,
  };
}
