// What every command starts from: the config file, and the checks and collectors (built-in and
// plugins) they may use.
import { checks as builtinChecks } from '../../checks/index.ts';
import type { Io, Values } from '../cli/options.ts';
import { loadConfig, type Config } from '../config/config.ts';
import type { AnyCheck } from '../engine/types.ts';
import { collectors as builtinCollectors } from '../facts/index.ts';
import type { CollectorRegistry } from '../facts/store.ts';
import type { LoadedPlugin } from '../plugins/load.ts';

export interface CommandContext {
  config: Config;
  checks: readonly AnyCheck[];
  collectors: CollectorRegistry;
  plugins: LoadedPlugin[];
}

export async function commandContext(values: Values, io: Io): Promise<CommandContext> {
  const cwd = io.cwd ?? process.cwd();
  const config = loadConfig(values.config, cwd);
  // Plugins from the flag and from the config file; the flag's relative paths are from the working directory.
  const specs = [...(config.plugins ?? []), ...(values.plugin ?? []).map((spec) => ({ spec, base: cwd }))];
  let plugins: LoadedPlugin[] = [];
  if (specs.length) {
    const { loadPlugins } = await import('../plugins/load.ts');
    plugins = await loadPlugins(specs, { checks: builtinChecks, factIds: Object.keys(builtinCollectors) }, io.apiUrl);
  }
  const collectors: CollectorRegistry = { ...builtinCollectors, ...Object.fromEntries(plugins.flatMap((p) => p.collectors.map((c) => [c.id, c]))) };
  return { config, checks: [...builtinChecks, ...plugins.flatMap((p) => p.checks)], collectors, plugins };
}
