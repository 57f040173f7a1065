// The support bundle against the world (real PostgreSQL, real kube-apiserver with kwok nodes):
// --bundle writes one archive that GNU tar opens, with the report in every form, the facts every
// check saw, the command line without secrets, and the redaction manifest; --from-bundle replays it
// offline to the same verdicts, says so when another version wrote it, and --redact-hosts leaves no
// address or host name in any file. A committed bundle (test/fixtures/bundles/) replays too.
//
// Regenerate the fixture (after a check changed what it says on those facts):
//   UPDATE_BUNDLE_FIXTURE=1 CODER_PREFLIGHT_WORLD_DIR=$PWD/.world/bundle node node_modules/vitest/vitest.mjs run --project e2e test/e2e/bundle.test.ts
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Report } from '../../src/report/model.ts';
import { bundleFiles, bundlePaths, rewriteBundle } from '../helpers/bundle.ts';
import { cleanEnv, expectUsageError, root, runCli, runJson } from '../helpers/cli.ts';
import { assertValidReport } from '../helpers/report.ts';
import { kubeConfig } from '../world/kube/kube.ts';
import { createFakeNodes, ensureNamespace, resetScenario } from '../world/kube/scenario.ts';
import { startPostgres, stopPostgres, type PgInstance } from '../world/postgres.ts';

const kube = inject('kube');
const admin = kubeConfig(kube, 'admin');
const SCENARIO = `bundle-${process.pid}`;
const NS = `${SCENARIO}-coder`;
const FIXTURE = join(root, 'test/fixtures/bundles/world-v2.tar.gz');
const tmp = () => mkdtempSync(join(tmpdir(), 'cp-e2e-bundle-'));
let pg: PgInstance;
let password: string;
let values: string;
/** The built CLI's version (src/version.ts says "dev" when the tests import it). */
let VERSION: string;

/** What a replay must reproduce: every verdict, its words and its threshold. */
const verdicts = (r: Report) => r.results.map((x) => ({ id: x.id, status: x.status, summary: x.summary, threshold: x.threshold }));

beforeAll(async () => {
  pg = await startPostgres({ major: 17 });
  password = decodeURIComponent(new URL(pg.urls.coder).password);
  await ensureNamespace(admin, SCENARIO, NS);
  await createFakeNodes(admin, SCENARIO, [1, 2].map((i) => ({ name: `${SCENARIO}-node-${i}`, labels: { 'topology.kubernetes.io/zone': `zone-${i}` } })));
  values = join(tmp(), 'values.yaml');
  writeFileSync(values, `coder:\n  replicaCount: 2\n  env:\n    - name: CODER_PG_CONNECTION_URL\n      value: ${JSON.stringify(pg.urls.coder)}\n    - name: CODER_ACCESS_URL\n      value: https://coder.bundle.example\n    - name: CODER_DERP_SERVER_RELAY_URL\n      value: http://198.51.100.7:8080\n`);
});
afterAll(async () => {
  await resetScenario(admin, SCENARIO);
  if (pg) await stopPostgres(pg);
});

const live = () => ['--kubeconfig', kube.kubeconfig, '-n', NS, '--values', values];

