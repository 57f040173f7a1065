import type { CheckDefinition, FactId } from './types.ts';

/**
 * Declare a check. The `const` type parameter keeps the declared fact ids literal, so
 * `evaluate` receives exactly those facts, each typed by `FactMap`.
 */
export function defineCheck<const F extends readonly FactId[]>(def: CheckDefinition<F>): CheckDefinition<F> {
  if (!/^[a-z][a-z0-9-]*\.[a-z][a-z0-9.-]*$/.test(def.id)) throw new Error(`bad check id ${def.id}`);
  if (!def.id.startsWith(`${def.category}.`)) throw new Error(`check ${def.id} must start with its category ${def.category}`);
  return def;
}
