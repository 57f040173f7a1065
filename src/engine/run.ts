// Run the selected checks over shared facts. First every check's declared facts are gathered
// (concurrently, each once); then each check is judged. A failed fact becomes skip/error here,
// before `evaluate` runs, and one root cause is told once: by the first check that declares the
// fact that failed; the others point to it (after Lighthouse's _runAudit: a missing or errored
// required artifact becomes the audit's result before the audit runs).
import { withDeadline } from '../deadline.ts';
import type { Redactor } from '../redact.ts';
import type { FactFailure, FactResult, FactSource } from '../facts/types.ts';
import { describeOptions, type ResolvedOptions } from './options.ts';
import type { AnyCheck, CheckOutcome, CheckResult, Deployment, EvaluateContext, Profile, Status } from './types.ts';
import { STATUSES } from './types.ts';

export interface RunEvents {
  onStart?(check: AnyCheck): void;
  /** The check's facts are in; judging it is all that is left. */
  onGathered?(check: AnyCheck): void;
  onDone?(result: CheckResult): void;
}

export interface RunOptions extends RunEvents {
  checks: readonly AnyCheck[];
  facts: FactSource;
  profile: Profile;
  deployment: Deployment;
  vantage: string;
  /** Each check's options (defaults for the profile, config overrides, or as saved with a snapshot). */
  optionsFor(check: AnyCheck): ResolvedOptions;
  redactor: Redactor;
  /** Default per-check limit for evaluate. */
  checkTimeoutMs?: number;
}

const round = (n: number) => Math.round(n * 10) / 10;

interface Gathered {
  facts: Record<string, FactResult<unknown>>;
  /** For each failed fact, the fact whose failure is the root cause (itself when it has none). */
  roots: Map<string, string>;
  /** The failure of each root, for pointers. */
  rootFailures: Map<string, FactFailure>;
  /** How long this check's own facts took (the other checks' facts are not its time). */
  gatherMs: number;
}

export async function runChecks(o: RunOptions): Promise<CheckResult[]> {
  const gathered = await Promise.all(
    o.checks.map(async (c) => {
      o.onStart?.(c);
      const g = await gather(c, o.facts);
      o.onGathered?.(c);
      return g;
    }),
  );
  const owners = ownersOfRoots(o.checks, gathered);
  return Promise.all(o.checks.map((c, i) => judge(c, gathered[i]!, owners, o)));
}

async function get(source: FactSource, id: string): Promise<FactResult<unknown>> {
  try {
    return await source.get(id as never);
  } catch (e) {
    return { ok: false, reason: 'bug', message: `reading fact ${id} failed: ${e instanceof Error ? e.message : String(e)}`, durationMs: 0 };
  }
}

async function gather(check: AnyCheck, source: FactSource): Promise<Gathered> {
  const started = performance.now();
  const ids = check.facts as readonly string[];
  const results = await Promise.all(ids.map((id) => get(source, id)));
  const facts = Object.fromEntries(ids.map((id, i) => [id, results[i]!]));
  const roots = new Map<string, string>();
  const rootFailures = new Map<string, FactFailure>();
  for (const id of ids) {
    let f = facts[id]!;
    if (f.ok) continue;
    let root = id;
    const seen = new Set([id]);
    // Follow causedBy to the first failure (memoised facts: no new work).
    while (!f.ok && f.causedBy && !seen.has(f.causedBy)) {
      const cause = await get(source, f.causedBy);
      if (cause.ok) break;
      root = f.causedBy;
      seen.add(root);
      f = cause;
    }
    roots.set(id, root);
    rootFailures.set(root, f as FactFailure);
  }
  return { facts, roots, rootFailures, gatherMs: performance.now() - started };
}

/**
 * Root fact → the check that tells its cause: of the checks that declare it, one that judges its
 * failures itself (onFactFailure), else one whose first fact it is, else any, each in registry
 * order; when no check declares it, the first that hit it.
 */
function ownersOfRoots(checks: readonly AnyCheck[], gathered: readonly Gathered[]): Map<string, string> {
  const owners = new Map<string, string>();
  const allRoots = new Set(gathered.flatMap((g) => [...g.roots.values()]));
  for (const root of allRoots) {
    const declaring = checks.filter((c) => (c.facts as readonly string[]).includes(root));
    const owner =
      declaring.find((c) => c.onFactFailure) ??
      declaring.find((c) => (c.facts as readonly string[])[0] === root) ??
      declaring[0] ??
      checks.find((_, i) => [...gathered[i]!.roots.values()].includes(root))!;
    owners.set(root, owner.id);
  }
  return owners;
}

const REASON_WORDS: Record<FactFailure['reason'], string> = {
  'not-configured': 'is not configured',
  'invalid-config': 'is misconfigured',
  forbidden: 'was forbidden',
  unauthorized: 'was refused: credentials rejected',
  timeout: 'timed out',
  unreachable: 'was unreachable',
  dns: 'failed: the name did not resolve',
  tls: 'failed: TLS',
  protocol: 'failed: an unexpected answer',
  capacity: 'was refused: the server is out of connection slots',
  aborted: 'was interrupted',
  'not-collected': 'is not in the saved facts',
  bug: 'failed: a bug',
};

