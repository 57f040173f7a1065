// The built CLI as a subprocess: fast paths, bad input, and a run with no targets.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertValidReport } from '../helpers/report.ts';
import { sarifProblems } from '../helpers/sarif-schema.ts';
import { cleanEnv, cliBin, expectUsageError, hasCommand, nodeBin, root, runCli, spawnRun, type CliRun } from '../helpers/cli.ts';

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
const tmp = () => mkdtempSync(join(tmpdir(), 'cp-e2e-'));
const isRoot = process.getuid?.() === 0;

/** A Node older than 22 on this machine (the distribution's), if there is one. */
const oldNode = (() => {
  try {
    const v = execFileSync('/usr/bin/node', ['--version'], { encoding: 'utf8' });
    return Number(/^v(\d+)/.exec(v)?.[1]) < 22 ? '/usr/bin/node' : undefined;
  } catch {
    return undefined;
  }
})();



const shq = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
/**
 * The CLI on a pseudo-terminal (script(1)), sized 120x40 as a terminal window is: stdout and stderr
 * both go to the terminal, and what the terminal received comes back as `stdout`.
 */
const runOnPty = (args: string[], env: NodeJS.ProcessEnv) =>
  spawnRun('script', ['-qfec', `stty cols 120 rows 40; exec ${[nodeBin, cliBin, ...args].map(shq).join(' ')}`, '/dev/null'], { env });

const ESC = '\x1b';
/** An SGR sequence: colour or style (ora also writes cursor hide/show, which is not colour). */
const SGR = /\x1b\[[0-9;]*m/;
const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
/** A frame of ora's spinner (braille dots) followed by the progress text. */
const SPINNER_FRAME = /[\u2800-\u28ff] (running \d+ checks|\d+\/\d+ done)/;

/** One line on stderr, no stack trace, exit 2. */

describe('fast paths', () => {
  it('--version prints the package version', async () => {
    const r = await runCli(['--version']);
    expect(r).toMatchObject({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });
  it('--help documents commands, flags and exit codes', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const s of ['--kubeconfig', '--postgres-url', '--values', '--output', '--fail-on', 'Exit codes', 'explain <id>']) expect(r.stdout).toContain(s);
  });
  it('list shows every check with what it needs; list -o json is machine-readable', async () => {
    const r = await runCli(['list']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/kubernetes\.api\s+Kubernetes API server answers\s+\[needs: kubernetes\.version\]/);
    expect(r.stdout).toMatch(/postgres\.connect/);
    const j = await runCli(['list', '-o', 'json']);
    expect(JSON.parse(j.stdout).map((c: { id: string }) => c.id)).toEqual(expect.arrayContaining(['kubernetes.api', 'postgres.connect']));
  });
  it('explain tells what, why, how to fix and the source', async () => {
    const r = await runCli(['explain', 'postgres.connect']);
    expect(r.code).toBe(0);
    for (const s of ['What it checks', 'Why', 'How to fix', 'Source: https://']) expect(r.stdout).toContain(s);
  });
  it.skipIf(!oldNode)('refuses Node older than 22 with one line and exit 2 (the machine\'s /usr/bin/node)', async () => {
    const r = await runCli(['--version'], { node: oldNode });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^coder-preflight: needs Node\.js 22 or newer, this is v(1\d|2[01])\.\d+\.\d+ — install Node 22\+ [^\n]*\n$/);
  });
});

