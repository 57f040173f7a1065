// Every input that holds a secret registers it with the redactor as it is read, with what it is and
// where it came from (the manifest's label): the kubeconfig user's token, token file, client key
// (data and file), password and auth-provider tokens, what a credential plugin returns when the
// client runs it, literal secrets in a values file, Secrets in manifests, a PostgreSQL client key.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { resolveKube } from '../../src/inputs/kubeconfig.ts';
import { registerObjectSecrets, registerValuesSecrets, watchKubeCredentials } from '../../src/inputs/secrets.ts';
import { resolveTarget } from '../../src/inputs/resolve.ts';
import { MASK, Redactor } from '../../src/redact.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'cp-secrets-'));
const labels = (r: Redactor) => r.manifest().secrets.map((s) => s.what);

function kubeconfig(dir: string, user: Record<string, unknown>): string {
  const file = join(dir, 'kubeconfig');
  writeFileSync(file, stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1' } }], users: [{ name: 'u1', user }, { name: 'other', user: { token: 'not-the-selected-user' } }], contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u1' } }], 'current-context': 'ctx' }));
  return file;
}

describe('kubeconfig credentials', () => {
  it('registers the selected user\'s token, token file, client key (data and file), password, auth-provider tokens and plugin env', () => {
    const d = tmp();
    writeFileSync(join(d, 'token.txt'), 'planted-token-file-0001\n');
    writeFileSync(join(d, 'key.pem'), '-----BEGIN PRIVATE KEY-----\nplantedkeyfilelinenumber0001abcdefgh\n-----END PRIVATE KEY-----\n');
    const keyData = Buffer.from('-----BEGIN EC PRIVATE KEY-----\nplantedkeydatalinenumber0001abcdefgh\n-----END EC PRIVATE KEY-----\n').toString('base64');
    const r = new Redactor();
    resolveKube({
      kubeconfig: kubeconfig(d, {
        token: 'planted-token-0001',
        tokenFile: 'token.txt',
        'client-key-data': keyData,
        'client-key': 'key.pem',
        password: 'planted-password-0001',
        'auth-provider': { name: 'oidc', config: { 'id-token': 'planted-id-token-0001', 'client-id': 'not-secret' } },
        exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'x', env: [{ name: 'AWS_SECRET_ACCESS_KEY', value: 'planted-plugin-env-0001' }, { name: 'AWS_REGION', value: 'us-east-1' }] },
      }),
      env: {},
      redactor: r,
    });
    expect(labels(r)).toEqual([
      'token of kubeconfig user u1',
      'token file of kubeconfig user u1',
      'client key (client-key-data) of kubeconfig user u1',
      'client key (client-key file) of kubeconfig user u1',
      'password of kubeconfig user u1',
      'auth-provider id-token of kubeconfig user u1',
      'credential plugin env AWS_SECRET_ACCESS_KEY of kubeconfig user u1',
    ]);
    const text = 'planted-token-0001 planted-token-file-0001 plantedkeydatalinenumber0001abcdefgh plantedkeyfilelinenumber0001abcdefgh planted-password-0001 planted-id-token-0001 planted-plugin-env-0001 not-the-selected-user us-east-1 not-secret';
    expect(r.redact(text)).toBe(`${Array(7).fill(MASK).join(' ')} not-the-selected-user us-east-1 not-secret`);
    expect(r.redact(keyData)).toBe(MASK);
  });

  it('registers what a credential plugin returns when the client runs it (the token and a client key)', async () => {
    const d = tmp();
    const plugin = join(d, 'plugin.sh');
    writeFileSync(plugin, `#!/bin/sh\necho '${JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: 'planted-exec-token-0001', clientKeyData: '-----BEGIN PRIVATE KEY-----\\nplantedexeckeylinenumber0001abcdefgh\\n-----END PRIVATE KEY-----\\n' } })}'\n`);
    chmodSync(plugin, 0o755);
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig(d, { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin, interactiveMode: 'Never' } }));
    const r = new Redactor();
    watchKubeCredentials(kc, r);
    expect(r.redact('planted-exec-token-0001')).toBe('planted-exec-token-0001');
    const opts: { headers?: Record<string, string> } = {};
    await kc.applyToHTTPSOptions(opts as never);
    expect(opts.headers?.Authorization).toBe('Bearer planted-exec-token-0001');
    expect(labels(r)).toEqual([`token from the credential plugin "${plugin}" of kubeconfig user u1`, `client key from the credential plugin "${plugin}" of kubeconfig user u1`]);
    expect(r.redact('planted-exec-token-0001 plantedexeckeylinenumber0001abcdefgh')).toBe(`${MASK} ${MASK}`);
  });
});

