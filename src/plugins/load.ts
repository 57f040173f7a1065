// --plugin <path or package> (and `plugins:` in the config file): ESM modules whose default export
// is definePlugin({ name, checks, collectors }). Loaded only when asked for, after --help/--version
// have had their chance. A plugin that does not load, or whose ids could shadow a built-in check,
// is one line and exit 2; a plugin check that throws at run time is just that check's `error`.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, errorMessage } from '../errors.ts';
import { defineCheck } from '../engine/define.ts';
import type { AnyCheck } from '../engine/types.ts';
import type { Collector } from '../facts/collector.ts';
import type { FactId } from '../facts/types.ts';
import { defineCollector } from '../facts/collector.ts';
import type { PluginDefinition } from './define.ts';

export interface PluginSpec {
  spec: string;
  /** The folder a relative path or a package is resolved from. */
  base: string;
}

export interface LoadedPlugin {
  name: string;
  spec: string;
  checks: AnyCheck[];
  collectors: Collector<FactId>[];
}

const NAME = /^[a-z][a-z0-9-]*$/;
const isPath = (s: string) => s.startsWith('.') || isAbsolute(s) || /\.(m?js|ts|mts)$/.test(s);

/** A package's ESM entry, found like Node would from `base` (exports "import"/"default", else module/main). */
function resolvePackage(spec: string, base: string): string {
  try {
    return createRequire(join(base, 'package.json')).resolve(spec);
  } catch {
    /* an ESM-only package: its exports have no "require" condition */
  }
  const [scopeOrName, maybeName] = spec.split('/');
  const name = spec.startsWith('@') ? `${scopeOrName}/${maybeName}` : scopeOrName!;
  const sub = spec.slice(name.length) || '.';
  for (let dir = base; ; dir = dirname(dir)) {
    const pkgDir = join(dir, 'node_modules', name);
    if (existsSync(join(pkgDir, 'package.json'))) {
      const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { exports?: unknown; module?: string; main?: string };
      const key = sub === '.' ? '.' : `.${sub}`;
      let entry: unknown = typeof pkg.exports === 'string' && key === '.' ? pkg.exports : (pkg.exports as Record<string, unknown> | undefined)?.[key];
      while (entry && typeof entry === 'object') entry = (entry as Record<string, unknown>).import ?? (entry as Record<string, unknown>).default;
      const file = typeof entry === 'string' ? entry : key === '.' ? (pkg.module ?? pkg.main ?? 'index.js') : undefined;
      if (file) return join(pkgDir, file);
      break;
    }
    if (dirname(dir) === dir) break;
  }
  throw new ConfigError(`plugin ${spec}: no such package (looked in node_modules from ${base})`, `install it (npm install ${name}) or give a path, e.g. --plugin ./${spec}.mjs`);
}

let hooked = false;
/** Plugins import 'coder-preflight/api': give them the running tool's, wherever they live. */
async function redirectApi(apiUrl: string | undefined): Promise<void> {
  if (hooked || !apiUrl) return;
  hooked = true;
  const mod = (await import('node:module')) as unknown as { registerHooks?: (h: unknown) => void };
  mod.registerHooks?.({
    resolve(specifier: string, context: unknown, next: (s: string, c: unknown) => unknown) {
      if (specifier === 'coder-preflight/api') return { url: apiUrl, shortCircuit: true };
      return next(specifier, context);
    },
  });
}

function firstLine(e: unknown): string {
  const err = e as { name?: string; message?: string };
  const msg = errorMessage(e).split('\n')[0] ?? '';
  return err.name && err.name !== 'Error' && !msg.startsWith(err.name) ? `${err.name}: ${msg}` : msg;
}

async function importPlugin(p: PluginSpec, apiUrl: string | undefined): Promise<unknown> {
  const file = isPath(p.spec) ? resolve(p.base, p.spec) : resolvePackage(p.spec, p.base);
  if (!existsSync(file)) throw new ConfigError(`plugin ${p.spec}: no such file (${file})`, 'check the --plugin path (relative paths are from the working directory, or from the config file for its plugins)');
  await redirectApi(apiUrl);
  try {
    return await import(pathToFileURL(file).href);
  } catch (e) {
    throw new ConfigError(`plugin ${p.spec} did not load: ${firstLine(e)}`, 'fix the plugin module (run it with node to see the whole error)');
  }
}

/** Load and validate every plugin; `builtin` says what a plugin may not shadow and which facts exist. */
export async function loadPlugins(specs: readonly PluginSpec[], builtin: { checks: readonly AnyCheck[]; factIds: readonly string[] }, apiUrl?: string): Promise<LoadedPlugin[]> {
  const loaded: LoadedPlugin[] = [];
  const categories = new Set(builtin.checks.map((c) => c.category));
  for (const p of specs) {
    const mod = (await importPlugin(p, apiUrl)) as { default?: Partial<PluginDefinition> } & Partial<PluginDefinition>;
    const def = (mod.default && typeof mod.default === 'object' ? mod.default : mod) as Partial<PluginDefinition>;
    const where = `plugin ${p.spec}`;
    if (typeof def.name !== 'string' || !NAME.test(def.name)) {
      throw new ConfigError(`${where} has no valid name (got ${JSON.stringify(def.name)})`, 'export default definePlugin({ name: "acme", checks: [...] }) with a lower-case name: it prefixes every check id');
    }
    const name = def.name;
    if (categories.has(name) || loaded.some((l) => l.name === name)) throw new ConfigError(`${where}: the name "${name}" is taken (${categories.has(name) ? 'a built-in category' : 'another plugin'})`, 'give the plugin another name');
    if (!Array.isArray(def.checks) || def.checks.length === 0) throw new ConfigError(`${where} exports no checks`, 'export default definePlugin({ name, checks: [defineCheck({...})] })');
    const collectors: Collector<FactId>[] = [];
    for (const c of def.collectors ?? []) {
      try {
        defineCollector(c);
      } catch (e) {
        throw new ConfigError(`${where}: ${errorMessage(e)}`, 'see the plugin example in examples/');
      }
      if (!c.id.startsWith(`${name}/`)) throw new ConfigError(`${where}: fact ${c.id} must start with "${name}/"`, 'a plugin cannot replace a built-in collector');
      collectors.push(c);
    }
    const facts = new Set([...builtin.factIds, ...collectors.map((c) => c.id)]);
    const checks: AnyCheck[] = [];
    for (const c of def.checks) {
      const id = (c as { id?: unknown })?.id;
      if (typeof id !== 'string' || !id.startsWith(`${name}/`)) {
        throw new ConfigError(`${where}: check id ${JSON.stringify(id)} must start with "${name}/"`, `a plugin's check ids carry its name, so they cannot shadow a built-in check (e.g. "${name}/postgres.same-region")`);
      }
      try {
        defineCheck(c);
      } catch (e) {
        throw new ConfigError(`${where}: ${errorMessage(e)}`, 'see the plugin example in examples/');
      }
      for (const f of c.facts as readonly string[]) if (!facts.has(f)) throw new ConfigError(`${where}: check ${id} needs fact ${f}, which no collector provides`, 'use a built-in fact (coder-preflight list shows them) or bring a collector for it');
      if ([...checks, ...builtin.checks].some((x) => x.id === id)) throw new ConfigError(`${where}: two checks have the id ${id}`, 'give each check its own id');
      checks.push(c);
    }
    loaded.push({ name, spec: p.spec, checks, collectors });
  }
  return loaded;
}
