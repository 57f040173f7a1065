import { EXIT } from '../errors.ts';
import { parseOutputs, type Io, type Values } from '../cli/options.ts';
import { pluginOf } from '../engine/define.ts';
import { selectChecks } from '../engine/select.ts';
import type { CommandContext } from './context.ts';

/** `list`: every check (after --check/--skip), with what it needs; `-o json` for machines. */
export function list(values: Values, io: Io, c: CommandContext): number {
  const outputs = parseOutputs(values.output);
  const chosen = selectChecks(c.checks, values.check ?? c.config.check, values.skip ?? c.config.skip);
  const rows = chosen.map((x) => ({ id: x.id, title: x.title, category: x.category, facts: [...x.facts], docs: x.docs, ...(pluginOf(x.id) ? { plugin: pluginOf(x.id) } : {}) }));
  if (outputs[0]?.format === 'json') {
    io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return EXIT.ok;
  }
  const w = Math.max(...rows.map((r) => r.id.length));
  for (const r of rows) io.stdout.write(`${r.id.padEnd(w)}  ${r.title}  [needs: ${r.facts.join(', ') || 'nothing'}]${r.plugin ? `  (plugin ${r.plugin})` : ''}\n`);
  io.stdout.write(`\n${rows.length} checks. coder-preflight explain <id> tells what one checks and how to fix it.\n`);
  return EXIT.ok;
}