describe('bad input: one line, a hint, exit 2', () => {
  it('unknown flag', async () => expectUsageError(await runCli(['--bogus']), /Unknown option '--bogus'/));
  it('unknown command', async () => expectUsageError(await runCli(['frobnicate']), /unknown command "frobnicate"/));
  it('unknown check id, with a suggestion', async () => {
    const r = await runCli(['--check', 'postgres.conect']);
    expectUsageError(r, /no check matches "postgres.conect"/);
    expect(r.stderr).toContain('did you mean postgres.connect');
  });
  it('explain of an unknown check', async () => expectUsageError(await runCli(['explain', 'nope.nothing']), /no check "nope.nothing"/));
  it('unreadable values file', async () => expectUsageError(await runCli(['--values', '/nonexistent/values.yaml']), /cannot read values file .*no such file/));
  it('malformed YAML', async () => {
    const f = join(tmp(), 'values.yaml');
    writeFileSync(f, 'coder:\n  env: [\n   - name: x\n');
    expectUsageError(await runCli(['--values', f]), /is not valid YAML/);
  });
  it('--manifests that cannot be read, or is not helm template output, like a bad values file', async () => {
    expectUsageError(await runCli(['--manifests', join(tmp(), 'missing.yaml')]), /cannot read manifests file .*missing\.yaml: no such file/);
    const f = join(tmp(), 'manifests.yaml');
    writeFileSync(f, 'kind: [\n');
    expectUsageError(await runCli(['--manifests', f]), /manifests\.yaml/);
  });
  it('--output to an unwritable path', async () => {
    expectUsageError(await runCli(['--output', 'json=/nonexistent-dir/report.json']), /cannot write \/nonexistent-dir\/report\.json: directory .* does not exist/);
  });
  it('--output into a directory the user may not write to (run as an unprivileged user when the tests run as root)', async () => {
    const d = tmp();
    const args = ['--output', `json=${join(d, 'r.json')}`];
    let r: CliRun;
    if (isRoot) {
      // Root may write anywhere: run as nobody, in a directory nobody owns without write permission.
      chownSync(d, 65534, 65534);
      chmodSync(d, 0o500);
      r = await spawnRun('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', nodeBin, cliBin, ...args], { env: cleanEnv() });
    } else {
      chmodSync(d, 0o500);
      r = await runCli(args);
    }
    expectUsageError(r, /^coder-preflight: cannot write \/.*\/r\.json: permission denied\n {2}hint: choose a path you can write to\n$/);
    expect(r.stdout).toBe('');
  });
  it('unknown output format, bad --fail-on, bad --timeout', async () => {
    expectUsageError(await runCli(['-o', 'yaml']), /unknown output format "yaml"/);
    expectUsageError(await runCli(['--fail-on', 'error']), /--fail-on error is not warn or fail/);
    expectUsageError(await runCli(['--timeout', 'soon']), /--timeout "soon" is not a duration/);
  });
  it('a kubeconfig that is missing or has no such context', async () => {
    expectUsageError(await runCli(['--kubeconfig', '/nonexistent/kc']), /cannot read kubeconfig \/nonexistent\/kc: no such file/);
    const d = tmp();
    writeFileSync(join(d, 'kc'), 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: a, context: {cluster: c, user: u}}]\ncurrent-context: a\n');
    expectUsageError(await runCli(['--kubeconfig', join(d, 'kc'), '--context', 'prod']), /context "prod" is not in the kubeconfig/);
  });
  it('an invalid database URL is postgres.url-syntax\'s fail (exit 3, in the report), without echoing the password', async () => {
    const r = await runCli(['--postgres-url', 'postgres://coder:pa%zzword@db/coder', '--check', 'postgres.url-syntax', '-o', 'json']);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout).results[0]).toMatchObject({ id: 'postgres.url-syntax', status: 'fail', summary: expect.stringMatching(/a '%' at position 20, in the password, is not followed by two hex digits/) });
    for (const piece of ['pa%zzword', 'zzword']) expect(r.stdout + r.stderr).not.toContain(piece);
  });
});

