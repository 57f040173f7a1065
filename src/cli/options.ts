// Flags: their declaration, parsing, and the values that need checking (durations, counts, outputs).
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, errorMessage } from '../errors.ts';
import { parseSelector } from '../kubernetes/scheduling.ts';
import { FORMATS, RENDERERS, type Format } from '../report/renderers.ts';

export const OPTIONS = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  'postgres-url': { type: 'string' },
  'password-file': { type: 'string' },
  'no-input': { type: 'boolean' },
  values: { type: 'string', short: 'f' },
  manifests: { type: 'string' },
  'release-name': { type: 'string' },
  'coder-version': { type: 'string' },
  replicas: { type: 'string' },
  users: { type: 'string' },
  'control-plane-selector': { type: 'string' },
  'workspace-selector': { type: 'string' },
  'access-url': { type: 'string' },
  'wildcard-access-url': { type: 'string' },
  'ca-bundle': { type: 'string' },
  'upgrade-url': { type: 'string' },
  active: { type: 'boolean' },
  probe: { type: 'string', multiple: true },
  'probe-image': { type: 'string' },
  'probe-pull-secret': { type: 'string' },
  'probe-registry': { type: 'string' },
  'egress-endpoint': { type: 'string', multiple: true },
  check: { type: 'string', multiple: true },
  skip: { type: 'string', multiple: true },
  config: { type: 'string', short: 'c' },
  plugin: { type: 'string', multiple: true },
  'save-facts': { type: 'string' },
  'from-facts': { type: 'string' },
  bundle: { type: 'string' },
  'from-bundle': { type: 'string' },
  'redact-hosts': { type: 'boolean' },
  output: { type: 'string', short: 'o', multiple: true },
  'fail-on': { type: 'string' },
  timeout: { type: 'string' },
  verbose: { type: 'boolean' },
  'no-color': { type: 'boolean' },
  color: { type: 'boolean' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

export function parseArgv(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    const msg = errorMessage(e).replace(/\. To specify a positional argument.*$/s, '');
    throw new ConfigError(msg, 'see coder-preflight --help');
  }
}

export type Values = ReturnType<typeof parseArgv>['values'];

/** What the commands write to and read from (tests pass their own). */
export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** dist/api.js of the running tool, so plugins that import 'coder-preflight/api' get this one. */
  apiUrl?: string;
  /** The command line as given (the support bundle records it, secrets masked). */
  argv?: readonly string[];
}

export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(s.trim());
  if (!m) throw new ConfigError(`--timeout "${s}" is not a duration`, 'use e.g. 30s, 500ms or 2m');
  const n = Number(m[1]);
  const ms = m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
  if (ms < 100) throw new ConfigError(`--timeout ${s} is too short`, 'give the run at least 100ms');
  return ms;
}

export function parseReplicas(s: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new ConfigError(`--replicas "${s}" is not a replica count`, 'give the number of Coder replicas, e.g. --replicas 3');
  return n;
}

export function parseUsers(s: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000) throw new ConfigError(`--users "${s}" is not a number of users`, 'give how many users Coder will serve, e.g. --users 2000');
  return n;
}

/** --control-plane-selector / --workspace-selector: "label=value[,label=value]". */
export function parseSelectorFlag(flag: string, s: string): Record<string, string> {
  const sel = parseSelector(s);
  if (!sel) throw new ConfigError(`--${flag} "${s}" is not a node selector`, `give label=value pairs, e.g. --${flag} eks.amazonaws.com/nodegroup=coder`);
  return sel;
}

export interface OutputSpec {
  format: Format;
  file?: string;
}

export function parseOutputs(specs: readonly string[] | undefined): OutputSpec[] {
  const list = (specs ?? []).map((spec): OutputSpec => {
    const eq = spec.indexOf('=');
    const format = (eq >= 0 ? spec.slice(0, eq) : spec).trim();
    const file = eq >= 0 ? spec.slice(eq + 1).trim() : undefined;
    if (!(FORMATS as readonly string[]).includes(format)) {
      throw new ConfigError(`unknown output format "${format}"`, `use one of ${FORMATS.join(', ')}, optionally with =<file>`);
    }
    const f = format as Format;
    if (file !== undefined) {
      if (file === '') throw new ConfigError(`--output ${spec}: missing file name after "="`, `e.g. --output ${f}=report.${RENDERERS[f].extension}`);
      assertWritable(file, `--output ${spec}`);
      return { format: f, file };
    }
    return { format: f };
  });
  if (list.filter((o) => !o.file).length > 1) throw new ConfigError('only one --output can go to stdout', 'send the others to files, e.g. --output json=report.json');
  return list.length ? list : [{ format: 'table' }];
}

/** Fail before the run, not after it, when an output file cannot be written. */
export function assertWritable(file: string, what = file): void {
  const path = resolve(file);
  const dir = dirname(path);
  try {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ConfigError(`cannot write ${file}: directory ${dir} does not exist`, `create the directory or choose another path for ${what}`);
    if (existsSync(path)) {
      if (statSync(path).isDirectory()) throw new ConfigError(`cannot write ${file}: it is a directory`, 'give a file name');
      accessSync(path, constants.W_OK);
    } else accessSync(dir, constants.W_OK);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(`cannot write ${file}: permission denied`, 'choose a path you can write to');
  }
}

export function useColor(values: Pick<Values, 'no-color' | 'color'>, env: NodeJS.ProcessEnv, toTty: boolean): boolean {
  if (values['no-color'] || (env.NO_COLOR ?? '') !== '') return false;
  if (values.color) return true;
  // As the README says: no colour under CI (some runners give jobs a pty) unless --color asks for it.
  return toTty && env.TERM !== 'dumb' && !env.CI;
}