describe('--bundle', () => {
  it('writes one archive with the report in every form, the facts, meta.json and the redaction manifest, and replays it to the same verdicts', async () => {
    const d = tmp();
    const file = join(d, 'preflight.tar.gz');
    const first = await runJson([...live(), '--bundle', file]);
    VERSION = first.report.tool.version;
    expect(first.report.results.length).toBeGreaterThanOrEqual(20);
    expect(first.r.stderr).toBe(`coder-preflight: wrote the support bundle ${file} (${(statSync(file).size / 1024).toFixed(1)} KiB: 7 files; redaction.json lists what was masked); replay it with coder-preflight run --from-bundle ${file}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // GNU tar opens it: one directory, these files.
    expect(execFileSync('tar', ['tzf', file], { encoding: 'utf8' }).trim().split('\n')).toEqual(['coder-preflight-bundle/', 'coder-preflight-bundle/probes/', ...['report.json', 'report.md', 'junit.xml', 'report.html', 'facts.json', 'meta.json', 'redaction.json'].map((f) => `coder-preflight-bundle/${f}`)]);
    expect(bundlePaths(file)).toHaveLength(7); // the directories are not files
    const files = bundleFiles(file);

    const inBundle = JSON.parse(files.get('report.json')!) as Report;
    assertValidReport(inBundle);
    expect(verdicts(inBundle)).toEqual(verdicts(first.report));
    expect(XMLValidator.validate(files.get('junit.xml')!)).toBe(true);
    expect(files.get('report.md')).toMatch(/^# coder-preflight report/);
    for (const x of first.report.results) expect(files.get('report.html'), x.id).toContain(`data-check-id="${x.id}" data-status="${x.status}"`);
    const facts = JSON.parse(files.get('facts.json')!) as { kind: string; formatVersion: number; facts: Record<string, unknown>; context: { checks: string[] } };
    expect(facts).toMatchObject({ kind: 'coder-preflight/facts', formatVersion: 1 });
    expect(Object.keys(facts.facts)).toEqual(expect.arrayContaining(['postgres.server', 'postgres.latency', 'kubernetes.version', 'kubernetes.nodes', 'chart.objects']));
    expect(facts.context.checks).toEqual(first.report.results.map((x) => x.id));

    const meta = JSON.parse(files.get('meta.json')!);
    expect(meta).toMatchObject({
      kind: 'coder-preflight/bundle',
      formatVersion: 1,
      tool: { name: 'coder-preflight', version: VERSION },
      node: process.version,
      platform: { os: 'linux', arch: process.arch },
      command: { argv: [...live(), '--bundle', file, '-o', 'json'] },
      run: { exitCode: first.r.code, facts: 'live' },
      vantage: { where: `this machine (${hostname()})`, inCluster: false },
      hostsRedacted: false,
      probes: expect.stringMatching(/^no probe ran/),
    });
    expect(meta.command.line).toBe(`coder-preflight ${[...live(), '--bundle', file, '-o', 'json'].join(' ')}`);

    // The manifest: the values file's URL password was registered as the file was read, and masked in the facts (the chart renders it into the Deployment).
    const manifest = JSON.parse(files.get('redaction.json')!);
    const pw = manifest.secrets.find((s: { what: string }) => s.what === `password in values file ${values} coder.env[0] CODER_PG_CONNECTION_URL`);
    expect(pw).toMatchObject({ forms: expect.arrayContaining(['as read', 'base64']), masked: { 'bundle facts.json': expect.any(Number) } });
    expect(manifest.secrets.map((s: { what: string }) => s.what)).toContain('client key (client-key-data) of kubeconfig user world-admin');
    expect(Object.keys(manifest.outputs)).toEqual(expect.arrayContaining(['stdout', 'bundle report.json', 'bundle report.md', 'bundle junit.xml', 'bundle report.html', 'bundle facts.json', 'bundle meta.json']));
    expect(manifest.hosts).toMatchObject({ redacted: false });
    for (const [name, text] of files) expect(text, name).not.toContain(password);

    // Offline: no flag that connects, nothing reachable needed; the same verdicts and exit code.
    const replay = await runJson(['run', '--from-bundle', file]);
    expect(replay.r.code).toBe(first.r.code);
    expect(verdicts(replay.report)).toEqual(verdicts(first.report));
    expect(replay.report.target).toEqual(first.report.target);
    expect(replay.report.facts).toEqual({ source: 'bundle', file, savedAt: expect.any(String), savedBy: VERSION });
    expect(replay.r.stderr).toBe('');
    // A replay can write a bundle of its own, which says where its facts came from.
    const again = join(d, 'again.tar.gz');
    const second = await runJson(['--from-bundle', file, '--bundle', again]);
    expect(verdicts(second.report)).toEqual(verdicts(first.report));
    expect(JSON.parse(bundleFiles(again).get('meta.json')!).run).toMatchObject({ facts: 'bundle', replayedFrom: file });
    // …and its facts are still those the first run gathered, with who gathered them and when.
    const facts2 = JSON.parse(bundleFiles(again).get('facts.json')!);
    expect({ tool: facts2.tool, savedAt: facts2.savedAt }).toEqual({ tool: JSON.parse(files.get('facts.json')!).tool, savedAt: JSON.parse(files.get('facts.json')!).savedAt });
  });

  it('says so in the report and on stderr when another version wrote the bundle', async () => {
    const d = tmp();
    const file = join(d, 'new.tar.gz');
    VERSION = (await runJson([...live(), '--check', 'postgres', '--bundle', file])).report.tool.version;
    const old = join(d, 'old.tar.gz');
    rewriteBundle(file, old, (path, text) => (path === 'facts.json' || path === 'meta.json' ? text.replace(`"version": "${VERSION}"`, '"version": "0.0.1-old"') : text));
    const { r, report } = await runJson(['--from-bundle', old]);
    expect(r.stderr).toBe(`coder-preflight: replaying a bundle written by coder-preflight 0.0.1-old with ${VERSION}: checks that changed since may judge differently\n`);
    expect(report.facts).toMatchObject({ source: 'bundle', savedBy: '0.0.1-old', note: `facts gathered by coder-preflight 0.0.1-old, judged by ${VERSION}: checks that changed since may judge differently` });
    const table = await runCli(['--from-bundle', old], { env: cleanEnv() });
    expect(table.stdout).toContain(`Note: facts gathered by coder-preflight 0.0.1-old, judged by ${VERSION}`);
    const md = await runCli(['--from-bundle', old, '-o', 'markdown'], { env: cleanEnv() });
    expect(md.stdout).toContain('- **Note:** facts gathered by coder-preflight 0.0.1-old');
  });

  it('--redact-hosts: no address and no host name in any file (loopback kept), the same placeholder everywhere, and a replay that agrees', async () => {
    const d = tmp();
    const file = join(d, 'redacted.tar.gz');
    const { r, report } = await runJson([...live(), '--redact-hosts', '--bundle', file]);
    const files = bundleFiles(file);
    const forbidden = [hostname(), `${SCENARIO}-node-1`, `${SCENARIO}-node-2`, 'coder.bundle.example', '198.51.100.7'];
    // Without --redact-hosts they are all there (so this test can fail).
    const plain = join(d, 'plain.tar.gz');
    await runJson([...live(), '--bundle', plain]);
    const all = [...bundleFiles(plain).values()].join('\n');
    for (const f of forbidden) expect(all, f).toContain(f);
    for (const [name, text] of [...files, ['stdout', r.stdout], ['stderr', r.stderr]] as const) {
      for (const f of forbidden) expect(text.includes(f), `${f} in ${name}`).toBe(false);
    }
    // Loopback stays: it names no machine, and postgres.url-syntax judges it.
    expect(report.target.kubernetes?.server).toBe(kube.server);
    // Consistent across files: the relay URL's address is one placeholder in the facts, the report and the HTML.
    const relay = /"CODER_DERP_SERVER_RELAY_URL",\s*"value": "http:\/\/(ip-\d+):8080"/.exec(files.get('facts.json')!)?.[1];
    expect(relay).toMatch(/^ip-\d+$/);
    const access = /https:\/\/(host-\d+)/.exec(JSON.stringify(JSON.parse(files.get('facts.json')!).facts['chart.objects']))?.[1];
    expect(access).toMatch(/^host-\d+$/);
    expect(files.get('report.html')).toContain(`http://${relay}:8080`);
    expect(files.get('report.json')).toContain(`http://${relay}:8080`);
    expect(files.get('report.md')).toContain(`http://${relay}:8080`);
    expect(files.get('meta.json')).toMatch(/"where": "this machine \(host-\d+\)"/);
    const manifest = JSON.parse(files.get('redaction.json')!);
    expect(manifest.hosts).toMatchObject({ redacted: true, note: expect.stringMatching(/^--redact-hosts/) });
    expect(manifest.hosts.placeholders.map((p: { placeholder: string; kind: string }) => p.kind)).toEqual(expect.arrayContaining(['an IPv4 address', 'a node name', 'the name of the machine coder-preflight ran on', 'a host name in a URL']));
    // The docs links are not the user's hosts.
    expect(files.get('report.html')).toContain('href="https://coder.com/docs/');
    // Placeholders are consistent, so a replay judges the same (names compared to names stay equal),
    // except where a check judges what a host is: access-url.* tells a documentation name such as
    // coder.bundle.example from a real one, and a placeholder is neither (the bundle's note says so).
    const replay = await runJson(['--from-bundle', file]);
    const nameBlind = (r: typeof report) => verdicts(r).filter((v) => !v.id.startsWith('access-url.'));
    expect(nameBlind(replay.report)).toEqual(nameBlind(report));
    expect(replay.report.facts?.note ?? JSON.stringify(replay.report)).toMatch(/placeholder|--redact-hosts/);
  });

  it('refuses what is not a bundle, flags that would connect, and both replay sources, before doing anything', async () => {
    const d = tmp();
    const notBundle = join(d, 'report.json');
    writeFileSync(notBundle, '{}');
    expectUsageError(await runCli(['--from-bundle', notBundle]), /bundle .*report\.json is not a gzipped tar archive/);
    expectUsageError(await runCli(['--from-bundle', join(d, 'none.tar.gz')]), /cannot read bundle .*none\.tar\.gz: no such file/);
    const file = join(d, 'b.tar.gz');
    await runJson(['--postgres-url', pg.urls.coder, '--check', 'postgres.version', '--bundle', file]);
    expectUsageError(await runCli(['--from-bundle', file, '--postgres-url', pg.urls.coder]), /--postgres-url has no effect with --from-bundle: the facts were gathered already/);
    expectUsageError(await runCli(['--from-bundle', file, '--from-facts', file]), /--from-facts and --from-bundle both give the facts to judge/);
    expectUsageError(await runCli(['--postgres-url', pg.urls.coder, '--bundle', join(d, 'missing-dir', 'b.tar.gz')]), /cannot write .*b\.tar\.gz: directory .* does not exist/);
    const noFacts = join(d, 'nofacts.tar.gz');
    rewriteBundle(file, noFacts, (path, text) => (path === 'meta.json' ? text.replace('coder-preflight/bundle', 'something/else') : text));
    expectUsageError(await runCli(['--from-bundle', noFacts]), /is not a coder-preflight bundle \(meta\.json kind is not "coder-preflight\/bundle"\)/);
  });
});

describe('the bundle as a test fixture', () => {
  it('a committed bundle from a run against the world replays to the verdicts it recorded', async () => {
    if (process.env.UPDATE_BUNDLE_FIXTURE) {
      const d = tmp();
      const file = join(d, 'world-v2.tar.gz');
      await runJson([...live(), '--redact-hosts', '--bundle', file]);
      copyFileSync(file, FIXTURE);
    }
    const files = bundleFiles(FIXTURE);
    const recorded = JSON.parse(files.get('report.json')!) as Report;
    const meta = JSON.parse(files.get('meta.json')!) as { tool: { version: string } };
    const { r, report } = await runJson(['--from-bundle', FIXTURE]);
    const VERSION = report.tool.version;
    expect(verdicts(report), 'a check judges these facts differently now: if that is intended, regenerate the fixture (see the top of this file)').toEqual(verdicts(recorded));
    expect(r.code).toBe(recorded.exitCode);
    expect(report.results.length).toBeGreaterThanOrEqual(20);
    expect(report.results.filter((x) => x.status === 'pass').length).toBeGreaterThanOrEqual(10);
    if (meta.tool.version === VERSION) expect(r.stderr).toBe('');
    else expect(r.stderr).toMatch(/replaying a bundle written by coder-preflight/);
    expect(readFileSync(FIXTURE).length).toBeLessThan(64 * 1024);
  });
});
