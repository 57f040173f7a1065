// The seams, end to end against the world: saved facts that replay to the same results, a config
// file, and third-party checks (the example plugin, and plugins that are wrong in every way).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Report } from '../../src/report/model.ts';
import { cleanEnv, expectUsageError, nodeBin, resultOf, root, runCli, runJson, type CliRun } from '../helpers/cli.ts';
import { kubeConfig } from '../world/kube/kube.ts';
import { createFakeNodes, resetScenario } from '../world/kube/scenario.ts';
import { startPostgres, stopPostgres, type PgInstance } from '../world/postgres.ts';

const kube = inject('kube');
const kc = kubeConfig(kube, 'admin');
const SCENARIO = `ext-${process.pid}`;
const EXAMPLE = join(root, 'examples/region-plugin/index.ts');
const tmp = () => mkdtempSync(join(tmpdir(), 'cp-e2e-ext-'));
let pg: PgInstance;
let password: string;

beforeAll(async () => {
  pg = await startPostgres({ major: 17 });
  password = decodeURIComponent(new URL(pg.urls.coder).password);
});
afterAll(async () => {
  await resetScenario(kc, SCENARIO);
  if (pg) await stopPostgres(pg);
});

const json = (args: string[], cwd?: string) => runJson(args, cleanEnv(), cwd);


const live = () => ['--postgres-url', pg.urls.coder, '--kubeconfig', kube.kubeconfig];
const verdicts = (rep: Report) => rep.results.map((x) => ({ id: x.id, status: x.status, summary: x.summary, threshold: x.threshold }));

describe('--save-facts and --from-facts', () => {
  it('replays a run against the world offline with the same statuses and summaries, and saves no secret', async () => {
    const file = join(tmp(), 'facts.json');
    const first = await json([...live(), '--save-facts', file]);
    expect(first.report.facts).toEqual({ source: 'live' });
    expect(first.report.results.length).toBeGreaterThanOrEqual(9);
    expect(resultOf(first.report, 'postgres.connect').status).toBe('pass');
    const snapshot = readFileSync(file, 'utf8');
    const saved = JSON.parse(snapshot) as { kind: string; context: { profile: { name: string }; options: Record<string, unknown> }; facts: Record<string, unknown> };
    expect(saved.kind).toBe('coder-preflight/facts');
    expect(Object.keys(saved.facts)).toEqual(expect.arrayContaining(['postgres.server', 'kubernetes.version', 'kubernetes.storageclasses']));
    expect(saved.context.options['postgres.version']).toMatchObject({ minMajor: 11, recommendedMajor: 13 });
    // Planted secrets: the database password and the kubeconfig's client key.
    const clientKey = (parse(readFileSync(kube.kubeconfig, 'utf8')) as { users: { user: { 'client-key-data'?: string } }[] }).users[0]!.user['client-key-data']!;
    expect(password.length).toBeGreaterThan(8);
    for (const secret of [password, encodeURIComponent(password), clientKey, Buffer.from(clientKey, 'base64').toString('utf8').split('\n')[1]!]) expect(snapshot).not.toContain(secret);

    const replay = await json(['--from-facts', file]);
    expect(replay.r.code).toBe(first.r.code);
    expect(verdicts(replay.report)).toEqual(verdicts(first.report));
    expect(replay.report.facts).toMatchObject({ source: 'snapshot', file, savedBy: first.report.tool.version });
    expect(replay.report.target).toEqual(first.report.target);
    expect(replay.r.stderr).toBe('');
  });

  it('re-judges saved facts for another Coder version, and refuses flags that would connect', async () => {
    const file = join(tmp(), 'facts.json');
    await json(['--postgres-url', pg.urls.coder, '--check', 'postgres', '--save-facts', file]);
    // Without --check, a replay judges the checks the saved run judged.
    const same = await json(['--from-facts', file]);
    expect(same.report.results.map((x) => x.id).every((id) => id.startsWith('postgres.'))).toBe(true);
    expect(same.r.code).toBe(0);
    const v2 = await json(['--from-facts', file, '--coder-version', '2.18.0']);
    expect(resultOf(v2.report, 'postgres.version')).toMatchObject({ status: 'pass', threshold: { value: '>= 13', source: /cli\/server\.go/ } });
    expect(v2.report.profile).toMatchObject({ name: 'v2', coderVersion: '2.18.0' });
    // A fact the saved run never gathered is its own failure, not a pass.
    const kubeOnly = await json(['--from-facts', file, '--check', 'kubernetes.storage-class']);
    expect(resultOf(kubeOnly.report, 'kubernetes.storage-class')).toMatchObject({ status: 'error', summary: /kubernetes\.version is not in .*facts\.json/ });
    expectUsageError(await runCli(['--from-facts', file, '--postgres-url', pg.urls.coder]), /--postgres-url has no effect with --from-facts/);
    expectUsageError(await runCli(['--from-facts', join(tmp(), 'none.json')]), /cannot read facts file .*none\.json: no such file/);
    const other = join(tmp(), 'report.json');
    writeFileSync(other, JSON.stringify({ schemaVersion: 1 }));
    expectUsageError(await runCli(['--from-facts', other]), /is not a coder-preflight facts snapshot/);
  });
});

