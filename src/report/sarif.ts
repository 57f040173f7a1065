// SARIF 2.1.0 for code scanning (GitHub code scanning, any SARIF viewer): one run, one rule
// per check in the report, one result per warn/fail/error. Pure: everything in the output comes from
// the report and the checks' own metadata (title, explain, docs, tags), nothing from the machine.
//
// A check has no source line, so where does a result point? Code scanning shows only results with
// a location whose physicalLocation has an artifactLocation.uri and a region (docs.github.com,
// "SARIF support for code scanning"). We point at the Helm values file the run judged — the file
// in the repository that describes the deployment — when it was given as a path inside the working
// directory (the repository root in CI), and at the placeholder "coder-preflight" otherwise; both
// with the region line 1, column 1 (an empty region: no line of the file is blamed). GitHub accepts
// a uri that is not a file of the repository: the alert shows without a code snippet. An absolute
// path becomes a file:// URI, which upload-sarif makes relative to the checkout. What was checked
// is in the logical location (the check id under the cluster/database it ran against), and the
// partialFingerprints are ours (check id + target), so an alert stays one alert across runs
// whatever the values file's lines do.
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CheckResult, Explanation, Status } from '../engine/types.ts';
import { EXIT } from '../errors.ts';
import type { Report } from './model.ts';

export const SARIF_VERSION = '2.1.0';
/** The schema URI GitHub's documentation uses (the tests validate against the same schema, from npm). */
export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
export const INFORMATION_URI = 'https://www.npmjs.com/package/coder-preflight';
/** The artifact every result points at when the run had no values file inside the working directory. */
export const PLACEHOLDER_URI = 'coder-preflight';

/** What a rule is made of: the check's metadata (built-in or plugin). */
export interface RuleSource {
  id: string;
  title: string;
  category: string;
  docs: string;
  explain: Explanation;
  tags?: readonly string[];
}

type Level = 'error' | 'warning' | 'note';

/**
 * fail → error and warn → warning, as they read. error ("could not decide": forbidden, timeout,
 * unreachable from here) → warning, with properties.undecided: it is not a finding that the
 * requirement is unmet, so "error" would claim what the run did not see, and code scanning gates
 * pull requests on error-level alerts; but it must not hide as a note either, because nothing was
 * verified. The exit code (1) already fails the CI job for it.
 */
const LEVEL: Partial<Record<Status, Level>> = { fail: 'error', warn: 'warning', error: 'warning' };

// GitHub's limits for rule names and descriptions.
const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const isUrl = (s: string) => /^https?:\/\/\S+$/.test(s);

/** "postgres.listen-notify" → "PostgresListenNotify" (a rule name is an identifier). */
export function ruleName(id: string): string {
  return id
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
}

function sentence(s: string): string {
  const t = s.trim();
  return /[.!?…]$/.test(t) ? t : `${t}.`;
}

function rule(id: string, first: CheckResult, meta: RuleSource | undefined) {
  const docs = meta?.docs ?? first.docs;
  const title = meta?.title ?? first.title;
  const e = meta?.explain;
  const text = e ? [`What it checks: ${e.what}`, `Why: ${e.why}`, `How to fix: ${e.fix}`, `Source: ${docs}`].join('\n\n') : `${title}. See ${docs}`;
  const markdown = e ? [`**What it checks.** ${e.what}`, `**Why.** ${e.why}`, `**How to fix.** ${e.fix}`, `Source: <${docs}>`].join('\n\n') : `${title}. See <${docs}>.`;
  const category = meta?.category ?? first.category;
  return {
    id,
    name: cut(ruleName(id), 255),
    shortDescription: { text: cut(title, 1024) },
    fullDescription: { text: cut(e?.what ?? title, 1024) },
    help: { text, markdown },
    ...(isUrl(docs) ? { helpUri: docs } : {}),
    defaultConfiguration: { level: 'error' as const },
    properties: { category, tags: [...new Set([category, ...(meta?.tags ?? [])])] },
  };
}

