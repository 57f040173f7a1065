// Generate docs/checks/<id>.md from each check's metadata, so `explain`, the docs pages and
// the code never disagree. Run: npm run docs (a unit test fails when a page is stale).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AnyCheck } from '../src/engine/types.ts';

export function renderCheckDoc(c: AnyCheck): string {
  return [
    `# \`${c.id}\` — ${c.title}`,
    '',
    `Category: **${c.category}** · Needs: ${[...c.facts].map((f) => `\`${f}\``).join(', ')} · Run alone: \`coder-preflight --check ${c.id}\``,
    '',
    '## What it checks',
    '',
    c.explain.what,
    '',
    '## Why it matters',
    '',
    c.explain.why,
    '',
    '## How to fix it',
    '',
    c.explain.fix,
    '',
    '## Source',
    '',
    c.docs,
    '',
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { checks } = await import('../checks/index.ts');
  const dir = fileURLToPath(new URL('../docs/checks', import.meta.url));
  mkdirSync(dir, { recursive: true });
  for (const c of checks) writeFileSync(join(dir, `${c.id}.md`), renderCheckDoc(c));
  const index = ['# Checks', '', '| id | passes when | category |', '|---|---|---|', ...checks.map((c) => `| [\`${c.id}\`](${c.id}.md) | ${c.title} | ${c.category} |`), ''].join('\n');
  writeFileSync(join(dir, 'README.md'), index);
  console.log(`wrote ${checks.length} check pages to docs/checks/`);
}
