// The config file: --config <file>, else coder-preflight.config.yaml (.yml, .json) in the working
// directory. Default selection, --fail-on, plugins, and threshold overrides per check id. It is
// validated against schema/config.schema.json on load: a wrong key or type is one line naming the
// key and the file (exit 2).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError, errorMessage, fileProblem } from '../errors.ts';
import type { Options } from '../engine/types.ts';
import schema from '../../schema/config.schema.json' with { type: 'json' };
import { firstProblem, type Schema } from './validate.ts';
import type { ProbeConfig } from '../probes/settings.ts';

export const CONFIG_NAMES = ['coder-preflight.config.yaml', 'coder-preflight.config.yml', 'coder-preflight.config.json'];

export interface Config {
  /** The file it came from (undefined: no config file). */
  file?: string;
  check?: string[];
  skip?: string[];
  failOn?: 'warn' | 'fail';
  /** Plugin specifiers, paths already resolved against the config file's folder. */
  plugins?: { spec: string; base: string }[];
  thresholds?: Record<string, Options>;
  /** The active probes: like --active, --probe, --probe-image, --probe-pull-secret, --probe-registry. */
  probes?: ProbeConfig;
}

/** Find and read the config file; none is fine unless --config names one. */
export function loadConfig(explicit: string | undefined, cwd: string): Config {
  const file = explicit ? resolve(cwd, explicit) : CONFIG_NAMES.map((n) => join(cwd, n)).find((p) => existsSync(p));
  if (!file) return {};
  const shown = explicit ?? file;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config file ${shown}: ${fileProblem(e)}`, explicit ? 'fix the --config path' : `fix or remove ${shown}`);
  }
  let doc: unknown;
  try {
    if (file.endsWith('.json')) doc = JSON.parse(text);
    else doc = parseYaml(text, { prettyErrors: false });
  } catch (e) {
    throw new ConfigError(`config file ${shown} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${errorMessage(e).split('\n')[0]}`, 'fix the syntax');
  }
  doc ??= {};
  const problem = firstProblem(schema as Schema, doc);
  if (problem) {
    throw new ConfigError(`config file ${shown}: ${problem.path || 'the document'} ${problem.message}`, 'see schema/config.schema.json, or coder-preflight --help');
  }
  const d = doc as Omit<Config, 'plugins' | 'file'> & { plugins?: string[] };
  const base = dirname(file);
  return {
    file: shown,
    ...(d.check ? { check: d.check } : {}),
    ...(d.skip ? { skip: d.skip } : {}),
    ...(d.failOn ? { failOn: d.failOn } : {}),
    ...(d.plugins ? { plugins: d.plugins.map((spec) => ({ spec, base })) } : {}),
    ...(d.thresholds ? { thresholds: d.thresholds } : {}),
    ...(d.probes ? { probes: d.probes } : {}),
  };
}
