// Shared test helpers: a schema validator for real JSON output, and a Report builder.
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CheckResult } from '../../src/engine/types.ts';
import { countStatuses, SCHEMA_VERSION, type Report } from '../../src/report/model.ts';
import { worstStatus } from '../../src/engine/run.ts';

const schema = JSON.parse(readFileSync(fileURLToPath(new URL('../../schema/report.schema.json', import.meta.url)), 'utf8'));
const ajv = new Ajv.default({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
addFormats.default(ajv);
const validate = ajv.compile(schema);

/** Throws with every schema violation listed. */
export function assertValidReport(json: unknown): asserts json is Report {
  if (!validate(json)) throw new Error(`report does not match schema/report.schema.json:\n${ajv.errorsText(validate.errors, { separator: '\n' })}`);
}

export function result(over: Partial<CheckResult> & Pick<CheckResult, 'id' | 'status'>): CheckResult {
  const category = over.id.split('.')[0] ?? 'x';
  return {
    title: `${over.id} title`,
    category,
    summary: `${over.id} ${over.status}`,
    docs: 'https://coder.com/docs',
    evidence: {},
    durationMs: 1.5,
    ...(over.status === 'warn' || over.status === 'fail' ? { remediation: `fix ${over.id}` } : {}),
    ...over,
  };
}

export function report(results: CheckResult[], over: Partial<Report> = {}): Report {
  const counts = countStatuses(results);
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'coder-preflight', version: '0.0.0-test' },
    startedAt: '2026-11-22T00:00:00.000Z',
    durationMs: 1234,
    profile: { name: 'baseline', source: 'default' },
    target: { kubernetes: { context: 'admin', server: 'https://127.0.0.1:6443', source: '--kubeconfig' }, postgres: null, namespace: 'coder', valuesFile: null, vantage: 'this machine (test)' },
    summary: { ...counts, total: results.length, worst: worstStatus(results.map((r) => r.status)) },
    exitCode: 0,
    results,
    ...over,
  };
}
