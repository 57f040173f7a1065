import type { Collector } from '../facts/collector.ts';
import type { FactId } from '../facts/types.ts';
import type { AnyCheck } from '../engine/types.ts';

/** What a plugin module exports as its default: its name (the prefix of its ids), checks and collectors. */
export interface PluginDefinition {
  /** Lower-case, e.g. "acme": every check id is "acme/<category>.<name>", every fact id "acme/<family>.<name>". */
  name: string;
  checks: readonly AnyCheck[];
  /** Collectors for the plugin's own facts (built-in facts need none). */
  collectors?: readonly Collector<FactId>[];
}

export function definePlugin(p: PluginDefinition): PluginDefinition {
  return p;
}
