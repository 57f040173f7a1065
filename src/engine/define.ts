import type { FactId } from '../facts/types.ts';
import type { CheckDefinition, Options } from './types.ts';

/** `<category>.<name>`, or `<plugin>/<category>.<name>` for a plugin's check. */
const CHECK_ID = /^(?:([a-z][a-z0-9-]*)\/)?([a-z][a-z0-9-]*)\.[a-z][a-z0-9.-]*$/;

/** The plugin prefix of an id ("acme" for "acme/postgres.region"), or undefined for a built-in check. */
export function pluginOf(id: string): string | undefined {
  return CHECK_ID.exec(id)?.[1];
}

/**
 * Declare a check. The `const` type parameter keeps the declared fact ids literal, so
 * `evaluate` receives exactly those facts, each typed by `FactMap`; the options' type comes
 * from `defaults.baseline`.
 */
export function defineCheck<const F extends readonly FactId[], O extends Options = Options>(def: CheckDefinition<F, O>): CheckDefinition<F, O> {
  const m = CHECK_ID.exec(def.id);
  if (!m) throw new Error(`bad check id "${def.id}": use <category>.<name> (plugins: <plugin>/<category>.<name>)`);
  if (m[2] !== def.category) throw new Error(`check ${def.id}: its category "${def.category}" must be the part before the first dot ("${m[2]}")`);
  for (const k of ['title', 'docs'] as const) if (typeof def[k] !== 'string' || def[k] === '') throw new Error(`check ${def.id}: ${k} is missing`);
  if (!def.explain || !def.explain.what || !def.explain.why || !def.explain.fix) throw new Error(`check ${def.id}: explain needs what, why and fix`);
  if (!Array.isArray(def.facts)) throw new Error(`check ${def.id}: facts must be a list of fact ids`);
  if (typeof def.evaluate !== 'function') throw new Error(`check ${def.id}: evaluate is not a function`);
  if (def.defaults) {
    const base = def.defaults.baseline as Options | undefined;
    if (!base || typeof base.source !== 'string') throw new Error(`check ${def.id}: defaults.baseline needs every option and a source`);
    for (const p of ['v1', 'v2'] as const) {
      const d = def.defaults[p] as Options | undefined;
      if (!d) continue;
      if (typeof d.source !== 'string') throw new Error(`check ${def.id}: defaults.${p} needs a source`);
      for (const k of Object.keys(d)) if (!(k in base)) throw new Error(`check ${def.id}: defaults.${p}.${k} is not in defaults.baseline`);
    }
  }
  return Object.freeze(def);
}
