// The commands behind the CLI: flags, TTY/CI detection, spinner, outputs and the exit code.
// Loaded only when there is work to do, so --help/--version stay fast. Judges nothing.
import { accessSync, constants, existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checks as registry } from '../checks/index.ts';
import { exitCodeFor, type FailOn } from './engine/exit.ts';
import { runChecks, worstStatus } from './engine/run.ts';
import { selectChecks } from './engine/select.ts';
import type { AnyCheck, CheckResult } from './engine/types.ts';
import { ConfigError, EXIT, errorMessage } from './errors.ts';
import { collectors } from './facts/index.ts';
import { FactStore } from './facts/store.ts';
import { HELP } from './help.ts';
import { Redactor } from './redact.ts';
import { renderJson } from './report/json.ts';
import { renderJunit } from './report/junit.ts';
import { renderMarkdown } from './report/markdown.ts';
import { countStatuses, SCHEMA_VERSION, type Report } from './report/model.ts';
import { renderTable } from './report/table.ts';
import { describePg } from './target/pgurl.ts';
import { resolveTarget, type Target } from './target/resolve.ts';
import { VERSION } from './version.ts';

const FORMATS = ['table', 'json', 'junit', 'markdown'] as const;
type Format = (typeof FORMATS)[number];
interface OutputSpec {
  format: Format;
  file?: string;
}

export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

const OPTIONS = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  'postgres-url': { type: 'string' },
  values: { type: 'string', short: 'f' },
  'coder-version': { type: 'string' },
  replicas: { type: 'string' },
  check: { type: 'string', multiple: true },
  skip: { type: 'string', multiple: true },
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

function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    const msg = errorMessage(e).replace(/\. To specify a positional argument.*$/s, '');
    throw new ConfigError(msg, 'see coder-preflight --help');
  }
}

export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(s.trim());
  if (!m) throw new ConfigError(`--timeout "${s}" is not a duration`, 'use e.g. 30s, 500ms or 2m');
  const n = Number(m[1]);
  const ms = m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
  if (ms < 100) throw new ConfigError(`--timeout ${s} is too short`, 'give the run at least 100ms');
  return ms;
}

function parseReplicas(s: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new ConfigError(`--replicas "${s}" is not a replica count`, 'give the number of Coder replicas, e.g. --replicas 3');
  return n;
}

export function parseOutputs(specs: readonly string[] | undefined): OutputSpec[] {
  const list = (specs ?? []).map((spec): OutputSpec => {
    const eq = spec.indexOf('=');
    const format = (eq >= 0 ? spec.slice(0, eq) : spec).trim();
    const file = eq >= 0 ? spec.slice(eq + 1).trim() : undefined;
    if (!(FORMATS as readonly string[]).includes(format)) {
      throw new ConfigError(`unknown output format "${format}"`, `use one of ${FORMATS.join(', ')}, optionally with =<file>`);
    }
    if (file !== undefined) {
      if (file === '') throw new ConfigError(`--output ${spec}: missing file name after "="`, `e.g. --output ${format}=report.${format === 'junit' ? 'xml' : format === 'markdown' ? 'md' : format}`);
      assertWritable(file);
      return { format: format as Format, file };
    }
    return { format: format as Format };
  });
  if (list.filter((o) => !o.file).length > 1) throw new ConfigError('only one --output can go to stdout', 'send the others to files, e.g. --output json=report.json');
  return list.length ? list : [{ format: 'table' }];
}

function assertWritable(file: string): void {
  const path = resolve(file);
  const dir = dirname(path);
  try {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ConfigError(`cannot write ${file}: directory ${dir} does not exist`, 'create the directory or choose another path');
    if (existsSync(path)) {
      if (statSync(path).isDirectory()) throw new ConfigError(`cannot write ${file}: it is a directory`, 'give a file name');
      accessSync(path, constants.W_OK);
    } else accessSync(dir, constants.W_OK);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(`cannot write ${file}: permission denied`, 'choose a path you can write to');
  }
}

function useColor(values: { 'no-color'?: boolean; color?: boolean }, io: Io, toTty: boolean): boolean {
  if (values['no-color'] || (io.env.NO_COLOR ?? '') !== '') return false;
  if (values.color) return true;
  return toTty && io.env.TERM !== 'dumb';
}

