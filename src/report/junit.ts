// JUnit XML for CI systems: one testsuite per category; fail → <failure>, error → <error>,
// skip → <skipped>, warn → passes with a <system-out> note (CI gates on warn use --fail-on warn).
import { groupByCategory, type Report } from './model.ts';

function esc(s: string): string {
  // XML 1.0 forbids most control characters even when escaped.
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

export function renderJunit(report: Report): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const s = report.summary;
  const secs = (ms: number) => (ms / 1000).toFixed(3);
  out.push(`<testsuites name="coder-preflight" tests="${s.total}" failures="${s.fail}" errors="${s.error}" skipped="${s.skip}" time="${secs(report.durationMs)}" timestamp="${esc(report.startedAt)}">`);
  for (const [category, results] of groupByCategory(report.results)) {
    const count = (st: string) => results.filter((r) => r.status === st).length;
    const time = results.reduce((a, r) => a + r.durationMs, 0);
    out.push(`  <testsuite name="${esc(category)}" tests="${results.length}" failures="${count('fail')}" errors="${count('error')}" skipped="${count('skip')}" time="${secs(time)}">`);
    for (const r of results) {
      out.push(`    <testcase classname="coder-preflight.${esc(category)}" name="${esc(r.id)}: ${esc(r.title)}" time="${secs(r.durationMs)}">`);
      const body = [r.summary, r.remediation ? `Fix: ${r.remediation}` : '', `Evidence: ${JSON.stringify(r.evidence)}`, `Docs: ${r.docs}`].filter(Boolean).join('\n');
      if (r.status === 'fail') out.push(`      <failure message="${esc(r.summary)}" type="fail">${esc(body)}</failure>`);
      else if (r.status === 'error') out.push(`      <error message="${esc(r.summary)}" type="error">${esc(body)}</error>`);
      else if (r.status === 'skip') out.push(`      <skipped message="${esc(r.summary)}"/>`);
      else out.push(`      <system-out>${esc(`${r.status.toUpperCase()}: ${body}`)}</system-out>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}
