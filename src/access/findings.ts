// The access-url checks collect every problem they see and report them as one outcome: the worst
// first (its status and summary), the others counted in the summary and listed in the evidence.
import type { CheckOutcome, Evidence } from '../engine/types.ts';

export interface Finding {
  status: 'warn' | 'fail';
  summary: string;
  remediation: string;
}

export function combine(findings: readonly Finding[], evidence: Evidence, vantage?: string): CheckOutcome {
  const sorted = [...findings].sort((a, b) => (a.status === b.status ? 0 : a.status === 'fail' ? -1 : 1));
  const [first, ...rest] = sorted;
  return {
    status: first!.status,
    summary: rest.length ? `${first!.summary} (and ${rest.length} more: see findings)` : first!.summary,
    remediation: [...new Set(sorted.map((f) => f.remediation))].join('; '),
    evidence: { ...evidence, findings: sorted.map((f) => `${f.status}: ${f.summary}`) },
    ...(vantage ? { vantage } : {}),
  };
}
