// The built CLI against the world's real kube-apiserver: admin and restricted users, broken
// credentials, a wrong CA, a dead port; and database settings read from a real Secret.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubeConfig } from '../world/kube/kube.ts';
import { startPostgres, stopPostgres, type PgInstance } from '../world/postgres.ts';
import { freePort } from '../world/proc.ts';
import { sign } from '../world/pki.ts';
import { cleanEnv, resultOf, runCli, runJson, type CliRun } from '../helpers/cli.ts';
import type { Report } from '../../src/report/model.ts';

const kube = inject('kube');
const tmp = () => mkdtempSync(join(tmpdir(), 'cp-e2e-kube-'));
const NS = 'preflight-e2e';
let pg: PgInstance;

const byId = resultOf;

/** A copy of the admin kubeconfig with one edit applied. */
function variant(edit: (doc: Record<string, any>) => void): string {
  const doc = parse(readFileSync(kube.kubeconfig, 'utf8')) as Record<string, any>;
  edit(doc);
  const f = join(tmp(), 'kubeconfig');
  writeFileSync(f, stringify(doc));
  return f;
}

beforeAll(async () => {
  pg = await startPostgres({ major: 17 });
  const { CoreV1Api } = await import('@kubernetes/client-node');
  const api = kubeConfig(kube, 'admin').makeApiClient(CoreV1Api);
  await api.createNamespace({ body: { metadata: { name: NS } } }).catch(() => undefined);
  await api.createNamespacedSecret({ namespace: NS, body: { metadata: { name: 'coder-db-url' }, stringData: { url: pg.urls.coder } } }).catch(async () => {
    await api.replaceNamespacedSecret({ name: 'coder-db-url', namespace: NS, body: { metadata: { name: 'coder-db-url' }, stringData: { url: pg.urls.coder } } });
  });
});
afterAll(async () => {
  if (pg) await stopPostgres(pg);
  const { CoreV1Api } = await import('@kubernetes/client-node');
  await kubeConfig(kube, 'admin').makeApiClient(CoreV1Api).deleteNamespace({ name: NS }).catch(() => undefined);
});

