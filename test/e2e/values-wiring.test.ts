// How a values file hands the database to Coder, read against the world's real kube-apiserver and
// a real PostgreSQL: coder.envFrom (Secrets and ConfigMaps, prefixes, later entries winning),
// configMapKeyRef, references to objects and keys that do not exist, a URL set where the chart never
// reads it, v1 mTLS Secrets used for the connection, --password-file and the password prompt.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CoreV1Api } from '@kubernetes/client-node';
import { kubeConfig } from '../world/kube/kube.ts';
import { startPostgres, stopPostgres, withClient, type PgInstance } from '../world/postgres.ts';
import { cleanEnv, cliBin, expectUsageError, hasCommand, nodeBin, resultOf, root, runCli, runJson } from '../helpers/cli.ts';

const kube = inject('kube');
const NS = `preflight-e2e-wiring-${randomBytes(3).toString('hex')}`;
const tmp = () => mkdtempSync(join(tmpdir(), 'cp-e2e-wiring-'));
const PASSWORD = `w1r3d-${randomBytes(8).toString('hex')}`;
const ROLE = 'wired';

let pg: PgInstance;
let mtls: PgInstance;
let api: CoreV1Api;
let url: string;

const values = (text: string) => {
  const f = join(tmp(), 'values.yaml');
  writeFileSync(f, text);
  return f;
};
const run = (file: string, extra: string[] = [], env?: NodeJS.ProcessEnv) => runJson(['--kubeconfig', kube.kubeconfig, '-n', NS, '--values', file, '--check', 'values,postgres.connect', ...extra], env);
const noSecretIn = (...outs: string[]) => {
  for (const out of outs) {
    expect(out).not.toContain(PASSWORD);
    expect(out).not.toContain(Buffer.from(PASSWORD).toString('base64'));
  }
};

beforeAll(async () => {
  [pg, mtls] = await Promise.all([startPostgres({ major: 17 }), startPostgres({ major: 17, tls: 'mtls' })]);
  await withClient(pg.urls.superuser, async (c) => {
    await c.query(`CREATE ROLE ${ROLE} LOGIN PASSWORD ${c.escapeLiteral(PASSWORD)}`);
    await c.query(`GRANT CONNECT ON DATABASE coder TO ${ROLE}`);
  });
  url = `postgres://${ROLE}:${PASSWORD}@127.0.0.1:${pg.port}/coder?sslmode=disable`;
  const k8s = await import('@kubernetes/client-node');
  api = kubeConfig(kube, 'admin').makeApiClient(k8s.CoreV1Api);
  await api.createNamespace({ body: { metadata: { name: NS } } });
  const secret = (name: string, stringData: Record<string, string>) => api.createNamespacedSecret({ namespace: NS, body: { metadata: { name }, stringData } });
  const files = mtls.tlsFiles!;
  await Promise.all([
    secret('env-a', { CODER_PG_CONNECTION_URL: 'postgres://nobody:wrong@127.0.0.1:1/none?sslmode=disable', OTHER: 'x' }),
    secret('env-b', { CODER_PG_CONNECTION_URL: url }),
    secret('env-prefixed', { CONNECTION_URL: url }),
    secret('unrelated', { CODER_ACCESS_URL: 'https://coder.example.test' }),
    secret('db-url', { password: PASSWORD }),
    secret('pg-client', { 'tls.crt': readFileSync(files.clientCert!, 'utf8'), 'tls.key': readFileSync(files.clientKey!, 'utf8') }),
    secret('pg-ca', { 'ca.crt': readFileSync(files.caCert, 'utf8') }),
    api.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'db-cm' }, data: { url } } }),
  ]);
});
afterAll(async () => {
  if (api) await api.deleteNamespace({ name: NS }).catch(() => undefined);
  await Promise.all([pg && stopPostgres(pg), mtls && stopPostgres(mtls)]);
});

