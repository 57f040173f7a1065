// Markdown for support tickets and PR comments.
import { STATUS_LABEL } from './color.ts';
import { formatEvidence, groupByCategory, type Report } from './model.ts';

const ICON = { pass: '✅', warn: '⚠️', fail: '❌', skip: '⏭️', error: '❗' } as const;
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderMarkdown(report: Report): string {
  const s = report.summary;
  const lines = [
    `# coder-preflight report`,
    '',
    `**${s.pass} pass, ${s.warn} warn, ${s.fail} fail, ${s.error} error, ${s.skip} skip** — profile \`${report.profile.name}\` (${cell(report.profile.source)}), run from ${cell(report.target.vantage)} at ${report.startedAt}, coder-preflight ${report.tool.version}.`,
    '',
  ];
  if (report.target.kubernetes) lines.push(`- Kubernetes: context \`${report.target.kubernetes.context}\` at ${report.target.kubernetes.server}`);
  if (report.target.postgres) lines.push(`- PostgreSQL: \`${report.target.postgres.url}\` (from ${report.target.postgres.source})`);
  if (report.facts && report.facts.source !== 'live') lines.push(`- Facts: replayed from ${report.facts.source === 'bundle' ? 'the support bundle' : 'saved facts'} \`${cell(report.facts.file ?? '')}\`${report.facts.savedBy ? ` (gathered by coder-preflight ${report.facts.savedBy}${report.facts.savedAt ? ` at ${report.facts.savedAt}` : ''})` : ''}`);
  if (report.facts?.note) lines.push(`- **Note:** ${cell(report.facts.note)}`);
  lines.push(`- Namespace: \`${report.target.namespace}\``, '');
  for (const [category, results] of groupByCategory(report.results)) {
    lines.push(`## ${category}`, '', '| | check | result | evidence |', '|---|---|---|---|');
    for (const r of results) lines.push(`| ${ICON[r.status]} ${STATUS_LABEL[r.status]} | [\`${r.id}\`](${r.docs}) | ${cell(r.summary)} | ${cell(formatEvidence(r.evidence))} |`);
    lines.push('');
  }
  const todo = report.results.filter((r) => r.remediation && r.status !== 'pass');
  if (todo.length) {
    lines.push('## What to do', '');
    for (const r of todo) lines.push(`- **${r.id}** (${STATUS_LABEL[r.status]}): ${r.remediation}`);
    lines.push('');
  }
  return lines.join('\n');
}
