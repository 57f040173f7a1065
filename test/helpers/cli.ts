// Run the built CLI as a subprocess, the way users and CI do.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { Report } from '../../src/report/model.ts';
import { assertValidReport } from './report.ts';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const nodeBin = join(root, 'node_modules/.bin/node');
export const cliBin = join(root, 'bin/coder-preflight.js');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A clean environment: no kubeconfig, no database, no CI colour surprises. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const home = mkdtempSync(join(tmpdir(), 'cp-home-'));
  return { PATH: process.env.PATH, HOME: home, LANG: 'C.UTF-8', ...extra };
}

/** Run a command (not through a shell) and collect its output; killed after `timeoutMs`. */
export function spawnRun(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? cleanEnv(), cwd: opts.cwd ?? root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; node?: string; cwd?: string } = {}): Promise<CliRun> {
  return spawnRun(opts.node ?? nodeBin, [cliBin, ...args], opts);
}

/** Run with `-o json`, parse stdout and validate it against the report schema. */
export async function runJson(args: string[], env: NodeJS.ProcessEnv = cleanEnv(), cwd?: string): Promise<{ r: CliRun; report: Report }> {
  const r = await runCli([...args, '-o', 'json'], { env, ...(cwd ? { cwd } : {}) });
  let report: unknown;
  try {
    report = JSON.parse(r.stdout);
  } catch {
    throw new Error(`not JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  assertValidReport(report);
  return { r, report };
}

export const resultOf = (report: Report, id: string) => {
  const found = report.results.find((x) => x.id === id);
  if (!found) throw new Error(`no result for ${id} in ${report.results.map((x) => x.id).join(', ')}`);
  return found;
};

/** Wait (up to 2.5 s: backends exit just after their client) until no coder-preflight session remains. */
export async function preflightSessionsLeft(superuserUrl: string): Promise<number> {
  const pg = (await import('pg')).default;
  const su = new pg.Client({ connectionString: superuserUrl });
  await su.connect();
  try {
    let n = -1;
    for (let i = 0; i < 50 && n !== 0; i++) {
      n = (await su.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'coder-preflight'")).rows[0]!.n;
      if (n) await new Promise((r) => setTimeout(r, 50));
    }
    return n;
  } finally {
    await su.end();
  }
}

/** Run one check (`--check <id>`, JSON out): its result, the exit code, the whole report. */
export async function runCheck(id: string, args: string[], env?: NodeJS.ProcessEnv) {
  const { r, report } = await runJson([...args, '--check', id], env);
  return { code: r.code, res: resultOf(report, id), report, r };
}

/** A usage error as users see it: exit 2, one line and a hint on stderr, no stack trace, nothing on stdout. */
export function expectUsageError(r: CliRun, pattern: RegExp): void {
  expect(r.stderr).toMatch(pattern);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toMatch(/^coder-preflight: [^\n]+\n {2}hint: [^\n]+\n$/);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stdout).toBe('');
}

/** Whether a command is on the PATH (for tests that need script, unshare, setpriv…). */
export function hasCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}
