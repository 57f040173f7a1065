// The database password of a Coder v1 values file (postgres.host, postgres.passwordSecret), read
// from a real Secret in the world's kube-apiserver: the password is used as it is (no URL decoding)
// and never printed; a Secret without the key and a values file with no cluster to read it from say
// so.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CoreV1Api } from '@kubernetes/client-node';
import { kubeConfig } from '../world/kube/kube.ts';
import { startPostgres, stopPostgres, withClient, type PgInstance } from '../world/postgres.ts';
import { cleanEnv, resultOf, runCli, runJson } from '../helpers/cli.ts';

const kube = inject('kube');
const NS = `preflight-e2e-secrets-${randomBytes(3).toString('hex')}`;
const tmp = () => mkdtempSync(join(tmpdir(), 'cp-e2e-secrets-'));
/** A password a URL would have to encode (and one a naive URL decoder would mangle). */
const PASSWORD = `v1 p@ss:w/rd%41?#&'"${randomBytes(6).toString('hex')}`;
const ROLE = 'v1coder';

let pg: PgInstance;
let api: CoreV1Api;

beforeAll(async () => {
  pg = await startPostgres({ major: 17 });
  await withClient(pg.urls.superuser, async (c) => {
    await c.query(`CREATE ROLE ${ROLE} LOGIN PASSWORD ${c.escapeLiteral(PASSWORD)}`);
    await c.query(`GRANT CONNECT ON DATABASE coder TO ${ROLE}`);
  });
  const k8s = await import('@kubernetes/client-node');
  api = kubeConfig(kube, 'admin').makeApiClient(k8s.CoreV1Api);
  await api.createNamespace({ body: { metadata: { name: NS } } });
  await api.createNamespacedSecret({ namespace: NS, body: { metadata: { name: 'coder-pg' }, stringData: { password: PASSWORD } } });
  await api.createNamespacedSecret({ namespace: NS, body: { metadata: { name: 'coder-pg-nokey' }, stringData: { b: 'x', a: 'y' } } });
  // What `echo "$PASSWORD" | kubectl create secret … --from-file=password=/dev/stdin` stores.
  await api.createNamespacedSecret({ namespace: NS, body: { metadata: { name: 'coder-pg-newline' }, stringData: { password: `${PASSWORD}\n` } } });
});
afterAll(async () => {
  if (api) {
    for (const name of ['coder-pg', 'coder-pg-nokey', 'coder-pg-newline']) await api.deleteNamespacedSecret({ name, namespace: NS }).catch(() => undefined);
    await api.deleteNamespace({ name: NS }).catch(() => undefined);
  }
  if (pg) await stopPostgres(pg);
});

/** A Coder v1 chart values file pointing at the world's PostgreSQL, the password in Secret `secret`. */
function v1Values(secret: string): string {
  const f = join(tmp(), 'values.yaml');
  writeFileSync(
    f,
    `coderd:\n  replicas: 1\npostgres:\n  host: 127.0.0.1\n  port: ${pg.port}\n  user: ${ROLE}\n  database: coder\n  sslMode: disable\n  passwordSecret: ${secret}\n`,
  );
  return f;
}

const connect = (args: string[], env?: NodeJS.ProcessEnv) => runJson([...args, '--check', 'postgres.connect'], env);

describe('postgres.password-secret with a real Secret', () => {
  it('passes on the clean Secret, and fails on a trailing newline naming its byte, not the password', async () => {
    const clean = await runJson(['--kubeconfig', kube.kubeconfig, '-n', NS, '--values', v1Values('coder-pg'), '--check', 'postgres.password-secret']);
    expect(resultOf(clean.report, 'postgres.password-secret')).toMatchObject({ status: 'pass', evidence: { secret: `${NS}/coder-pg`, key: 'password', bytes: Buffer.byteLength(PASSWORD) } });
    const bytes = Buffer.byteLength(PASSWORD) + 1;
    const { r, report } = await runJson(['--kubeconfig', kube.kubeconfig, '-n', NS, '--values', v1Values('coder-pg-newline'), '--check', 'postgres']);
    expect(r.code).toBe(3);
    expect(resultOf(report, 'postgres.password-secret')).toMatchObject({ status: 'fail', summary: `The password in Secret ${NS}/coder-pg-newline key "password" has ends with a newline (byte ${bytes} of ${bytes}): lib/pq sends those bytes as the password, so the login fails` });
    // …and the login really fails: the server got the newline as part of the password.
    expect(resultOf(report, 'postgres.connect')).toMatchObject({ status: 'fail', summary: /password authentication failed/ });
    expect(r.stdout + r.stderr).not.toContain(PASSWORD.slice(0, 12));
  });
});

