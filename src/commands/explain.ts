import { ConfigError, EXIT } from '../errors.ts';
import type { Io } from '../cli/options.ts';
import { pluginOf } from '../engine/define.ts';
import { resolveOptions } from '../engine/options.ts';
import { PROFILES, type AnyCheck } from '../engine/types.ts';
import { didYouMean } from '../suggest.ts';
import type { CommandContext } from './context.ts';

/** `explain <id>`: what a check looks at, why Coder needs it, how to fix it, its thresholds. */
export function explain(args: string[], io: Io, c: CommandContext): number {
  const id = args[0];
  if (!id) throw new ConfigError('explain needs a check id', 'e.g. coder-preflight explain postgres.connect (coder-preflight list shows all)');
  if (args.length > 1) throw new ConfigError(`unexpected argument "${args[1]}"`, 'explain takes one check id');
  const check = c.checks.find((x) => x.id === id);
  if (!check) throw new ConfigError(`no check "${id}"`, didYouMean(id, c.checks.map((x) => x.id)) || 'coder-preflight list shows every check id');
  io.stdout.write(formatExplain(check));
  return EXIT.ok;
}

export function formatExplain(c: AnyCheck): string {
  const thresholds = c.defaults
    ? ['', 'Thresholds', ...PROFILES.map((p) => {
        const { source, ...o } = resolveOptions(c, { name: p, source: p });
        return `  ${p.padEnd(8)} ${Object.entries(o).map(([k, v]) => `${k}=${String(v)}`).join(', ')}  (${source})`;
      })]
    : [];
  return [
    `${c.id} — ${c.title}`,
    `category: ${c.category}   needs: ${[...c.facts].join(', ') || 'nothing'}${pluginOf(c.id) ? `   plugin: ${pluginOf(c.id)}` : ''}`,
    '',
    `What it checks\n  ${c.explain.what}`,
    '',
    `Why\n  ${c.explain.why}`,
    '',
    `How to fix\n  ${c.explain.fix}`,
    ...thresholds,
    '',
    `Source: ${c.docs}`,
    '',
  ].join('\n');
}