describe('values files and manifests', () => {
  it('registers secret env literals of a values file (a URL\'s password only), not other values', () => {
    const r = new Redactor();
    registerValuesSecrets(r, { coder: { env: [{ name: 'CODER_OIDC_CLIENT_SECRET', value: 'planted-oidc-0001' }, { name: 'CODER_PG_CONNECTION_URL', value: 'postgres://coder:planted%2Fpw-0001@db:5432/coder' }, { name: 'CODER_ACCESS_URL', value: 'https://coder.example.test' }] } }, 'v.yaml');
    expect(labels(r)).toEqual(['CODER_OIDC_CLIENT_SECRET in values file v.yaml coder.env[0] CODER_OIDC_CLIENT_SECRET', 'password in values file v.yaml coder.env[1] CODER_PG_CONNECTION_URL']);
    expect(r.redact('planted-oidc-0001 planted/pw-0001 planted%2Fpw-0001 postgres://coder:x@db https://coder.example.test')).toBe(`${MASK} ${MASK} ${MASK} postgres://coder:${MASK}@db https://coder.example.test`);
  });

  it('registers the data of Secrets in manifests, and secret env literals of their pods', () => {
    const r = new Redactor();
    registerObjectSecrets(r, [
      { kind: 'Secret', metadata: { name: 'db', namespace: 'coder' }, data: { url: Buffer.from('planted-secret-data-0001').toString('base64') }, stringData: { other: 'planted-string-data-0001' } },
      { kind: 'Deployment', metadata: { name: 'coder' }, spec: { template: { spec: { containers: [{ env: [{ name: 'CODER_OAUTH2_GITHUB_CLIENT_SECRET', value: 'planted-deploy-env-0001' }, { name: 'CODER_HTTP_ADDRESS', value: '0.0.0.0:8080' }] }] } } } },
    ], '--manifests m.yaml');
    expect(r.redact('planted-secret-data-0001 planted-string-data-0001 planted-deploy-env-0001 0.0.0.0:8080')).toBe(`${MASK} ${MASK} ${MASK} 0.0.0.0:8080`);
    expect(labels(r)).toContain('Secret coder/db key "url" in --manifests m.yaml');
  });

  it('resolveTarget registers a password file, a URL password and a values file literal with where each came from', async () => {
    const d = tmp();
    writeFileSync(join(d, 'pw'), 'planted-pwfile-0001\n');
    writeFileSync(join(d, 'values.yaml'), 'coder:\n  env:\n    - name: CODER_PG_CONNECTION_URL\n      value: postgres://coder:planted-values-0001@127.0.0.1:1/coder\n');
    const r = new Redactor();
    await resolveTarget({ postgresUrl: 'postgres://coder@127.0.0.1:1/coder', passwordFile: join(d, 'pw'), values: join(d, 'values.yaml'), env: { HOME: d }, redactor: r });
    expect(labels(r)).toEqual(expect.arrayContaining(['password from --password-file', 'password in values file ' + join(d, 'values.yaml') + ' coder.env[0] CODER_PG_CONNECTION_URL']));
    expect(r.redact('planted-pwfile-0001 planted-values-0001')).toBe(`${MASK} ${MASK}`);
  });
});
