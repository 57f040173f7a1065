// A check's options: its defaults for the profile, then a config file's override by check id.
// Every result that uses a threshold says which source it came from.
import { ConfigError } from '../errors.ts';
import { didYouMean } from '../suggest.ts';
import type { AnyCheck, OptionValue, Options, Profile } from './types.ts';

export type ResolvedOptions = Options & { source: string };

/** Overrides from a config file: check id → option → value, and the file they came from. */
export interface OptionOverrides {
  file: string;
  byCheck: Record<string, Options>;
}

export function resolveOptions(check: AnyCheck, profile: Profile, overrides?: OptionOverrides): ResolvedOptions {
  const d = check.defaults;
  if (!d) return { source: 'this check has no thresholds' };
  const forProfile = (d[profile.name] ?? {}) as Partial<ResolvedOptions>;
  return withOverride({ ...d.baseline, ...forProfile, source: forProfile.source ?? d.baseline.source }, check.id, overrides);
}

/** Options with a config file's override for this check on top, saying so in the source. */
export function withOverride(options: ResolvedOptions, id: string, overrides?: OptionOverrides): ResolvedOptions {
  const o = overrides?.byCheck[id];
  if (!o || Object.keys(o).length === 0) return options;
  const set = Object.entries(o).map(([k, v]) => `${k}=${String(v)}`).join(', ');
  return { ...options, ...o, source: `${overrides!.file}: thresholds.${id} sets ${set} (default: ${options.source})` };
}

const typeOf = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);

/** Every override names a known check and one of its options, with the option's type. */
export function validateOverrides(checks: readonly AnyCheck[], overrides: OptionOverrides): void {
  const byId = new Map(checks.map((c) => [c.id, c]));
  for (const [id, opts] of Object.entries(overrides.byCheck)) {
    const c = byId.get(id);
    if (!c) {
      const hint = didYouMean(id, [...byId.keys()]);
      throw new ConfigError(`${overrides.file}: thresholds.${id}: no check has that id`, hint || 'coder-preflight list shows every check id');
    }
    const base = c.defaults?.baseline as Options | undefined;
    if (!base) throw new ConfigError(`${overrides.file}: thresholds.${id}: this check has no thresholds to set`, `coder-preflight explain ${id} says what it checks`);
    for (const [k, v] of Object.entries(opts)) {
      if (k === 'source' || !(k in base)) {
        const known = Object.keys(base).filter((x) => x !== 'source');
        throw new ConfigError(`${overrides.file}: thresholds.${id}.${k} is not an option of ${id}`, `${didYouMean(k, known) || `its options: ${known.join(', ')}`}`);
      }
      const want = typeof (base[k] as OptionValue);
      if (typeOf(v) !== want) throw new ConfigError(`${overrides.file}: thresholds.${id}.${k} must be a ${want}, not ${typeOf(v)}`, `e.g. ${k}: ${JSON.stringify(base[k])}`);
    }
  }
}

/** "key=value, …" of the options (without the source), for a threshold a check did not describe itself. */
export function describeOptions(o: ResolvedOptions): string {
  return Object.entries(o)
    .filter(([k]) => k !== 'source')
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(', ');
}