describe('kubernetes.api against a real kube-apiserver', () => {
  it('passes with the admin kubeconfig and reports the real server version', async () => {
    const { r, report } = await runJson(['--kubeconfig', kube.kubeconfig, '--check', 'kubernetes.api']);
    expect(r.code).toBe(0);
    const res = byId(report, 'kubernetes.api');
    expect(res.status).toBe('pass');
    expect(res.evidence).toMatchObject({ version: kube.version, server: kube.server, context: kube.contexts.admin });
    expect(report.target.kubernetes).toMatchObject({ server: kube.server, context: kube.contexts.admin });
  });

  it('passes for the restricted (view-only) user too: /version is public to authenticated users', async () => {
    const { report } = await runJson(['--kubeconfig', kube.viewerKubeconfig, '--check', 'kubernetes.api']);
    expect(byId(report, 'kubernetes.api')).toMatchObject({ status: 'pass', evidence: { version: kube.version } });
  });

  it('fails with 401 on credentials the server does not accept', async () => {
    const f = variant((d) => {
      d.users = d.users.map((u: { name: string }) => ({ name: u.name, user: { token: 'not-a-valid-token' } }));
    });
    const { r, report } = await runJson(['--kubeconfig', f, '--check', 'kubernetes.api']);
    expect(r.code).toBe(3);
    expect(byId(report, 'kubernetes.api')).toMatchObject({ status: 'fail', summary: /^The credentials are not accepted: .*401 Unauthorized\): the token of user world-admin is not valid for this cluster/, evidence: { reason: 'unauthorized' } });
    expect(r.stdout).not.toContain('not-a-valid-token');
  });

  it('fails on a valid CA that did not sign the server certificate, naming the TLS cause', async () => {
    // A real CA, just not the world's: the server's certificate chain does not lead to it.
    const d = tmp();
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=other', '-days', '1', '-keyout', join(d, 'k'), '-out', join(d, 'c')], { stdio: 'pipe' });
    const other = readFileSync(join(d, 'c'));
    expect(new X509Certificate(other).subject).toBe('CN=other');
    const f = variant((doc) => {
      for (const c of doc.clusters) {
        delete c.cluster['certificate-authority'];
        c.cluster['certificate-authority-data'] = other.toString('base64');
      }
    });
    const { r, report } = await runJson(['--kubeconfig', f, '--check', 'kubernetes.api']);
    expect(r.code).toBe(3);
    const res = byId(report, 'kubernetes.api');
    expect(res).toMatchObject({ status: 'fail', evidence: { reason: 'tls', server: kube.server } });
    // Node's verification code for a chain that ends at no trusted CA, and the kubeconfig named as the fix.
    expect(res.summary).toMatch(/^The API server's certificate does not check out: https:\/\/127\.0\.0\.1:\d+: the API server's certificate is not signed by the kubeconfig's CA \(a kubeconfig from another cluster, or a cluster rebuilt since\) \(TLS: UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate\)$/);
    expect(res.remediation).toMatch(/does not match the kubeconfig CA/);
  });

  it('fails as an invalid kubeconfig (not a TLS mismatch) when its CA data is not a certificate', async () => {
    const f = variant((doc) => {
      for (const c of doc.clusters) {
        delete c.cluster['certificate-authority'];
        c.cluster['certificate-authority-data'] = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');
      }
    });
    const { r, report } = await runJson(['--kubeconfig', f, '--check', 'kubernetes.api']);
    expect(r.code).toBe(3);
    const res = byId(report, 'kubernetes.api');
    expect(res).toMatchObject({ status: 'fail', evidence: { reason: 'invalid-config' } });
    expect(res.summary).toMatch(/cannot load kubeconfig: the CA of cluster "[^"]+" \(certificate-authority-data\) holds no valid PEM certificate/);
    expect(res.remediation).toBe('fix or regenerate the kubeconfig');
  });

  it('is an error from here (not a fail) when nothing listens at the server address, as for PostgreSQL', async () => {
    const port = await freePort();
    const f = variant((d) => {
      for (const c of d.clusters) c.cluster.server = `https://127.0.0.1:${port}`;
    });
    const { r, report } = await runJson(['--kubeconfig', f, '--check', 'kubernetes.api']);
    expect(r.code).toBe(1);
    expect(byId(report, 'kubernetes.api')).toMatchObject({ status: 'error', summary: /^Could not reach the API server from this machine: .*ECONNREFUSED/, evidence: { reason: 'unreachable' }, vantage: expect.stringMatching(/^this machine/) });
  });

  const withUser = (user: Record<string, unknown>) =>
    variant((d) => {
      d.users = d.users.map((u: { name: string }) => ({ name: u.name, user }));
    });

  it('names a credential plugin that is not installed, with how to install the known ones', async () => {
    const f = withUser({ exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: 'aws-iam-authenticator', args: ['token', '-i', 'prod'], interactiveMode: 'Never' } });
    const { r, report } = await runJson(['--kubeconfig', f, '--check', 'kubernetes.api'], cleanEnv({ PATH: '/nonexistent' }));
    expect(r.code).toBe(3);
    expect(byId(report, 'kubernetes.api')).toMatchObject({
      status: 'fail',
      summary: 'The kubeconfig cannot be used: the kubeconfig gets its credentials from the plugin "aws-iam-authenticator" (users[world-admin].user.exec), which is not installed on this machine (not on PATH)',
      remediation: expect.stringMatching(/^install aws-iam-authenticator, or regenerate the kubeconfig with the AWS CLI v2: aws eks update-kubeconfig/),
      evidence: { reason: 'invalid-config' },
    });
  });

  it('names a credential plugin that fails (an expired cloud login), with what it said', async () => {
    const f = withUser({ exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: 'sh', args: ['-c', 'echo "error: the SSO session has expired" >&2; exit 1'], interactiveMode: 'Never' } });
    const { report } = await runJson(['--kubeconfig', f, '--check', 'kubernetes.api']);
    expect(byId(report, 'kubernetes.api')).toMatchObject({ status: 'fail', summary: 'The credentials are not accepted: the credential plugin "sh" (user world-admin) failed: error: the SSO session has expired', evidence: { reason: 'unauthorized' } });
  });

  it('says when the rejected token has expired (read from the JWT, which the real server refused)', async () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const token = `${b64({ alg: 'RS256', kid: 'x' })}.${b64({ iss: 'kubernetes/serviceaccount', sub: 'system:serviceaccount:coder:ci', exp: 1_700_000_000 })}.c2ln`;
    const { r, report } = await runJson(['--kubeconfig', withUser({ token }), '--check', 'kubernetes.api']);
    expect(byId(report, 'kubernetes.api')).toMatchObject({ status: 'fail', summary: /401 Unauthorized\): the token of user world-admin expired at 2023-11-14T22:13:20\.000Z$/, evidence: { reason: 'unauthorized' } });
    expect(r.stdout).not.toContain(token);
  });

  it('says when the client certificate has expired', async () => {
    // Signed by the world's own CA, valid from 400 days ago until yesterday: the server refuses it (401).
    const d = tmp();
    const day = 86_400_000;
    const c = sign(d, 'expired-admin', '/O=system:masters/CN=expired-admin', 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n', join(kube.pkiDir, 'ca'), { from: new Date(Date.now() - 400 * day), to: new Date(Date.now() - day) });
    const f = withUser({ 'client-certificate-data': readFileSync(c.cert).toString('base64'), 'client-key-data': readFileSync(c.key).toString('base64') });
    const { report } = await runJson(['--kubeconfig', f, '--check', 'kubernetes.api']);
    expect(byId(report, 'kubernetes.api')).toMatchObject({ status: 'fail', summary: /: the client certificate of user world-admin \(O=system:masters, CN=expired-admin\) expired at \d{4}-/, evidence: { reason: 'unauthorized' } });
  });
});