describe('a run with nothing to check', () => {
  it('skips every check with a hint and exits 0', async () => {
    const total = JSON.parse((await runCli(['list', '-o', 'json'])).stdout).length;
    const r = await runCli([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`\\b${total} skip — ${total} checks`));
    expect(r.stdout).toContain('pass --kubeconfig');
    expect(r.stdout).toContain('--postgres-url');
  });
  it('writes JSON and JUnit files in the same run, and still prints the table', async () => {
    const d = tmp();
    mkdirSync(d, { recursive: true });
    const r = await runCli(['-o', `json=${join(d, 'r.json')}`, '-o', `junit=${join(d, 'j.xml')}`, '-o', `markdown=${join(d, 'r.md')}`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('SKIP');
    const report = JSON.parse(readFileSync(join(d, 'r.json'), 'utf8'));
    assertValidReport(report);
    expect(report.summary.skip).toBe(report.summary.total);
    expect(report.summary.total).toBeGreaterThanOrEqual(2);
    expect(readFileSync(join(d, 'j.xml'), 'utf8')).toContain('<skipped');
    expect(readFileSync(join(d, 'r.md'), 'utf8')).toContain('# coder-preflight report');
  });
  it('prints JSON only on stdout with -o json, and nothing on stderr', async () => {
    const r = await runCli(['-o', 'json'], { env: cleanEnv({ CI: 'true' }) });
    const report = JSON.parse(r.stdout);
    assertValidReport(report);
    expect(r.stderr).toBe('');
  });
  it('--check and --skip narrow the run', async () => {
    const ids = async (...a: string[]) => JSON.parse((await runCli(['-o', 'json', ...a])).stdout).results.map((x: { id: string }) => x.id) as string[];
    expect(await ids('--check', 'postgres.connect')).toEqual(['postgres.connect']);
    const pgOnly = await ids('--check', 'postgres');
    expect(pgOnly.length).toBeGreaterThan(1);
    expect(pgOnly.every((id) => id.startsWith('postgres.'))).toBe(true);
    const noPg = await ids('--skip', 'postgres');
    expect(noPg).toContain('kubernetes.api');
    expect(noPg.some((id) => id.startsWith('postgres.'))).toBe(false);
  });
});

describe.skipIf(!hasCommand('script') || !hasCommand('stty'))('on a terminal (a sized pseudo-terminal)', () => {
  const term = (extra: NodeJS.ProcessEnv = {}) => cleanEnv({ TERM: 'xterm-256color', ...extra });

  it('animates a spinner on stderr and colours the table', async () => {
    const r = await runOnPty([], term());
    expect(r.code).toBe(0);
    expect(stripAnsi(r.stdout)).toMatch(SPINNER_FRAME);
    expect(r.stdout.slice(r.stdout.indexOf('┌'))).toMatch(SGR); // the table itself is coloured
    expect(stripAnsi(r.stdout)).toMatch(/\d+ skip — \d+ checks/);
  });

  it('under CI: no spinner frame and no ANSI colour, the same report', async () => {
    const r = await runOnPty([], term({ CI: 'true' }));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\d+ skip — \d+ checks/);
    expect(r.stdout).not.toMatch(SPINNER_FRAME);
    expect(r.stdout).not.toMatch(/[\u2800-\u28ff]/);
    expect(r.stdout).not.toContain(ESC);
  });

  it('--no-color, NO_COLOR=1 and TERM=dumb each remove the colour', async () => {
    for (const [args, env] of [
      [['--no-color'], term()],
      [[], term({ NO_COLOR: '1' })],
      [[], cleanEnv({ TERM: 'dumb' })],
    ] as const) {
      const r = await runOnPty([...args, '-o', 'table'], env);
      expect(r.code).toBe(0);
      const report = r.stdout.slice(r.stdout.indexOf('┌')); // the table, after any spinner frames
      expect(report).toMatch(/SKIP/);
      expect(report, JSON.stringify({ args, TERM: env.TERM, NO_COLOR: env.NO_COLOR })).not.toMatch(SGR);
    }
  });
});

describe('SARIF for code scanning', () => {
  it('-o sarif=<file> writes valid SARIF 2.1.0: a rule per check (plugin checks with their own help), a result per warn', async () => {
    const d = tmp();
    writeFileSync(
      join(d, 'warns.mjs'),
      "export default { name: 'acme', checks: [{ id: 'acme/postgres.always-warns', title: 'A plugin check that warns', category: 'postgres', facts: [], docs: 'https://example.com/acme', explain: { what: 'acme what', why: 'acme why', fix: 'acme fix' }, evaluate: () => ({ status: 'warn', summary: 'it warns', remediation: 'do the acme thing', evidence: { a: 1 } }) }] };",
    );
    const r = await runCli(['--plugin', join(d, 'warns.mjs'), '-o', `sarif=${join(d, 'r.sarif')}`]);
    expect(r.code).toBe(0);
    const sarif = JSON.parse(readFileSync(join(d, 'r.sarif'), 'utf8')) as { version: string; runs: { tool: { driver: { rules: { id: string; fullDescription?: { text: string }; helpUri?: string }[] } }; results: { ruleId: string; level: string; message: { text: string } }[] }[] };
    expect(sarifProblems(sarif)).toBeUndefined();
    expect(sarif.version).toBe('2.1.0');
    const run = sarif.runs[0]!;
    const total = JSON.parse((await runCli(['list', '-o', 'json', '--plugin', join(d, 'warns.mjs')])).stdout).length;
    expect(run.tool.driver.rules).toHaveLength(total);
    expect(run.tool.driver.rules.find((x) => x.id === 'acme/postgres.always-warns')).toMatchObject({ fullDescription: { text: 'acme what' }, helpUri: 'https://example.com/acme' });
    expect(run.results).toEqual([expect.objectContaining({ ruleId: 'acme/postgres.always-warns', level: 'warning', message: expect.objectContaining({ text: expect.stringContaining('do the acme thing') }) })]);
  });
});

describe('colour on a pipe', () => {
  it('is off by default and --color forces it', async () => {
    const plain = await runCli([]);
    expect(plain.stdout).not.toContain(ESC);
    const forced = await runCli(['--color']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(SGR);
    expect(stripAnsi(forced.stdout)).toMatch(/\d+ skip — \d+ checks/);
  });
});
