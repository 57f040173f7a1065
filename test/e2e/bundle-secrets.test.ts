// Planted secrets, against the world: a unique secret in every input that holds one — the password
// in a --postgres-url, a Secret's value (a URL read through the values file), a --password-file, a
// kubeconfig token, a kubeconfig client key (client-key-data), what a credential plugin returns, and
// literal secrets in a values file's env — and not one of them, in any form (as is, URL-encoded,
// base64, a line of a PEM key), in stdout, stderr, any report file, the saved facts, or any file of
// the bundle. The manifest shows each was registered as it was read, and where it was masked (the
// values file's literals really reach the saved facts: the chart renders them into the Deployment).
// Every bundle replays to the same verdicts.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Report } from '../../src/report/model.ts';
import { bundleFiles } from '../helpers/bundle.ts';
import { cleanEnv, runCli, runJson, type CliRun } from '../helpers/cli.ts';
import { CLUSTER_NAME } from '../world/kube/kube.ts';
import { kubeConfig } from '../world/kube/kube.ts';
import { ensureNamespace, resetScenario } from '../world/kube/scenario.ts';
import { createTokenUser, type TokenUser } from '../world/kube/users.ts';
import { startPostgres, stopPostgres, withClient, type PgInstance } from '../world/postgres.ts';

const kube = inject('kube');
const admin = kubeConfig(kube, 'admin');
const SCENARIO = `plant-${process.pid}`;
const NS = `${SCENARIO}-coder`;
const tmp = () => mkdtempSync(join(tmpdir(), 'cp-e2e-plant-'));
/** Unique, and needing URL encoding (a naive encoder or decoder would leave a piece behind). */
const plant = (what: string) => `pl4nt-${what}-${randomBytes(6).toString('hex')}-p@ss/w:rd%?#&'"`;
const P = { url: plant('url'), file: plant('file'), secret: plant('secret'), values: plant('values'), oidc: plant('oidc') };
const READ: { apiGroups: string[]; resources: string[]; verbs: string[] }[] = [{ apiGroups: ['*'], resources: ['*'], verbs: ['get', 'list', 'watch'] }];

let pg: PgInstance;
let tokenUser: TokenUser;
let execUser: TokenUser;
let execKubeconfig: string;
let plugin: string;
let clientKeyData: string;
const enc = encodeURIComponent;

beforeAll(async () => {
  pg = await startPostgres({ major: 17 });
  await withClient(pg.urls.superuser, async (c) => {
    for (const [role, pw] of [['plant_url', P.url], ['plant_file', P.file], ['plant_secret', P.secret], ['plant_values', P.values]] as const) {
      await c.query(`CREATE ROLE ${role} LOGIN PASSWORD ${c.escapeLiteral(pw)}`);
      await c.query(`GRANT CONNECT ON DATABASE coder TO ${role}`);
    }
  });
  await ensureNamespace(admin, SCENARIO, NS);
  await admin.makeApiClient(CoreV1Api).createNamespacedSecret({ namespace: NS, body: { metadata: { name: 'db-url', labels: { 'preflight.test/scenario': SCENARIO } }, stringData: { url: `postgres://plant_secret:${enc(P.secret)}@127.0.0.1:${pg.port}/coder?sslmode=disable` } } });
  tokenUser = await createTokenUser(admin, kube, SCENARIO, { name: `${SCENARIO}-token`, rules: READ });
  execUser = await createTokenUser(admin, kube, SCENARIO, { name: `${SCENARIO}-exec`, rules: READ });
  // A credential plugin that hands out execUser's token (as aws eks get-token or gke-gcloud-auth-plugin would).
  const d = tmp();
  plugin = join(d, 'get-token.sh');
  writeFileSync(plugin, `#!/bin/sh\ncat <<'EOF'\n${JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: execUser.token } })}\nEOF\n`);
  chmodSync(plugin, 0o755);
  execKubeconfig = join(d, 'kubeconfig');
  writeFileSync(execKubeconfig, stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: CLUSTER_NAME, cluster: { server: kube.server, 'certificate-authority-data': readFileSync(kube.caFile).toString('base64') } }], users: [{ name: 'plugin-user', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin, interactiveMode: 'Never' } } }], contexts: [{ name: 'plugin', context: { cluster: CLUSTER_NAME, user: 'plugin-user' } }], 'current-context': 'plugin' }));
  clientKeyData = (parse(readFileSync(kube.kubeconfig, 'utf8')) as { users: { user: { 'client-key-data'?: string } }[] }).users[0]!.user['client-key-data']!;
});
afterAll(async () => {
  await resetScenario(admin, SCENARIO);
  if (pg) await stopPostgres(pg);
});