describe('one root cause, told once', () => {
  it('a refused login: postgres.connect says why and what to do, the other PostgreSQL checks point to it', async () => {
    const url = pg.urls.coder.replace(encodeURIComponent(password), 'definitely-wrong-password');
    const { r, report } = await json(['--postgres-url', url, '--check', 'postgres']);
    expect(r.code).toBe(3);
    const connect = resultOf(report, 'postgres.connect');
    expect(connect).toMatchObject({ status: 'fail', summary: /password authentication failed for user "coder"/, remediation: /check the user and password/ });
    // postgres.password-secret needs no connection: with the password in the URL it has nothing to look at.
    expect(resultOf(report, 'postgres.password-secret')).toMatchObject({ status: 'skip', summary: /not from a Secret/ });
    // postgres.url-syntax needs no connection either: the URL itself is fine.
    expect(resultOf(report, 'postgres.url-syntax').status).toBe('pass');
    // The probe-backed check runs only when asked (--probe pg-connect): here it says so, and needs no connection from here.
    expect(resultOf(report, 'postgres.connect-from-cluster')).toMatchObject({ status: 'skip', summary: /^Not run: the pg-connect probe would prove/ });
    const others = report.results.filter((x) => !['postgres.connect', 'postgres.password-secret', 'postgres.url-syntax', 'postgres.connect-from-cluster'].includes(x.id));
    expect(others.length).toBeGreaterThanOrEqual(4);
    for (const x of others) expect(x, x.id).toMatchObject({ status: 'error', summary: 'Not evaluated: postgres.server was refused: credentials rejected — see postgres.connect', evidence: { see: 'postgres.connect' } });
    const table = await runCli(['--postgres-url', url, '--check', 'postgres'], { env: cleanEnv() });
    expect(table.stdout.split('password authentication failed').length - 1).toBe(1);
    expect(table.stdout.split('check the user and password').length - 1).toBe(1);
    expect(table.stdout).toMatch(/ERROR postgres\.[a-z.-]+(, postgres\.[a-z.-]+)+: not evaluated — see postgres\.connect for the cause and what to do/);
  });
});

