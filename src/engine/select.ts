// --check / --skip: by exact id, by glob (`postgres.*`), by category (`postgres`), by tag, or by
// plugin name (`acme` selects every acme/… check).
import { ConfigError } from '../errors.ts';
import { didYouMean } from '../suggest.ts';
import { pluginOf } from './define.ts';
import type { AnyCheck } from './types.ts';

function matcher(pattern: string): (c: AnyCheck) => boolean {
  if (pattern.includes('*')) {
    const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    return (c) => re.test(c.id);
  }
  return (c) => c.id === pattern || c.category === pattern || (c.tags ?? []).includes(pattern) || pluginOf(c.id) === pattern;
}

function patterns(list: readonly string[]): string[] {
  return list.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
}

/** Every name a selection can use: ids, categories, tags, plugin names. */
export function selectorNames(all: readonly AnyCheck[]): string[] {
  return [...new Set(all.flatMap((c) => [c.id, c.category, ...(c.tags ?? []), ...(pluginOf(c.id) ? [pluginOf(c.id)!] : [])]))];
}

export function selectChecks(all: readonly AnyCheck[], include: readonly string[] = [], exclude: readonly string[] = []): AnyCheck[] {
  const inc = patterns(include);
  const exc = patterns(exclude);
  for (const p of [...inc, ...exc]) {
    if (!all.some(matcher(p))) {
      throw new ConfigError(`no check matches "${p}"`, [didYouMean(p, selectorNames(all)), 'coder-preflight list shows every check id and category'].filter(Boolean).join(' '));
    }
  }
  const selected = all.filter((c) => (inc.length === 0 || inc.some((p) => matcher(p)(c))) && !exc.some((p) => matcher(p)(c)));
  if (selected.length === 0) throw new ConfigError('the --check/--skip selection leaves no check to run', 'loosen --skip or widen --check');
  return selected;
}