export async function main(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv);
  if (values.version) {
    io.stdout.write(`${VERSION}\n`);
    return EXIT.ok;
  }
  const [command = 'run', ...rest] = positionals;
  if (values.help || command === 'help') {
    io.stdout.write(HELP);
    return EXIT.ok;
  }
  switch (command) {
    case 'run':
      if (rest.length) throw new ConfigError(`unexpected argument "${rest[0]}"`, 'see coder-preflight --help');
      return run(values, io);
    case 'list':
      return list(values, io);
    case 'explain':
      return explain(rest, io);
    default:
      throw new ConfigError(`unknown command "${command}"`, 'commands are run (default), list and explain; see --help');
  }
}

type Values = ReturnType<typeof parse>['values'];

function list(values: Values, io: Io): number {
  const outputs = parseOutputs(values.output);
  const chosen = selectChecks(registry, values.check, values.skip);
  const rows = chosen.map((c) => ({ id: c.id, title: c.title, category: c.category, facts: [...c.facts], docs: c.docs }));
  if (outputs[0]?.format === 'json') {
    io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return EXIT.ok;
  }
  const w = Math.max(...rows.map((r) => r.id.length));
  for (const r of rows) io.stdout.write(`${r.id.padEnd(w)}  ${r.title}  [needs: ${r.facts.join(', ')}]\n`);
  io.stdout.write(`\n${rows.length} checks. coder-preflight explain <id> tells what one checks and how to fix it.\n`);
  return EXIT.ok;
}

function explain(args: string[], io: Io): number {
  const id = args[0];
  if (!id) throw new ConfigError('explain needs a check id', 'e.g. coder-preflight explain postgres.connect (coder-preflight list shows all)');
  const c = registry.find((x) => x.id === id);
  if (!c) {
    const near = registry.filter((x) => x.id.includes(id) || id.includes(x.category)).map((x) => x.id);
    throw new ConfigError(`no check "${id}"`, near.length ? `did you mean ${near.join(', ')}?` : 'coder-preflight list shows every check id');
  }
  io.stdout.write(formatExplain(c));
  return EXIT.ok;
}

export function formatExplain(c: AnyCheck): string {
  return [
    `${c.id} — ${c.title}`,
    `category: ${c.category}   needs: ${[...c.facts].join(', ')}`,
    '',
    `What it checks\n  ${c.explain.what}`,
    '',
    `Why\n  ${c.explain.why}`,
    '',
    `How to fix\n  ${c.explain.fix}`,
    '',
    `Source: ${c.docs}`,
    '',
  ].join('\n');
}

