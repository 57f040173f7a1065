// libcoder's `libcoder.util.merge`: `toYaml (merge $overrides $base)`, where sprig's merge is
// mergo.Merge without overwrite. A key of the base is taken when the overrides lack it or hold an
// empty value there; mappings on both sides merge deeply; a base key whose value is null is dropped
// (mergo skips nil sources) — so e.g. `replicas: null` disappears from the Deployment, while nulls
// inside a mapping only the base has (`readOnlyRootFilesystem: null`) stay.
import { isMap, type YamlMap } from './types.ts';
import { truthy } from './go-template.ts';

export function mergeLikeSprig(overrides: YamlMap, base: YamlMap): YamlMap {
  for (const [key, value] of Object.entries(base)) {
    if (value === null || value === undefined) continue;
    const current = overrides[key];
    if (isMap(value) && isMap(current) && truthy(current)) mergeLikeSprig(current, value);
    else if (!truthy(current)) overrides[key] = value;
  }
  return overrides;
}