/** The values file as a URI code scanning can match to the repository, or the placeholder. */
export function artifactUri(valuesFile: string | null): string {
  if (!valuesFile) return PLACEHOLDER_URI;
  if (valuesFile.startsWith('/')) return pathToFileURL(valuesFile).href;
  const rel = posix.normalize(valuesFile.replace(/\\/g, '/'));
  if (rel === '.' || rel.startsWith('../') || /^[A-Za-z]:\//.test(rel)) return PLACEHOLDER_URI;
  return rel.split('/').map(encodeURIComponent).join('/');
}

/** What a result was judged against, in words, and as a stable key for fingerprints. */
function targetOf(report: Report, category: string): { label: string; key: string } {
  const k = report.target.kubernetes;
  const pg = report.target.postgres;
  const kube = k ? { label: `cluster ${k.server} (context ${k.context}), namespace ${report.target.namespace}`, key: `kubernetes ${k.server} ${k.context} ${report.target.namespace}` } : undefined;
  const db = pg ? { label: `database ${pg.url}`, key: `postgres ${pg.url}` } : undefined;
  const picked = category === 'kubernetes' ? [kube] : category === 'postgres' ? [db] : [kube, db];
  const parts = picked.filter((x) => x !== undefined);
  if (!parts.length) return { label: 'nothing configured', key: 'none' };
  return { label: parts.map((p) => p.label).join('; '), key: parts.map((p) => p.key).join(' ') };
}

function endTime(report: Report): string | undefined {
  const start = Date.parse(report.startedAt);
  return Number.isFinite(start) ? new Date(start + report.durationMs).toISOString() : undefined;
}

export function renderSarif(report: Report, checks: readonly RuleSource[] = []): string {
  const meta = new Map(checks.map((c) => [c.id, c]));
  const rules: ReturnType<typeof rule>[] = [];
  const index = new Map<string, number>();
  for (const r of report.results) {
    if (index.has(r.id)) continue;
    index.set(r.id, rules.length);
    rules.push(rule(r.id, r, meta.get(r.id)));
  }
  const uri = artifactUri(report.target.valuesFile);
  const results = report.results.flatMap((r) => {
    const level = LEVEL[r.status];
    if (!level) return [];
    const target = targetOf(report, r.category);
    // The level alone does not say "undecided" in a code scanning list, so the message does.
    const summary = r.status === 'error' ? `Could not decide: ${r.summary}` : r.summary;
    const text = r.remediation ? `${sentence(summary)} What to do: ${r.remediation}` : summary;
    const fingerprint = createHash('sha256').update(`${r.id}\n${target.key}`).digest('hex').slice(0, 16);
    return [
      {
        ruleId: r.id,
        ruleIndex: index.get(r.id)!,
        kind: 'fail' as const,
        level,
        message: { text },
        locations: [
          {
            physicalLocation: { artifactLocation: { uri }, region: { startLine: 1, startColumn: 1, endLine: 1, endColumn: 1 } },
            logicalLocations: [{ name: r.id, fullyQualifiedName: `${target.key}/${r.id}` }],
            message: { text: `${r.id} against ${target.label}` },
          },
        ],
        partialFingerprints: { primaryLocationLineHash: `${fingerprint}:1` },
        properties: {
          status: r.status,
          ...(r.status === 'error' ? { undecided: true } : {}),
          category: r.category,
          evidence: r.evidence,
          vantage: r.vantage ?? report.target.vantage,
          ...(r.threshold ? { threshold: r.threshold } : {}),
          ...(r.remediation ? { remediation: r.remediation } : {}),
          docs: r.docs,
        },
      },
    ];
  });
  const version = report.tool.version;
  const end = endTime(report);
  const log = {
    $schema: SARIF_SCHEMA,
    version: SARIF_VERSION,
    runs: [
      {
        tool: {
          driver: {
            name: report.tool.name,
            version,
            ...(/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/.test(version) ? { semanticVersion: version } : {}),
            informationUri: INFORMATION_URI,
            rules,
          },
        },
        invocations: [
          {
            // The tool ran to the end and judged; a non-zero exit code is its verdict, not a crash.
            executionSuccessful: report.exitCode !== EXIT.interrupted,
            exitCode: report.exitCode,
            startTimeUtc: report.startedAt,
            ...(end ? { endTimeUtc: end } : {}),
          },
        ],
        results,
        properties: {
          reportSchemaVersion: report.schemaVersion,
          profile: report.profile,
          target: report.target,
          ...(report.facts ? { facts: report.facts } : {}),
          summary: report.summary,
        },
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