async function run(values: Values, io: Io): Promise<number> {
  const startedAt = new Date();
  const started = performance.now();
  const outputs = parseOutputs(values.output);
  const failOn = (values['fail-on'] ?? 'fail') as FailOn;
  if (failOn !== 'warn' && failOn !== 'fail') throw new ConfigError(`--fail-on ${values['fail-on']} is not warn or fail`, 'use --fail-on warn to gate on warnings');
  const timeoutMs = values.timeout ? parseDuration(values.timeout) : 60_000;
  const selected = selectChecks(registry, values.check, values.skip);
  const redactor = new Redactor();
  const target = await resolveTarget({
    kubeconfig: values.kubeconfig,
    context: values.context,
    namespace: values.namespace,
    postgresUrl: values['postgres-url'],
    values: values.values,
    coderVersion: values['coder-version'],
    ...(values.replicas !== undefined ? { replicas: parseReplicas(values.replicas) } : {}),
    env: io.env,
    redactor,
  });

  const abort = new AbortController();
  const deadline = setTimeout(() => abort.abort(new Error('timeout')), timeoutMs);
  deadline.unref();
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(EXIT.interrupted);
    interrupted = true;
    io.stderr.write('\ncoder-preflight: interrupted — stopping and cleaning up (Ctrl-C again to quit at once)\n');
    abort.abort(new Error('interrupted'));
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);

  const stdoutFormat = outputs.find((o) => !o.file)?.format;
  // A spinner only for a person at a real terminal (a pty without a size, like script(1), has 0 columns).
  const cols = (io.stderr as { columns?: number }).columns ?? 0;
  const animate = Boolean(io.stdout.isTTY && io.stderr.isTTY) && cols > 0 && !io.env.CI && stdoutFormat !== 'json' && !values.debug;
  const spinner = animate ? await startSpinner(io, selected.length) : undefined;

  const facts = new FactStore({ collectors, target, redactor, signal: abort.signal });
  let results: CheckResult[];
  try {
    results = await runChecks({
      checks: selected,
      facts,
      context: { profile: target.profile, thresholds: target.thresholds, vantage: target.vantage, deployment: target.deployment },
      redactor,
      signal: abort.signal,
      onStart: (c) => spinner?.started(c.id),
      onDone: (r) => spinner?.done(r.id),
    });
  } finally {
    clearTimeout(deadline);
    spinner?.stop();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    await facts.resources.closeAll();
  }
  if (values.debug) {
    for (const [id, f] of Object.entries(await facts.snapshot())) {
      io.stderr.write(redactor.redact(`debug: fact ${id}: ${f?.ok ? 'ok' : `${f?.reason}: ${f && !f.ok ? f.message : ''}`} (${f?.durationMs} ms)\n`));
    }
  }

  const counts = countStatuses(results);
  const exitCode = interrupted ? EXIT.interrupted : exitCodeFor(results.map((r) => r.status), failOn);
  const report: Report = {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'coder-preflight', version: VERSION },
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - started),
    profile: { name: target.profile.name, source: target.profile.source, ...(target.profile.coderVersion ? { coderVersion: target.profile.coderVersion } : {}) },
    target: describeTarget(target),
    summary: { ...counts, total: results.length, worst: worstStatus(results.map((r) => r.status)) },
    exitCode,
    results: sortResults(results, selected),
  };
  const safe = redactor.redactValue(report);
  const color = useColor(values, io, Boolean(io.stdout.isTTY));
  for (const o of outputs) {
    const text = redactor.redact(render(o.format, safe, o.file ? false : color, io.stdout.columns, values.verbose ?? false));
    if (o.file) {
      try {
        writeFileSync(o.file, text);
      } catch (e) {
        throw new ConfigError(`cannot write ${o.file}: ${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}`, 'choose a path you can write to');
      }
    } else io.stdout.write(text);
  }
  if (!stdoutFormat) io.stdout.write(render('table', safe, color, io.stdout.columns, values.verbose ?? false));
  return exitCode;
}

function sortResults(results: CheckResult[], order: readonly AnyCheck[]): CheckResult[] {
  const idx = new Map(order.map((c, i) => [c.id, i]));
  return [...results].sort((a, b) => (idx.get(a.id) ?? 0) - (idx.get(b.id) ?? 0));
}

function describeTarget(t: Target): Report['target'] {
  return {
    kubernetes: t.kube.configured ? { context: t.kube.target.context, server: t.kube.target.server, source: t.kube.target.source } : null,
    postgres: t.postgres.state === 'configured' ? { url: describePg(t.postgres.settings), source: t.postgres.settings.source } : null,
    namespace: t.namespace,
    valuesFile: t.values?.path ?? null,
    vantage: t.vantage,
  };
}

function render(format: Format, report: Report, color: boolean, columns: number | undefined, verbose: boolean): string {
  switch (format) {
    case 'json':
      return renderJson(report);
    case 'junit':
      return renderJunit(report);
    case 'markdown':
      return renderMarkdown(report);
    case 'table':
      return renderTable(report, { color, width: columns, verbose });
  }
}

async function startSpinner(io: Io, total: number) {
  const { default: ora } = await import('ora');
  const running = new Set<string>();
  let finished = 0;
  const spinner = ora({ stream: io.stderr as NodeJS.WriteStream, text: `running ${total} checks` }).start();
  const update = () => {
    spinner.text = `${finished}/${total} done${running.size ? ` — ${[...running].slice(0, 3).join(', ')}${running.size > 3 ? ', …' : ''}` : ''}`;
  };
  return {
    started(id: string) {
      running.add(id);
      update();
    },
    done(id: string) {
      running.delete(id);
      finished++;
      update();
    },
    stop() {
      spinner.stop();
    },
  };
}
