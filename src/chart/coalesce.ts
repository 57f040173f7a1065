// Helm's coalescing of the user's values over the chart's values.yaml (helm/pkg/chartutil
// coalesce.go, coalesceValues and coalesceTablesFullKey): mappings merge deeply, anything else
// (lists included) replaces, and a null given by the user deletes the key, default and all.
import { isMap, type YamlMap } from './types.ts';

/** The values the templates see: `user` over `defaults`. Neither argument is changed. */
export function coalesceValues(user: YamlMap, defaults: YamlMap): YamlMap {
  const dst = structuredClone(user);
  const src = structuredClone(defaults);
  for (const [key, def] of Object.entries(src)) {
    if (!Object.hasOwn(dst, key)) {
      dst[key] = def;
      continue;
    }
    const given = dst[key];
    if (given === null || given === undefined) delete dst[key];
    else if (isMap(given) && isMap(def)) coalesceTables(given, def);
    // A scalar or list given over a mapping (or the other way round) wins; Helm only warns.
  }
  return dst;
}

/** coalesceTablesFullKey: merge `src` (defaults) into `dst` (given), in place. */
function coalesceTables(dst: YamlMap, src: YamlMap): void {
  // Every null the user gave is deleted, also for keys the defaults do not have.
  for (const [key, val] of Object.entries(dst)) if (val === null || val === undefined) src[key] = null;
  for (const [key, def] of Object.entries(src)) {
    if (!Object.hasOwn(dst, key)) {
      dst[key] = def;
      continue;
    }
    const given = dst[key];
    if (given === null || given === undefined) delete dst[key];
    else if (isMap(def) && isMap(given)) coalesceTables(given, def);
    // A table default under a non-table value, or a scalar default under a table: the given one stays.
  }
}