/** Every form a planted secret could take in output. */
function forms(secret: string): string[] {
  const out = [secret, enc(secret), Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('base64url'), JSON.stringify(secret).slice(1, -1)];
  // A PEM key: any line of its body (a key cut into lines is still the key).
  if (/PRIVATE KEY/.test(secret)) out.push(...secret.split('\n').filter((l) => l.length >= 16 && !l.startsWith('-----')));
  // Pieces a redactor that only knew the URL-decoded or the raw form might leave: the part before the first URL delimiter.
  out.push(secret.split(/[@/:%?#&'"]/)[0]!);
  return [...new Set(out)].filter((f) => f.length >= 8);
}

interface Outputs {
  r: CliRun;
  files: Map<string, string>;
  bundle: string;
  manifest: { secrets: { what: string; masked: Record<string, number>; total: number }[]; outputs: Record<string, number> };
  report: Report;
}

/** One run with every output there is: the table on stdout, --debug on stderr, every report format to a file, --save-facts and --bundle. */
async function everything(args: string[]): Promise<Outputs> {
  const d = tmp();
  const bundle = join(d, 'bundle.tar.gz');
  const r = await runCli([...args, '-o', 'table', ...['json', 'junit', 'markdown', 'sarif', 'html'].flatMap((f) => ['-o', `${f}=${join(d, `report.${f}`)}`]), '--save-facts', join(d, 'facts.json'), '--bundle', bundle, '--debug'], { env: cleanEnv() });
  expect([0, 1, 3], r.stderr).toContain(r.code);
  const files = new Map<string, string>();
  for (const f of readdirSync(d).filter((x) => x !== 'bundle.tar.gz')) files.set(f, readFileSync(join(d, f), 'utf8'));
  for (const [name, text] of bundleFiles(bundle)) files.set(`bundle:${name}`, text);
  expect([...files.keys()].sort()).toEqual(['bundle:facts.json', 'bundle:junit.xml', 'bundle:meta.json', 'bundle:redaction.json', 'bundle:report.html', 'bundle:report.json', 'bundle:report.md', 'facts.json', 'report.html', 'report.json', 'report.junit', 'report.markdown', 'report.sarif']);
  return { r, files, bundle, manifest: JSON.parse(files.get('bundle:redaction.json')!), report: JSON.parse(files.get('report.json')!) as Report };
}

function expectNoSecret(o: Outputs, secrets: Record<string, string>): void {
  const streams: [string, string][] = [['stdout', o.r.stdout], ['stderr', o.r.stderr], ...o.files];
  for (const [what, secret] of Object.entries(secrets)) {
    for (const form of forms(secret)) for (const [name, text] of streams) expect(text.includes(form), `${what} (${form.slice(0, 12)}…) in ${name}`).toBe(false);
  }
}

const registered = (o: Outputs) => o.manifest.secrets.map((s) => s.what);
const verdicts = (r: Report) => r.results.map((x) => ({ id: x.id, status: x.status, summary: x.summary }));

async function replaysTheSame(o: Outputs, secrets: Record<string, string>): Promise<void> {
  const replay = await runJson(['--from-bundle', o.bundle]);
  expect(verdicts(replay.report)).toEqual(verdicts(o.report));
  expect(replay.report.summary).toEqual(o.report.summary);
  expect(replay.r.code).toBe(o.r.code);
  expectNoSecret({ ...o, r: replay.r, files: new Map() }, secrets);
}

const ALL = () => ({ ...P, token: tokenUser.token, execToken: execUser.token, clientKeyData, clientKey: Buffer.from(clientKeyData, 'base64').toString('utf8') });

describe('planted secrets in every input, in no output', () => {
  it('a --postgres-url password, a kubeconfig token, and literal secrets in the values file env', async () => {
    const values = join(tmp(), 'values.yaml');
    writeFileSync(values, stringify({ coder: { replicaCount: 1, env: [{ name: 'CODER_PG_CONNECTION_URL', value: `postgres://plant_values:${enc(P.values)}@127.0.0.1:${pg.port}/coder?sslmode=disable` }, { name: 'CODER_OIDC_CLIENT_SECRET', value: P.oidc }] } }));
    const url = `postgres://plant_url:${enc(P.url)}@127.0.0.1:${pg.port}/coder?sslmode=disable`;
    const o = await everything(['--kubeconfig', tokenUser.kubeconfig, '-n', NS, '--postgres-url', url, '--values', values]);
    expect(o.report.results.find((x) => x.id === 'postgres.connect')).toMatchObject({ status: 'pass', evidence: { user: 'plant_url' } });
    expect(o.report.results.find((x) => x.id === 'kubernetes.api')?.status).toBe('pass');
    expectNoSecret(o, ALL());
    expect(registered(o)).toEqual(expect.arrayContaining([`token of kubeconfig user ${tokenUser.name}`, 'password from --postgres-url', `password in values file ${values} coder.env[0] CODER_PG_CONNECTION_URL`, `CODER_OIDC_CLIENT_SECRET in values file ${values} coder.env[1] CODER_OIDC_CLIENT_SECRET`]));
    // Where they really reached an output, masked: the command line, and the Deployment the chart renders (in the saved facts).
    const masked = (what: string) => o.manifest.secrets.find((s) => s.what.startsWith(what))!.masked;
    expect(masked('password from --postgres-url')).toMatchObject({ 'bundle meta.json': expect.any(Number) });
    expect(masked('CODER_OIDC_CLIENT_SECRET in values file')).toMatchObject({ 'bundle facts.json': expect.any(Number), [`file ${o.bundle.replace('bundle.tar.gz', 'facts.json')}`]: expect.any(Number) });
    expect(JSON.stringify(o.manifest)).not.toContain(P.oidc.slice(0, 16));
    await replaysTheSame(o, ALL());
  });

  it('a Secret\'s value (the URL the values file points at), a --password-file and a kubeconfig client key', async () => {
    const values = join(tmp(), 'values.yaml');
    writeFileSync(values, stringify({ coder: { env: [{ name: 'CODER_PG_CONNECTION_URL', valueFrom: { secretKeyRef: { name: 'db-url', key: 'url' } } }] } }));
    const pwFile = join(tmp(), 'password');
    writeFileSync(pwFile, `${P.file}\n`);
    const o = await everything(['--kubeconfig', kube.kubeconfig, '-n', NS, '--postgres-url', `postgres://plant_file@127.0.0.1:${pg.port}/coder?sslmode=disable`, '--password-file', pwFile, '--values', values]);
    expect(o.report.results.find((x) => x.id === 'postgres.connect')).toMatchObject({ status: 'pass', evidence: { user: 'plant_file' } });
    expect(o.report.results.find((x) => x.id === 'values.pg-url-wired')).toMatchObject({ summary: expect.stringContaining(`Secret ${NS}/db-url key "url"`) });
    expectNoSecret(o, ALL());
    expect(registered(o)).toEqual(expect.arrayContaining(['client key (client-key-data) of kubeconfig user world-admin', 'password from --password-file', `connection URL from Secret ${NS}/db-url key "url"`]));
    await replaysTheSame(o, ALL());
  });

  it('the token a credential plugin returns, and the Secret the database URL comes from', async () => {
    const values = join(tmp(), 'values.yaml');
    writeFileSync(values, stringify({ coder: { env: [{ name: 'CODER_PG_CONNECTION_URL', valueFrom: { secretKeyRef: { name: 'db-url', key: 'url' } } }] } }));
    const o = await everything(['--kubeconfig', execKubeconfig, '-n', NS, '--values', values]);
    expect(o.report.results.find((x) => x.id === 'kubernetes.api')?.status).toBe('pass');
    expect(o.report.results.find((x) => x.id === 'postgres.connect')).toMatchObject({ status: 'pass', evidence: { user: 'plant_secret' } });
    expectNoSecret(o, ALL());
    expect(registered(o)).toEqual(expect.arrayContaining([`token from the credential plugin "${plugin}" of kubeconfig user plugin-user`, `connection URL from Secret ${NS}/db-url key "url"`]));
    await replaysTheSame(o, ALL());
  });
});