describe('config file', () => {
  it('overrides a threshold by check id and says where it came from; sets --fail-on and the selection', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'coder-preflight.config.yaml'), 'check: [postgres.version, postgres.connect]\nfailOn: warn\nthresholds:\n  postgres.version:\n    minMajor: 18\n');
    const { r, report } = await json(['--postgres-url', pg.urls.coder], dir);
    expect(report.results.map((x) => x.id)).toEqual(['postgres.connect', 'postgres.version']);
    expect(resultOf(report, 'postgres.version')).toMatchObject({
      status: 'fail',
      summary: /older than 18/,
      threshold: { value: '>= 18', source: /coder-preflight\.config\.yaml: thresholds\.postgres\.version sets minMajor=18 \(default: Coder docs/ },
    });
    expect(r.code).toBe(3);
    // --check on the command line wins over the file's; failOn: warn turns a warning into exit 4.
    writeFileSync(join(dir, 'coder-preflight.config.yaml'), 'failOn: warn\nthresholds:\n  postgres.version:\n    recommendedMajor: 18\n');
    const warned = await json(['--postgres-url', pg.urls.coder, '--check', 'postgres.version'], dir);
    expect(resultOf(warned.report, 'postgres.version').status).toBe('warn');
    expect(warned.r.code).toBe(4);
  });

  it('a wrong key, a wrong type, bad YAML or an unreadable file is one line and exit 2', async () => {
    const dir = tmp();
    const cases: [string, RegExp][] = [
      ['fail_on: warn\n', /config file .*coder-preflight\.config\.yaml: fail_on is not a known key \(did you mean failOn\?\)/],
      ['thresholds:\n  postgres.version:\n    minMajor: thirteen\n', /thresholds\.postgres\.version\.minMajor must be a number, not string/],
      ['thresholds:\n  postgres.verison:\n    minMajor: 13\n', /thresholds\.postgres\.verison: no check has that id/],
      ['check: [\n', /is not valid YAML/],
    ];
    for (const [text, pattern] of cases) {
      writeFileSync(join(dir, 'coder-preflight.config.yaml'), text);
      expectUsageError(await runCli(['--postgres-url', pg.urls.coder], { cwd: dir }), pattern);
    }
    expectUsageError(await runCli(['--config', join(dir, 'missing.yaml')]), /cannot read config file .*missing\.yaml: no such file/);
  });
});