describe('values.pg-url-wired and the connection, on the real cluster', () => {
  it('coder.envFrom: the later Secret wins, skipping objects without the key; the URL is never printed', async () => {
    const { r, report } = await run(values('coder:\n  envFrom:\n    - secretRef: {name: env-a}\n    - configMapRef: {name: absent-cm, optional: true}\n    - secretRef: {name: unrelated}\n    - secretRef: {name: env-b}\n'));
    expect(resultOf(report, 'values.pg-url-wired')).toMatchObject({ status: 'pass', summary: `The values give Coder its database URL from Secret ${NS}/env-b key "CODER_PG_CONNECTION_URL" (coder.envFrom[3])` });
    expect(resultOf(report, 'postgres.connect')).toMatchObject({ status: 'pass', evidence: { user: ROLE } });
    expect(r.code).toBe(0);
    noSecretIn(r.stdout, r.stderr);
  });

  it('coder.envFrom with a prefix: CODER_PG_ + CONNECTION_URL', async () => {
    const { report } = await run(values('coder:\n  envFrom:\n    - prefix: CODER_PG_\n      secretRef: {name: env-prefixed}\n'));
    expect(resultOf(report, 'values.pg-url-wired')).toMatchObject({ status: 'pass', summary: /Secret .*\/env-prefixed key "CONNECTION_URL"/ });
    expect(resultOf(report, 'postgres.connect').status).toBe('pass');
  });

  it('coder.envFrom where no object has the key fails, listing the keys each has; connect points at it', async () => {
    const { r, report } = await run(values('coder:\n  envFrom:\n    - secretRef: {name: unrelated}\n'));
    const res = resultOf(report, 'values.pg-url-wired');
    expect(res).toMatchObject({ status: 'fail', summary: `The values file points Coder at a database setting that is not there: coder.envFrom gives Coder no CODER_PG_CONNECTION_URL (Secret ${NS}/unrelated (coder.envFrom[0]): keys CODER_ACCESS_URL)` });
    expect(resultOf(report, 'postgres.connect')).toMatchObject({ status: 'error', summary: 'Not evaluated: values.pg-wiring is misconfigured — see values.pg-url-wired' });
    expect(r.code).toBe(3);
  });

  it('a secretKeyRef to a key the Secret does not have, and to a Secret that does not exist', async () => {
    const ref = (name: string) => values(`coder:\n  env:\n    - name: CODER_PG_CONNECTION_URL\n      valueFrom:\n        secretKeyRef: {name: ${name}, key: url}\n`);
    const nokey = await run(ref('db-url'));
    expect(resultOf(nokey.report, 'values.pg-url-wired')).toMatchObject({ status: 'fail', summary: /Secret .*\/db-url has no key "url" \(its keys: password\)/, remediation: /CreateContainerConfigError/ });
    const missing = await run(ref('no-such'));
    expect(resultOf(missing.report, 'values.pg-url-wired')).toMatchObject({ status: 'fail', summary: /Secret .*\/no-such does not exist/ });
  });

  it('a URL set only where the chart never reads it fails: Coder would run its built-in PostgreSQL', async () => {
    const { r, report } = await run(values(`env:\n  - name: CODER_PG_CONNECTION_URL\n    value: ${url}\ncoder:\n  replicaCount: 1\n`));
    expect(resultOf(report, 'values.pg-url-wired')).toMatchObject({ status: 'fail', summary: /^CODER_PG_CONNECTION_URL is set only in values env\[0\], which the chart ignores: Coder would start its built-in PostgreSQL/ });
    expect(resultOf(report, 'postgres.connect').status).toBe('skip');
    noSecretIn(r.stdout, r.stderr);
  });

  it('a configMapKeyRef connects, and warns that a ConfigMap is not secret', async () => {
    const { report } = await run(values('coder:\n  env:\n    - name: CODER_PG_CONNECTION_URL\n      valueFrom:\n        configMapKeyRef: {name: db-cm, key: url}\n'));
    expect(resultOf(report, 'values.pg-url-wired')).toMatchObject({ status: 'warn', summary: /comes from a ConfigMap/ });
    expect(resultOf(report, 'postgres.connect').status).toBe('pass');
  });

  it('judges the values even when --postgres-url overrides the database for the run', async () => {
    const { report } = await run(values('coder:\n  env:\n    - name: CODER_PG_CONNECTION_URL\n      valueFrom:\n        secretKeyRef: {name: db-url, key: url}\n'), ['--postgres-url', url]);
    expect(resultOf(report, 'values.pg-url-wired').status).toBe('fail');
    expect(resultOf(report, 'postgres.connect')).toMatchObject({ status: 'pass', evidence: { settingsFrom: '--postgres-url' } });
  });
});

