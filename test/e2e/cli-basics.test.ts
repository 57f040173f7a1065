// The built CLI as a subprocess: fast paths, bad input, and a run with no targets.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertValidReport } from '../helpers/report.ts';
import { cleanEnv, root, runCli } from '../helpers/cli.ts';

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
const tmp = () => mkdtempSync(join(tmpdir(), 'cp-e2e-'));

/** One line on stderr, no stack trace, exit 2. */
function expectUsageError(r: { code: number | null; stderr: string; stdout: string }, pattern: RegExp) {
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).toMatch(/^coder-preflight: .+\n {2}hint: .+\n$/);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

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
  it('refuses Node older than 22 with one line and exit 2', async () => {
    if (!existsSync('/usr/bin/node')) return;
    const r = await runCli(['--version'], { node: '/usr/bin/node' });
    const major = Number(/v(\d+)/.exec((await import('node:child_process')).execFileSync('/usr/bin/node', ['--version'], { encoding: 'utf8' }))?.[1]);
    if (major >= 22) return; // the machine's own Node is new enough: nothing to refuse
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^coder-preflight: needs Node\.js 22 or newer, this is v\d+/);
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
  it('--output to an unwritable path', async () => {
    expectUsageError(await runCli(['--output', 'json=/nonexistent-dir/report.json']), /cannot write \/nonexistent-dir\/report\.json: directory .* does not exist/);
    if (process.getuid?.() !== 0) {
      const d = tmp();
      chmodSync(d, 0o500);
      expectUsageError(await runCli(['--output', `json=${join(d, 'r.json')}`]), /permission denied/);
    }
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
  it('an invalid database URL, without echoing the password', async () => {
    const r = await runCli(['--postgres-url', 'postgres://coder:pa%zzword@db/coder']);
    expectUsageError(r, /invalid escape in its password/);
    expect(r.stderr).not.toContain('pa%zzword');
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
  it('prints JSON only on stdout with -o json, with no spinner or colour', async () => {
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