describe('plugins', () => {
  const config = (dir: string, region?: string) =>
    writeFileSync(join(dir, 'coder-preflight.config.yaml'), `plugins: [${JSON.stringify(EXAMPLE)}]\n${region ? `thresholds:\n  region/postgres.same-region:\n    databaseRegion: ${region}\n` : ''}`);
  const region = (r: Report) => resultOf(r, 'region/postgres.same-region');

  it('the example plugin type-checks against the shipped types', () => {
    execFileSync(nodeBin, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'examples/region-plugin/tsconfig.json')], { stdio: 'pipe' });
  });

  it('the example plugin compares the database region with the nodes\' topology labels', async () => {
    const before = (await kc.makeApiClient((await import('@kubernetes/client-node')).CoreV1Api).listNode()).items.length;
    expect(before, 'the world has no other nodes while this test runs').toBe(0);
    await createFakeNodes(kc, SCENARIO, [1, 2, 3].map((i) => ({ name: `${SCENARIO}-n${i}`, labels: { 'topology.kubernetes.io/region': 'us-east-1' } })));
    const dir = tmp();
    config(dir, 'us-east-1');
    const same = await json(['--kubeconfig', kube.kubeconfig, '--check', 'region'], dir);
    expect(region(same.report)).toMatchObject({ status: 'pass', category: 'postgres', summary: 'All 3 nodes are in us-east-1, with the database', evidence: { regions: ['us-east-1: 3'] } });
    expect(same.report.plugins).toEqual([{ name: 'region', spec: EXAMPLE }]);
    expect(same.r.code).toBe(0);
    config(dir, 'eu-west-1');
    const other = await json(['--kubeconfig', kube.kubeconfig, '--check', 'region'], dir);
    expect(region(other.report)).toMatchObject({ status: 'fail', summary: /database is in eu-west-1, but the nodes are in us-east-1/, remediation: /run the database in us-east-1/ });
    expect(other.r.code).toBe(3);
    config(dir);
    expect(region((await json(['--kubeconfig', kube.kubeconfig, '--check', 'region'], dir)).report)).toMatchObject({ status: 'skip', summary: 'No database region given' });
    // JUnit names it; list and explain show it.
    config(dir, 'us-east-1');
    const junit = await runCli(['--kubeconfig', kube.kubeconfig, '--check', 'region', '-o', 'junit'], { cwd: dir });
    expect(junit.stdout).toContain('region/postgres.same-region');
    const list = await runCli(['list'], { cwd: dir });
    expect(list.stdout).toMatch(/region\/postgres\.same-region\s+The database is in the same region as the cluster nodes\s+\[needs: region\/kubernetes\.node-regions\]\s+\(plugin region\)/);
    const explain = await runCli(['explain', 'region/postgres.same-region'], { cwd: dir });
    expect(explain.stdout).toMatch(/plugin: region/);
    expect(explain.stdout).toMatch(/baseline databaseRegion=/);
  });

  it('a plugin outside the package gets the running tool\'s coder-preflight/api', async () => {
    const dir = tmp();
    writeFileSync(
      join(dir, 'outside.mjs'),
      `import { defineCheck, definePlugin } from 'coder-preflight/api';
export default definePlugin({ name: 'outside', checks: [defineCheck({ id: 'outside/postgres.reachable', title: 'A plugin check on a built-in fact', category: 'postgres', facts: ['postgres.server'], docs: 'https://example.com', explain: { what: 'w', why: 'y', fix: 'f' }, evaluate: (f) => ({ status: 'pass', summary: 'PostgreSQL ' + f['postgres.server'].version, evidence: { major: f['postgres.server'].major } }) })] });`,
    );
    const { report } = await json(['--postgres-url', pg.urls.coder, '--plugin', join(dir, 'outside.mjs'), '--check', 'outside,postgres.connect']);
    expect(resultOf(report, 'outside/postgres.reachable')).toMatchObject({ status: 'pass', summary: /^PostgreSQL 17\./ });
  });

  it('a plugin that does not load, exports nothing or would shadow a built-in is one line and exit 2', async () => {
    const dir = tmp();
    const write = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    expectUsageError(await runCli(['--plugin', join(dir, 'missing.mjs')]), /plugin .*missing\.mjs: no such file/);
    expectUsageError(await runCli(['--plugin', write('syntax.mjs', 'export default {{;')]), /plugin .*syntax\.mjs did not load: SyntaxError: /);
    expectUsageError(await runCli(['--plugin', write('empty.mjs', "export default { name: 'empty', checks: [] };")]), /plugin .*empty\.mjs exports no checks/);
    expectUsageError(
      await runCli(['--plugin', write('shadow.mjs', "export default { name: 'shadow', checks: [{ id: 'postgres.connect', title: 'Shadow', category: 'postgres', facts: [], docs: 'https://x', explain: { what: 'w', why: 'y', fix: 'f' }, evaluate: () => ({ status: 'pass', summary: 's' }) }] };")]),
      /check id "postgres\.connect" must start with "shadow\/"/,
    );
    expectUsageError(await runCli(['list', '--plugin', 'no-such-plugin-package'], { cwd: dir }), /plugin no-such-plugin-package: no such package/);
  });

  it('a plugin check that throws is an error result, and the run completes', async () => {
    const dir = tmp();
    writeFileSync(
      join(dir, 'throws.mjs'),
      "export default { name: 'boom', checks: [{ id: 'boom/postgres.explodes', title: 'Explodes', category: 'postgres', facts: ['postgres.server'], docs: 'https://x', explain: { what: 'w', why: 'y', fix: 'f' }, evaluate: () => { throw new Error('kaboom in evaluate'); } }] };",
    );
    const { r, report } = await json(['--postgres-url', pg.urls.coder, '--plugin', join(dir, 'throws.mjs'), '--check', 'postgres']);
    expect(resultOf(report, 'boom/postgres.explodes')).toMatchObject({ status: 'error', summary: 'The check itself failed: kaboom in evaluate' });
    expect(resultOf(report, 'postgres.connect').status).toBe('pass');
    expect(resultOf(report, 'postgres.version').status).toBe('pass');
    expect(r.code).toBe(1);
  });
});
