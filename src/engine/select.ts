// --check / --skip: by exact id, by glob (`postgres.*`), or by category (`postgres`).
import { ConfigError } from '../errors.ts';
import type { AnyCheck } from './types.ts';

function matcher(pattern: string): (c: AnyCheck) => boolean {
  if (pattern.includes('*')) {
    const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    return (c) => re.test(c.id);
  }
  return (c) => c.id === pattern || c.category === pattern || (c.tags ?? []).includes(pattern);
}

function patterns(list: readonly string[]): string[] {
  return list.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
}

export function selectChecks(all: readonly AnyCheck[], include: readonly string[] = [], exclude: readonly string[] = []): AnyCheck[] {
  const inc = patterns(include);
  const exc = patterns(exclude);
  for (const p of [...inc, ...exc]) {
    if (!all.some(matcher(p))) {
      const near = all.filter((c) => c.id.includes(p) || p.includes(c.category)).map((c) => c.id);
      throw new ConfigError(
        `no check matches "${p}"`,
        near.length ? `did you mean ${near.slice(0, 3).join(', ')}? (coder-preflight list shows all)` : 'coder-preflight list shows every check id and category',
      );
    }
  }
  const selected = all.filter((c) => (inc.length === 0 || inc.some((p) => matcher(p)(c))) && !exc.some((p) => matcher(p)(c)));
  if (selected.length === 0) throw new ConfigError('the --check/--skip selection leaves no check to run', 'loosen --skip or widen --check');
  return selected;
}