describe('a v1 values file with postgres.passwordSecret', () => {
  it('connects with the password from the real Secret, and prints it nowhere', async () => {
    const { r, report } = await connect(['--kubeconfig', kube.kubeconfig, '-n', NS, '--values', v1Values('coder-pg')]);
    expect(r.code).toBe(0);
    const res = resultOf(report, 'postgres.connect');
    expect(res).toMatchObject({ status: 'pass', evidence: { user: ROLE, database: 'coder', server: `127.0.0.1:${pg.port}`, serverVersion: pg.serverVersion, sslmode: 'disable', settingsFrom: 'values postgres.*' } });
    expect(report.profile.name).toBe('v1');
    for (const out of [r.stdout, r.stderr]) {
      expect(out).not.toContain(PASSWORD);
      expect(out).not.toContain(encodeURIComponent(PASSWORD));
      expect(out).not.toContain(Buffer.from(PASSWORD).toString('base64'));
    }
  });

  it('prints the password nowhere in the table, the report files, the saved facts or --debug either', async () => {
    const d = tmp();
    const r = await runCli(['--kubeconfig', kube.kubeconfig, '-n', NS, '--values', v1Values('coder-pg'), '--check', 'postgres.connect', '-o', 'table', '-o', `json=${join(d, 'r.json')}`, '-o', `junit=${join(d, 'j.xml')}`, '-o', `markdown=${join(d, 'r.md')}`, '--save-facts', join(d, 'facts.json'), '--debug']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/PASS .*postgres\.connect/);
    expect(r.stderr).toMatch(/debug: fact postgres\.server: ok/);
    for (const out of [r.stdout, r.stderr, ...['r.json', 'j.xml', 'r.md', 'facts.json'].map((f) => readFileSync(join(d, f), 'utf8'))]) {
      expect(out).not.toContain(PASSWORD);
      expect(out).not.toContain(encodeURIComponent(PASSWORD));
    }
  });

  it('fails when the Secret has no "password" key, listing the keys it has', async () => {
    const { r, report } = await connect(['--kubeconfig', kube.kubeconfig, '-n', NS, '--values', v1Values('coder-pg-nokey')]);
    expect(r.code).toBe(3);
    const res = resultOf(report, 'postgres.connect');
    expect(res).toMatchObject({ status: 'fail', evidence: { reason: 'invalid-config' } });
    expect(res.summary).toBe(`Coder could not connect: Secret ${NS}/coder-pg-nokey has no key "password" (its keys: a, b)`);
    expect(res.remediation).toMatch(/add the key, or fix the key name in the values file/);
  });

  it('fails when the Secret does not exist in the namespace', async () => {
    const { r, report } = await connect(['--kubeconfig', kube.kubeconfig, '-n', NS, '--values', v1Values('no-such-secret')]);
    expect(r.code).toBe(3);
    const res = resultOf(report, 'postgres.connect');
    expect(res).toMatchObject({ status: 'fail', evidence: { reason: 'invalid-config' } });
    expect(res.summary).toContain(`Secret ${NS}/no-such-secret does not exist (the values read its key "password")`);
  });

  it('says no cluster is configured to read the Secret from when there is no kubeconfig', async () => {
    const env = cleanEnv();
    expect(env.KUBECONFIG).toBeUndefined();
    const { r, report } = await connect(['-n', NS, '--values', v1Values('coder-pg')], env);
    const res = resultOf(report, 'postgres.connect');
    expect(res.summary).toContain(`the database password is in Secret ${NS}/coder-pg key "password", but no cluster is configured to read it from`);
    expect({ code: r.code, status: res.status }).toEqual({ code: 0, status: 'skip' });
  });
});