/** The engine's result for a check whose fact could not be gathered and whose cause it owns. */
export function unavailable(id: string, f: FactFailure): CheckOutcome {
  const evidence = { reason: f.reason, fact: id, ...(f.detail ?? {}) };
  if (f.reason === 'not-configured') return { status: 'skip', summary: f.message, ...(f.hint ? { remediation: f.hint } : {}), evidence };
  return { status: 'error', summary: `Could not gather ${id}: ${f.message}`, ...(f.hint ? { remediation: f.hint } : {}), evidence };
}

/** A check that could not be evaluated because of a cause another check tells. */
function pointer(root: string, f: FactFailure, owner: string): CheckOutcome {
  return {
    status: f.reason === 'not-configured' ? 'skip' : 'error',
    summary: `Not evaluated: ${root} ${REASON_WORDS[f.reason]} — see ${owner}`,
    remediation: `see ${owner} for the cause and what to do`,
    evidence: { reason: f.reason, fact: root, see: owner },
  };
}

const bugOutcome = (summary: string): CheckOutcome => ({ status: 'error', summary, remediation: 'this is a bug in the check: run with --debug and report it', evidence: {} });

async function judge(check: AnyCheck, g: Gathered, owners: Map<string, string>, o: RunOptions): Promise<CheckResult> {
  const judging = performance.now();
  let options: ResolvedOptions | undefined;
  let outcome: CheckOutcome;
  try {
    options = o.optionsFor(check);
    const ctx: EvaluateContext = { profile: o.profile, options, vantage: o.vantage, deployment: o.deployment };
    const failed = (check.facts as readonly string[]).filter((id) => !g.facts[id]!.ok);
    const foreign = failed.find((id) => owners.get(g.roots.get(id)!) !== check.id);
    if (foreign) {
      const root = g.roots.get(foreign)!;
      outcome = pointer(root, g.rootFailures.get(root)!, owners.get(root)!);
    } else if (failed.length) {
      outcome = check.onFactFailure?.(g.facts, ctx) ?? unavailable(failed[0]!, g.facts[failed[0]!] as FactFailure);
    } else {
      const values = Object.fromEntries(Object.entries(g.facts).map(([id, f]) => [id, (f as { value: unknown }).value]));
      const ms = check.timeoutMs ?? o.checkTimeoutMs ?? 30_000;
      outcome = await withDeadline(
        Promise.resolve().then(() => check.evaluate(values, ctx)),
        { ms, onTimeout: () => new Error(`${check.id} did not finish within ${ms} ms`) },
      );
    }
    outcome = guard(outcome, check, failed);
  } catch (e) {
    outcome = bugOutcome(`The check itself failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  const threshold: CheckResult['threshold'] = outcome.threshold
    ? { value: outcome.threshold.value, source: outcome.threshold.source ?? options?.source ?? 'the check' }
    : check.defaults && options && outcome.status !== 'skip' && outcome.status !== 'error'
      ? { value: describeOptions(options), source: options.source }
      : undefined;
  const { threshold: _declared, ...rest } = outcome;
  const result: CheckResult = o.redactor.redactValue({
    id: check.id,
    title: check.title,
    category: check.category,
    docs: check.docs,
    ...rest,
    evidence: outcome.evidence ?? {},
    ...(threshold ? { threshold } : {}),
    durationMs: round(g.gatherMs + performance.now() - judging),
  }, `result ${check.id}`);
  o.onDone?.(result);
  return result;
}

/** Never let a malformed outcome, or a pass without its facts, through; warn/fail always say what to do. */
function guard(outcome: CheckOutcome, check: AnyCheck, failed: readonly string[]): CheckOutcome {
  if (!outcome || typeof outcome !== 'object' || !(STATUSES as readonly string[]).includes(outcome.status)) {
    return bugOutcome(`The check returned an invalid status (${String((outcome as CheckOutcome | undefined)?.status)})`);
  }
  if (typeof outcome.summary !== 'string' || outcome.summary === '') return bugOutcome('The check returned no summary');
  if (outcome.status === 'pass' && failed.length > 0) {
    return bugOutcome(`Refusing to pass without evidence: ${failed.join(', ')} could not be gathered`);
  }
  if ((outcome.status === 'warn' || outcome.status === 'fail') && !outcome.remediation) {
    return { ...outcome, remediation: `coder-preflight explain ${check.id} says how to fix it` };
  }
  return outcome;
}

/** fail > error > warn > skip > pass. */
export const SEVERITY: Record<Status, number> = { pass: 0, skip: 1, warn: 2, error: 3, fail: 4 };

export function worstStatus(statuses: readonly Status[]): Status {
  return statuses.reduce<Status>((w, s) => (SEVERITY[s] > SEVERITY[w] ? s : w), 'pass');
}
