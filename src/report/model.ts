// The versioned result model. Renderers are pure functions of a Report.
import type { CheckResult, Status } from '../engine/types.ts';
import type { ProfileName } from '../engine/types.ts';

export const SCHEMA_VERSION = 1;

export type TargetDescription = Report['target'];

export interface Report {
  schemaVersion: typeof SCHEMA_VERSION;
  tool: { name: 'coder-preflight'; version: string };
  startedAt: string;
  durationMs: number;
  profile: { name: ProfileName; source: string; coderVersion?: string };
  target: {
    kubernetes: { context: string; server: string; source: string } | null;
    postgres: { url: string; source: string } | null;
    namespace: string;
    valuesFile: string | null;
    vantage: string;
  };
  /**
   * Where the facts came from: gathered now, or replayed from saved facts (--from-facts) or a
   * support bundle (--from-bundle); `note` says when another coder-preflight version saved them.
   */
  facts?: { source: 'live' | 'snapshot' | 'bundle'; file?: string; savedAt?: string; savedBy?: string; note?: string };
  plugins?: { name: string; spec: string }[];
  summary: Record<Status, number> & { total: number; worst: Status };
  exitCode: number;
  results: CheckResult[];
}

export function countStatuses(results: readonly CheckResult[]): Record<Status, number> {
  const c: Record<Status, number> = { pass: 0, warn: 0, fail: 0, skip: 0, error: 0 };
  for (const r of results) c[r.status]++;
  return c;
}

/** Categories in first-seen order, each with its results in id order. */
export function groupByCategory(results: readonly CheckResult[]): [string, CheckResult[]][] {
  const groups = new Map<string, CheckResult[]>();
  for (const r of results) {
    const g = groups.get(r.category) ?? [];
    g.push(r);
    groups.set(r.category, g);
  }
  return [...groups].map(([k, v]) => [k, v.sort((a, b) => a.id.localeCompare(b.id))]);
}

export function formatEvidence(e: CheckResult['evidence']): string {
  return Object.entries(e)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`)
    .join(' ');
}
