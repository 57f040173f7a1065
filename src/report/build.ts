// Build the versioned report from a run's results (pure; the renderers take it from here).
import { worstStatus } from '../engine/run.ts';
import type { AnyCheck, CheckResult, Profile } from '../engine/types.ts';
import { describePg } from '../inputs/pgurl.ts';
import type { Target } from '../inputs/resolve.ts';
import { VERSION } from '../version.ts';
import { countStatuses, SCHEMA_VERSION, type Report, type TargetDescription } from './model.ts';

export function describeTarget(t: Target): TargetDescription {
  return {
    kubernetes: t.kube.configured ? { context: t.kube.target.context, server: t.kube.target.server, source: t.kube.target.source } : null,
    postgres: t.postgres.state === 'configured' ? { url: describePg(t.postgres.settings), source: t.postgres.settings.source } : null,
    namespace: t.namespace,
    valuesFile: t.values?.path ?? null,
    vantage: t.vantage,
  };
}

export interface ReportInput {
  startedAt: Date;
  durationMs: number;
  profile: Profile;
  target: TargetDescription;
  results: CheckResult[];
  /** Results come back in this order (the registry's), not in the order they finished. */
  order: readonly AnyCheck[];
  exitCode: number;
  facts: NonNullable<Report['facts']>;
  plugins: { name: string; spec: string }[];
}

export function buildReport(i: ReportInput): Report {
  const idx = new Map(i.order.map((c, n) => [c.id, n]));
  const results = [...i.results].sort((a, b) => (idx.get(a.id) ?? 0) - (idx.get(b.id) ?? 0));
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'coder-preflight', version: VERSION },
    startedAt: i.startedAt.toISOString(),
    durationMs: Math.round(i.durationMs),
    profile: { name: i.profile.name, source: i.profile.source, ...(i.profile.coderVersion ? { coderVersion: i.profile.coderVersion } : {}) },
    target: i.target,
    facts: i.facts,
    ...(i.plugins.length ? { plugins: i.plugins } : {}),
    summary: { ...countStatuses(results), total: results.length, worst: worstStatus(results.map((r) => r.status)) },
    exitCode: i.exitCode,
    results,
  };
}