describe('a v1 values file with mTLS Secrets (postgres.ssl.*)', () => {
  it('connects with the client certificate from the Secrets, and leaves no key file behind', async () => {
    const temp = tmp();
    const file = values(`coderd:\n  replicas: 1\npostgres:\n  host: 127.0.0.1\n  port: ${mtls.port}\n  user: coder\n  database: coder\n  sslMode: verify-full\n  ssl:\n    certSecret: {name: pg-client, key: tls.crt}\n    keySecret: {name: pg-client, key: tls.key}\n    rootCertSecret: {name: pg-ca, key: ca.crt}\n`);
    const { r, report } = await run(file, [], cleanEnv({ TMPDIR: temp }));
    expect(resultOf(report, 'postgres.connect')).toMatchObject({ status: 'pass', evidence: { sslmode: 'verify-full', tls: true, user: 'coder' } });
    expect(resultOf(report, 'values.pg-url-wired').status).toBe('pass');
    expect(r.code).toBe(0);
    expect(readdirSync(temp).filter((n) => n.startsWith('coder-preflight-pg-'))).toEqual([]);
    const key = readFileSync(mtls.tlsFiles!.clientKey!, 'utf8').split('\n')[1]!;
    expect(r.stdout + r.stderr).not.toContain(key);
  });

  it('postgres.connector awsiamrds: says what it cannot verify instead of failing the login', async () => {
    const file = values(`coderd:\n  replicas: 1\npostgres:\n  host: 127.0.0.1\n  port: ${pg.port}\n  user: ${ROLE}\n  database: coder\n  sslMode: disable\n  connector: awsiamrds\n`);
    const { r, report } = await run(file);
    expect(resultOf(report, 'postgres.connect')).toMatchObject({ status: 'skip', summary: /AWS IAM \(values postgres.connector = awsiamrds\): coder-preflight cannot sign an IAM token/, remediation: /--password-file/ });
    expect(r.code).toBe(0);
    // With a token (here the role's password) in --password-file, it logs in as Coder would.
    const pw = join(tmp(), 'token');
    writeFileSync(pw, `${PASSWORD}\n`);
    const withToken = await run(file, ['--password-file', pw]);
    expect(resultOf(withToken.report, 'postgres.connect')).toMatchObject({ status: 'pass', evidence: { settingsFrom: 'values postgres.*, password from --password-file' } });
  });
});

describe('--password-file and the password prompt', () => {
  const bare = () => `postgres://${ROLE}@127.0.0.1:${pg.port}/coder?sslmode=disable`;

  it('takes the password from the file (one trailing newline dropped), and refuses two passwords', async () => {
    const f = join(tmp(), 'pw');
    writeFileSync(f, `${PASSWORD}\n`);
    const { r, report } = await runJson(['--postgres-url', bare(), '--password-file', f, '--check', 'postgres.connect']);
    expect(resultOf(report, 'postgres.connect').status).toBe('pass');
    noSecretIn(r.stdout, r.stderr);
    expectUsageError(await runCli(['--postgres-url', url, '--password-file', f]), /both --postgres-url and --password-file give a database password/);
    expectUsageError(await runCli(['--postgres-url', bare(), '--password-file', join(tmp(), 'none')]), /cannot read --password-file .*no such file/);
  });

  it.runIf(hasCommand('script'))('asks for a missing password on a terminal, without echoing it', async () => {
    // script(1) gives the CLI a real terminal; we type at its prompt.
    const cmd = `${nodeBin} ${cliBin} --postgres-url '${bare()}' --check postgres.connect --no-color`;
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: root, env: cleanEnv({ TERM: 'xterm' }), stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let typed = false;
    const done = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!typed && out.includes('(Enter for none): ')) {
        typed = true;
        child.stdin.write(`${PASSWORD}\r`);
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await done;
    clearTimeout(timer);
    expect(out).toContain(`Password for ${ROLE} at 127.0.0.1:${pg.port} (Enter for none): `);
    expect(out).toMatch(/PASS .*postgres\.connect/);
    expect(code).toBe(0);
    noSecretIn(out);
  });

  it('does not ask without a terminal (CI): the login fails with the server\'s reason', async () => {
    const { report } = await runJson(['--postgres-url', bare(), '--check', 'postgres.connect'], cleanEnv({ CI: 'true' }));
    expect(resultOf(report, 'postgres.connect')).toMatchObject({ status: 'fail', summary: `Coder could not connect: the server asks user "${ROLE}" for a password, but the settings give none` });
  });
});
