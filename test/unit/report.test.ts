import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { renderJson } from '../../src/report/json.ts';
import { renderJunit } from '../../src/report/junit.ts';
import { renderMarkdown } from '../../src/report/markdown.ts';
import { renderTable } from '../../src/report/table.ts';
import { assertValidReport, report, result } from '../helpers/report.ts';

const mixed = report(
  [
    result({ id: 'postgres.connect', status: 'pass', evidence: { serverVersion: '17.2', tls: true } }),
    result({ id: 'postgres.version', status: 'warn', summary: 'PostgreSQL 12 is below 13' }),
    result({ id: 'kubernetes.api', status: 'fail', summary: 'API <server> & "x" unreachable' }),
    result({ id: 'storage.default-class', status: 'skip', summary: 'no cluster', remediation: 'pass --kubeconfig' }),
    result({ id: 'network.policy', status: 'error', summary: 'forbidden', remediation: 'grant list on daemonsets' }),
  ],
  { exitCode: 3 },
);

describe('JSON renderer', () => {
  it('produces output that validates against schema/report.schema.json', () => {
    const parsed = JSON.parse(renderJson(mixed));
    assertValidReport(parsed);
    expect(parsed.summary).toMatchObject({ pass: 1, warn: 1, fail: 1, skip: 1, error: 1, total: 5, worst: 'fail' });
  });
  it('the schema rejects a warn without remediation and an unknown status', () => {
    const bad = JSON.parse(renderJson(mixed));
    delete bad.results[1].remediation;
    expect(() => assertValidReport(bad)).toThrow(/remediation/);
    const bad2 = JSON.parse(renderJson(mixed));
    bad2.results[0].status = 'ok';
    expect(() => assertValidReport(bad2)).toThrow();
  });
});

describe('JUnit renderer', () => {
  const xml = renderJunit(mixed);
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml);
  const suites = [doc.testsuites.testsuite].flat();
  const cases = suites.flatMap((s: { testcase: unknown }) => [s.testcase].flat()) as Record<string, unknown>[];
  const byName = (id: string) => cases.find((c) => String(c.name).startsWith(`${id}:`))!;

  it('is well-formed XML with totals', () => {
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(doc.testsuites).toMatchObject({ tests: '5', failures: '1', errors: '1', skipped: '1' });
    expect(suites.map((s: { name: string }) => s.name).sort()).toEqual(['kubernetes', 'network', 'postgres', 'storage']);
  });
  it('maps fail → failure, error → error, skip → skipped, pass/warn → plain testcase', () => {
    expect(byName('kubernetes.api').failure).toBeDefined();
    expect((byName('kubernetes.api').failure as { message: string }).message).toBe('API <server> & "x" unreachable');
    expect(byName('network.policy').error).toBeDefined();
    expect(byName('storage.default-class').skipped).toBeDefined();
    for (const id of ['postgres.connect', 'postgres.version']) {
      expect(byName(id).failure).toBeUndefined();
      expect(byName(id).error).toBeUndefined();
    }
    expect(String(byName('postgres.version')['system-out'])).toMatch(/^WARN: PostgreSQL 12 is below 13/);
  });
});

describe('table renderer', () => {
  const text = renderTable(mixed, { color: false, width: 120 });
  it('groups by category and shows every result', () => {
    // A row of its own per category (the ids contain the category names, so a substring proves nothing).
    for (const cat of ['postgres', 'kubernetes', 'storage', 'network']) expect(text).toMatch(new RegExp(`^│ ${cat} +│$`, 'm'));
    for (const label of ['PASS', 'WARN', 'FAIL', 'SKIP', 'ERROR']) expect(text).toContain(label);
  });
  it('ends with the summary and what to do for warn/fail/error, and how to enable skips', () => {
    expect(text).toMatch(/1 pass, 1 warn, 1 fail, 1 error, 1 skip — 5 checks in 1\.2 s/);
    expect(text).toContain('What to do:');
    expect(text).toContain('kubernetes.api: fix kubernetes.api');
    expect(text).toContain('postgres.version: fix postgres.version');
    expect(text).toContain('network.policy: grant list on daemonsets');
    expect(text).toContain('storage.default-class: pass --kubeconfig');
    expect(text).not.toContain('postgres.connect: ');
  });
  it('uses no escape codes without colour, and some with it', () => {
    // eslint-disable-next-line no-control-regex
    expect(/\u001b\[/.test(text)).toBe(false);
    // eslint-disable-next-line no-control-regex
    expect(/\u001b\[/.test(renderTable(mixed, { color: true }))).toBe(true);
  });
});

describe('markdown renderer', () => {
  it('has a table per category, escapes pipes, and lists remediations', () => {
    const md = renderMarkdown(report([result({ id: 'postgres.connect', status: 'fail', summary: 'a | b' })]));
    expect(md).toContain('## postgres');
    expect(md).toContain('a \\| b');
    expect(md).toContain('- **postgres.connect** (FAIL): fix postgres.connect');
  });
});
