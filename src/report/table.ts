// The human report: one table grouped by category, a summary line, then what to do about
// every warn/fail/error (and how to enable skipped checks).
import Table from 'cli-table3';
import { painter, STATUS_LABEL, STATUS_STYLE } from './color.ts';
import type { CheckResult } from '../engine/types.ts';
import { groupByCategory, type Report } from './model.ts';

export function renderTable(report: Report, opts: { color: boolean; width?: number; verbose?: boolean }): string {
  const paint = painter(opts.color);
  const width = Math.max(80, Math.min(opts.width ?? 100, 160));
  const table = new Table({
    head: ['', 'check', 'result'],
    colWidths: [7, 30, width - 7 - 30 - 4],
    wordWrap: true,
    style: { head: opts.color ? ['bold'] : [], border: opts.color ? ['gray'] : [], compact: true },
  });
  for (const [category, results] of groupByCategory(report.results)) {
    table.push([{ colSpan: 3, content: paint('bold', category) }]);
    for (const r of results) {
      table.push([paint(STATUS_STYLE[r.status], STATUS_LABEL[r.status]), r.id, r.summary]);
    }
  }
  const s = report.summary;
  const parts = (['pass', 'warn', 'fail', 'error', 'skip'] as const).filter((k) => s[k] > 0).map((k) => paint(STATUS_STYLE[k], `${s[k]} ${k}`));
  const lines = [table.toString(), '', `${parts.join(', ')} — ${s.total} checks in ${(report.durationMs / 1000).toFixed(1)} s (profile ${report.profile.name}; from ${report.target.vantage})`];
  if (report.facts?.note) lines.push(paint('yellow', `Note: ${report.facts.note}`));

  const todo = report.results.filter((r) => r.status === 'fail' || r.status === 'warn' || r.status === 'error');
  if (todo.length) {
    lines.push('', paint('bold', 'What to do:'));
    // Checks that could not be evaluated because of another's cause are one line after it.
    const pointers = new Map<string, CheckResult[]>();
    for (const r of todo) {
      const see = r.evidence.see;
      if (typeof see === 'string') {
        pointers.set(`${r.status} ${see}`, [...(pointers.get(`${r.status} ${see}`) ?? []), r]);
        continue;
      }
      lines.push(`  ${paint(STATUS_STYLE[r.status], STATUS_LABEL[r.status])} ${r.id}: ${r.remediation ?? r.summary}`);
      lines.push(paint('gray', `        docs: ${r.docs}   explain: coder-preflight explain ${r.id}`));
    }
    for (const group of pointers.values()) {
      const first = group[0]!;
      lines.push(`  ${paint(STATUS_STYLE[first.status], STATUS_LABEL[first.status])} ${group.map((r) => r.id).join(', ')}: not evaluated — ${first.remediation ?? `see ${String(first.evidence.see)}`}`);
    }
  }
  const skipped = report.results.filter((r) => r.status === 'skip');
  if (skipped.length) {
    lines.push('', paint('bold', 'Skipped:'));
    const byHint = new Map<string, string[]>();
    for (const r of skipped) {
      const hint = r.remediation ?? r.summary;
      byHint.set(hint, [...(byHint.get(hint) ?? []), r.id]);
    }
    for (const [hint, ids] of byHint) lines.push(`  ${ids.join(', ')}: ${hint}`);
  }
  if (opts.verbose) {
    lines.push('', paint('bold', 'Evidence:'));
    for (const r of report.results) lines.push(`  ${r.id}: ${JSON.stringify(r.evidence)}`);
  }
  return `${lines.join('\n')}\n`;
}
