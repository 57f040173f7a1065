// Run the selected checks concurrently over shared, memoised facts. A throw, a timeout or a
// missing fact becomes an `error` result for that check only; the run always completes.
import type { FactStore } from '../facts/store.ts';
import type { Redactor } from '../redact.ts';
import type { AnyCheck, CheckOutcome, CheckResult, EvaluateContext, FactResult, Status } from './types.ts';
import { STATUSES } from './types.ts';

export interface RunEvents {
  onStart?(check: AnyCheck): void;
  onDone?(result: CheckResult): void;
}

export interface RunOptions extends RunEvents {
  checks: readonly AnyCheck[];
  facts: FactStore;
  context: EvaluateContext;
  redactor: Redactor;
  signal: AbortSignal;
  /** Default per-check limit for evaluate. */
  checkTimeoutMs?: number;
}

const round = (n: number) => Math.round(n * 10) / 10;

export async function runChecks(o: RunOptions): Promise<CheckResult[]> {
  return Promise.all(o.checks.map((c) => runOne(c, o)));
}

async function runOne(check: AnyCheck, o: RunOptions): Promise<CheckResult> {
  o.onStart?.(check);
  const started = performance.now();
  let outcome: CheckOutcome;
  try {
    const entries = await Promise.all((check.facts as string[]).map(async (id) => [id, await o.facts.get(id as never)] as const));
    const facts = Object.fromEntries(entries) as Record<string, FactResult<unknown>>;
    // Even after an interrupt the facts are settled (as values), so evaluating is cheap and says what was seen.
    outcome = await withTimeout(Promise.resolve().then(() => check.evaluate(facts, o.context)), check.timeoutMs ?? o.checkTimeoutMs ?? 30_000, check.id);
    outcome = guard(outcome, facts);
  } catch (e) {
    outcome = {
      status: 'error',
      summary: `The check itself failed: ${e instanceof Error ? e.message : String(e)}`,
      remediation: 'this is a bug in coder-preflight: run with --debug and report it',
      evidence: {},
    };
  }
  const result: CheckResult = o.redactor.redactValue({
    id: check.id,
    title: check.title,
    category: check.category,
    docs: check.docs,
    ...outcome,
    evidence: outcome.evidence ?? {},
    durationMs: round(performance.now() - started),
  });
  o.onDone?.(result);
  return result;
}

/** Never let a malformed outcome or a pass without evidence through. */
function guard(outcome: CheckOutcome, facts: Record<string, FactResult<unknown>>): CheckOutcome {
  if (!outcome || !(STATUSES as readonly string[]).includes(outcome.status)) {
    return { status: 'error', summary: `The check returned an invalid status (${String(outcome?.status)})`, remediation: 'this is a bug in coder-preflight: report it', evidence: {} };
  }
  const failed = Object.entries(facts).filter(([, f]) => !f.ok);
  if (outcome.status === 'pass' && failed.length > 0) {
    return {
      status: 'error',
      summary: `Refusing to pass without evidence: ${failed.map(([id]) => id).join(', ')} could not be gathered`,
      remediation: 'this is a bug in the check: report it',
      evidence: {},
    };
  }
  return outcome;
}

function withTimeout<T>(p: Promise<T>, ms: number, id: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${id} did not finish within ${ms} ms`)), ms);
      timer.unref();
    }),
  ]).finally(() => clearTimeout(timer));
}

/** fail > error > warn > skip > pass. */
export const SEVERITY: Record<Status, number> = { pass: 0, skip: 1, warn: 2, error: 3, fail: 4 };

export function worstStatus(statuses: readonly Status[]): Status {
  return statuses.reduce<Status>((w, s) => (SEVERITY[s] > SEVERITY[w] ? s : w), 'pass');
}