describe('database settings from a Secret named in the values file', () => {
  const values = (secret: string) => {
    const f = join(tmp(), 'values.yaml');
    writeFileSync(f, `coder:\n  env:\n    - name: CODER_PG_CONNECTION_URL\n      valueFrom:\n        secretKeyRef:\n          name: ${secret}\n          key: url\n`);
    return f;
  };

  it('reads the URL from the Secret and connects, never printing it', async () => {
    const { r, report } = await runJson(['--kubeconfig', kube.kubeconfig, '-n', NS, '--values', values('coder-db-url'), '--check', 'postgres.connect']);
    expect(r.code).toBe(0);
    expect(byId(report, 'postgres.connect')).toMatchObject({ status: 'pass', evidence: { serverVersion: pg.serverVersion } });
    expect(report.target.postgres?.source).toContain(`Secret ${NS}/coder-db-url key "url"`);
    expect(r.stdout).not.toContain(pg.roles.coder.password);
  });

  it('fails when the Secret the values file names does not exist (Coder would not start)', async () => {
    const { r, report } = await runJson(['--kubeconfig', kube.kubeconfig, '-n', NS, '--values', values('no-such-secret'), '--check', 'postgres.connect']);
    expect(r.code).toBe(3);
    expect(byId(report, 'postgres.connect')).toMatchObject({ status: 'fail', evidence: { reason: 'invalid-config' } });
  });

  it('is an error (forbidden), not a pass or fail, when the user may not read Secrets', async () => {
    const { r, report } = await runJson(['--kubeconfig', kube.viewerKubeconfig, '-n', NS, '--values', values('coder-db-url'), '--check', 'postgres.connect']);
    expect(r.code).toBe(1);
    const res = byId(report, 'postgres.connect');
    expect(res).toMatchObject({ status: 'error', evidence: { reason: 'forbidden' } });
  });
});
