// The check tester (in the spirit of ESLint's RuleTester): cases grouped by the status they must
// get, each run through the engine's own single-check path (so the fact-failure rule and the
// guard apply), with the invariants every result must keep asserted on every case: a warn/fail
// carries its own remediation, a pass carries evidence. The cases themselves are validated too.
import { describe, expect, it } from 'vitest';
import { resolveOptions, validateOverrides } from '../../src/engine/options.ts';
import { runChecks } from '../../src/engine/run.ts';
import { STATUSES, type AnyCheck, type CheckResult, type Deployment, type Options, type Profile, type ProfileName, type Status } from '../../src/engine/types.ts';
import { SnapshotFactSource } from '../../src/facts/snapshot.ts';
import type { FactFailure, FactResult } from '../../src/facts/types.ts';
import { Redactor } from '../../src/redact.ts';

export const ONE_REPLICA: Deployment = { replicas: 1, replicasSource: 'default (1 replica)' };
export const VANTAGE = 'this machine (test)';

const FAILED = Symbol('failed fact');
type Failed = FactFailure & { [FAILED]: true };

/** A fact that could not be gathered, for a case's `facts`. */
export function failed(reason: FactFailure['reason'], message = 'it failed', extra: Partial<Omit<FactFailure, 'ok' | 'reason' | 'message'>> = {}): FactFailure {
  return { ok: false, reason, message, durationMs: 1, ...extra, [FAILED]: true } as Failed;
}

export interface CheckCase {
  name: string;
  /** Every declared fact: its value, or failed(…). */
  facts: Record<string, unknown>;
  profile?: ProfileName | Profile;
  deployment?: Deployment;
  /** A config file's override of this check's options (thresholds.<id>). */
  options?: Options;
  vantage?: string;
  /** What the summary must say (a string must appear in it). */
  summary: string | RegExp;
  remediation?: string | RegExp;
  /** Matched with toMatchObject. */
  evidence?: Record<string, unknown>;
  threshold?: { value?: string | RegExp; source?: string | RegExp };
  /** Further assertions on the result. */
  check?(result: CheckResult): void;
}

const CASE_KEYS = new Set(['name', 'facts', 'profile', 'deployment', 'options', 'vantage', 'summary', 'remediation', 'evidence', 'threshold', 'check']);
const isFailed = (v: unknown): v is Failed => typeof v === 'object' && v !== null && FAILED in v;
const profileOf = (p: CheckCase['profile']): Profile => (typeof p === 'object' ? p : { name: p ?? 'baseline', source: `test profile ${p ?? 'baseline'}` });
const matches = (text: string | undefined, want: string | RegExp) => (typeof want === 'string' ? expect(text).toContain(want) : expect(text).toMatch(want));

/** Refuse cases that could not test what they claim (unknown keys, undeclared or missing facts). */
function validateCase(check: AnyCheck, status: string, c: CheckCase): void {
  const where = `${check.id} ${status} case "${c.name}"`;
  for (const k of Object.keys(c)) if (!CASE_KEYS.has(k)) throw new Error(`${where}: unknown key "${k}"`);
  if (!c.name) throw new Error(`${check.id}: a ${status} case has no name`);
  if (c.summary === undefined) throw new Error(`${where}: give the summary it must have`);
  const declared = check.facts as readonly string[];
  for (const k of Object.keys(c.facts)) if (!declared.includes(k)) throw new Error(`${where}: fact ${k} is not declared by the check (${declared.join(', ')})`);
  for (const k of declared) if (!(k in c.facts)) throw new Error(`${where}: fact ${k} is declared but not given (give a value or failed(…))`);
}

/** Run one case through the engine, as the CLI would for `--check <id>`. */
export async function runCase(check: AnyCheck, c: Omit<CheckCase, 'name' | 'summary'>): Promise<CheckResult> {
  const facts: Record<string, FactResult<unknown>> = {};
  for (const [k, v] of Object.entries(c.facts)) facts[k] = isFailed(v) ? v : { ok: true, value: v, durationMs: 1 };
  const profile = profileOf(c.profile);
  const overrides = c.options ? { file: 'test.config.yaml', byCheck: { [check.id]: c.options } } : undefined;
  if (overrides) validateOverrides([check], overrides);
  const [result] = await runChecks({
    checks: [check],
    facts: new SnapshotFactSource(facts, 'the test case'),
    profile,
    deployment: c.deployment ?? ONE_REPLICA,
    vantage: c.vantage ?? VANTAGE,
    optionsFor: (x) => resolveOptions(x, profile, overrides),
    redactor: new Redactor(),
  });
  return result!;
}

/** Every case, grouped by the status it must get. Needs at least one pass case and one that is not. */
export function testCheck(check: AnyCheck, groups: Partial<Record<Status, CheckCase[]>>): void {
  for (const s of Object.keys(groups)) if (!(STATUSES as readonly string[]).includes(s)) throw new Error(`${check.id}: "${s}" is not a status`);
  const all = Object.entries(groups).flatMap(([s, cases]) => (cases ?? []).map((c) => ({ status: s as Status, c })));
  const names = all.map((x) => `${x.status}: ${x.c.name}`);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new Error(`${check.id}: two cases are named "${dup}"`);
  if (!groups.pass?.length) throw new Error(`${check.id}: no pass case — a test that cannot pass proves nothing`);
  if (all.every((x) => x.status === 'pass')) throw new Error(`${check.id}: only pass cases — a test that cannot fail proves nothing`);
  for (const { status, c } of all) validateCase(check, status, c);

  describe(check.id, () => {
    for (const { status, c } of all) {
      it(`${status}: ${c.name}`, async () => {
        const r = await runCase(check, c);
        expect({ status: r.status, summary: r.summary }).toMatchObject({ status });
        matches(r.summary, c.summary);
        if (status === 'warn' || status === 'fail') {
          expect(r.remediation, 'a warn/fail says what to do').toBeTruthy();
          expect(r.remediation, 'the remediation is the check\'s own, not the engine\'s fallback').not.toMatch(/^coder-preflight explain .* says how to fix it$/);
        }
        if (status === 'pass') expect(Object.keys(r.evidence).length, 'a pass carries evidence').toBeGreaterThan(0);
        if (c.remediation !== undefined) matches(r.remediation, c.remediation);
        if (c.evidence) expect(r.evidence).toMatchObject(c.evidence);
        if (c.threshold?.value !== undefined) matches(r.threshold?.value, c.threshold.value);
        if (c.threshold?.source !== undefined) matches(r.threshold?.source, c.threshold.source);
        c.check?.(r);
      });
    }
  });
}
