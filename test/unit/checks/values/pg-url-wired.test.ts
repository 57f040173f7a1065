import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import check from '../../../../checks/values/pg-url-wired.ts';
import type { PgWiringFact } from '../../../../src/facts/values/pg-wiring.ts';
import { readHelmValues } from '../../../../src/inputs/values.ts';
import { failed, testCheck } from '../../../helpers/check-tester.ts';

const base: PgWiringFact = {
  path: 'values.yaml',
  shape: 'v2',
  declared: ['values coder.env CODER_PG_CONNECTION_URL'],
  misplaced: [],
  legacyKeys: [],
  literalPassword: false,
  emptyValue: false,
  source: 'url-ref',
  from: 'Secret coder/coder-db-url key "url"',
  objectKind: 'secret',
  auth: { value: 'password', where: 'default' },
};
const wiring = (w: Partial<PgWiringFact>) => ({ 'values.pg-wiring': { ...base, ...w } });

testCheck(check, {
  pass: [
    { name: 'a secretKeyRef to a key that exists', facts: wiring({}), summary: 'The values give Coder its database URL from Secret coder/coder-db-url key "url"', evidence: { readFrom: 'Secret coder/coder-db-url key "url"' } },
    { name: 'a literal URL without a password (IAM)', facts: wiring({ source: 'url', from: undefined, objectKind: undefined, auth: { value: 'awsiamrds', where: 'values coder.env CODER_PG_AUTH' } }), summary: 'from values coder.env CODER_PG_CONNECTION_URL', evidence: { auth: 'awsiamrds (values coder.env CODER_PG_AUTH)' } },
    { name: 'envFrom with the key in a Secret', facts: wiring({ source: 'env-from', declared: ['values coder.envFrom'], from: 'Secret coder/env key "CODER_PG_CONNECTION_URL" (coder.envFrom[1])' }), summary: '(coder.envFrom[1])' },
    { name: 'a v1 file with postgres.host', facts: wiring({ shape: 'v1', source: 'v1', declared: ['values postgres.host'], from: 'Secret coder/pg key "password"' }), summary: 'The v1 values give Coder an external database (postgres.host, password from Secret coder/pg key "password")' },
  ],
  fail: [
    {
      name: 'no URL at all',
      facts: wiring({ source: 'none', declared: [], from: undefined, objectKind: undefined }),
      summary: 'The values give Coder no CODER_PG_CONNECTION_URL: Coder would start its built-in PostgreSQL inside the pod, and lose every workspace, user and template when the pod restarts',
      remediation: /secretKeyRef/,
    },
    {
      name: 'the URL only at the top level',
      facts: wiring({ source: 'none', declared: [], from: undefined, misplaced: [{ where: 'values env[0]', why: 'a top-level key: the chart only reads coder.env' }] }),
      summary: /^CODER_PG_CONNECTION_URL is set only in values env\[0\], which the chart ignores: Coder would start its built-in PostgreSQL/,
      remediation: /^move it: a top-level key/,
    },
    { name: 'an empty value', facts: wiring({ source: 'none', emptyValue: true }), summary: /sets CODER_PG_CONNECTION_URL to an empty value/ },
    {
      name: 'a secretKeyRef to a key that is not there',
      facts: { 'values.pg-wiring': failed('invalid-config', 'Secret coder/coder-db-url has no key "url" (its keys: password)', { hint: 'add the key' }) },
      summary: 'The values file points Coder at a database setting that is not there: Secret coder/coder-db-url has no key "url" (its keys: password)',
      remediation: 'add the key',
    },
  ],
  warn: [
    { name: 'a password written in the values file', facts: wiring({ source: 'url', literalPassword: true, from: undefined, objectKind: undefined }), summary: /password included, is written in the values file/ },
    { name: 'a URL from a ConfigMap', facts: wiring({ objectKind: 'configmap', from: 'ConfigMap coder/db key "url"' }), summary: /comes from a ConfigMap .*not secret/ },
    { name: 'also set where the chart ignores it', facts: wiring({ misplaced: [{ where: 'values coderd.env[0]', why: 'coderd.* belongs to the Coder v1 chart' }] }), summary: /but it is also set in values coderd.env\[0\], which the chart ignores/ },
    { name: 'a v1 file with pre-1.21 keys', facts: wiring({ shape: 'v1', source: 'v1', legacyKeys: ['cemanager (now coderd)'] }), summary: /keys from before Coder v1.21 \(cemanager \(now coderd\)\): charts 1.27 and later ignore them/ },
    { name: 'a v1 file with no external database', facts: wiring({ shape: 'v1', source: 'none' }), summary: /no postgres.host: Coder v1 would use the chart's built-in TimescaleDB/ },
  ],
  skip: [{ name: 'no values file', facts: { 'values.pg-wiring': failed('not-configured', 'No values file given') }, summary: /No values file given/ }],
  error: [{ name: 'the Secret may not be read', facts: { 'values.pg-wiring': failed('forbidden', 'could not read Secret coder/db: forbidden') }, summary: /forbidden/ }],
});

describe('reading the wiring from values files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wiring-'));
  const read = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return readHelmValues(join(dir, name));
  };
  it('takes coder.env over coder.envFrom, and envFrom when coder.env has no URL', () => {
    expect(read('both.yaml', 'coder:\n  env:\n    - name: CODER_PG_CONNECTION_URL\n      valueFrom: {secretKeyRef: {name: a, key: url}}\n  envFrom:\n    - secretRef: {name: b}\n').postgres).toMatchObject({ kind: 'url-ref', ref: { from: 'secret', name: 'a', key: 'url' } });
    expect(read('from.yaml', 'coder:\n  envFrom:\n    - configMapRef: {name: cm}\n    - secretRef: {name: s, optional: true}\n    - prefix: OTHER_\n      secretRef: {name: ignored}\n    - prefix: CODER_PG_\n      secretRef: {name: p}\n').postgres).toEqual({
      kind: 'env-from',
      where: 'values coder.envFrom',
      refs: [
        { from: 'configmap', name: 'cm', prefix: '', optional: false, index: 0 },
        { from: 'secret', name: 's', prefix: '', optional: true, index: 1 },
        { from: 'secret', name: 'p', prefix: 'CODER_PG_', optional: false, index: 3 },
      ],
    });
    expect(read('cm.yaml', 'coder:\n  env:\n    - name: CODER_PG_CONNECTION_URL\n      valueFrom: {configMapKeyRef: {name: cm, key: url}}\n').postgres).toMatchObject({ kind: 'url-ref', ref: { from: 'configmap' } });
  });
  it('finds the URL where the chart never reads it', () => {
    const v = read('mis.yaml', 'env:\n  - name: CODER_PG_CONNECTION_URL\n    value: postgres://x\ncoderd:\n  env:\n    CODER_PG_CONNECTION_URL: postgres://y\ncoder:\n  image: {tag: v2.30.0}\n');
    expect(v.postgres).toEqual({ kind: 'none' });
    expect(v.wiring.misplaced.map((m) => m.where)).toEqual(['values env[0]', 'values coderd.env.CODER_PG_CONNECTION_URL']);
    expect(read('map.yaml', 'coder:\n  env:\n    CODER_PG_CONNECTION_URL: postgres://y\n').wiring.misplaced).toEqual([{ where: 'values coder.env.CODER_PG_CONNECTION_URL', why: expect.stringMatching(/must be a list of \{name, value\} entries, not a mapping/) }]);
    expect(read('empty.yaml', 'coder:\n  env:\n    - name: CODER_PG_CONNECTION_URL\n      value: ""\n').wiring.emptyValue).toBe(true);
  });
  it('says when a literal URL carries a password, and reads CODER_PG_AUTH and the pool settings', () => {
    const v = read('lit.yaml', 'coder:\n  env:\n    - {name: CODER_PG_CONNECTION_URL, value: "postgres://coder:pw@db/coder"}\n    - {name: CODER_PG_AUTH, value: awsiamrds}\n    - {name: CODER_PG_CONN_MAX_OPEN, value: "20"}\n    - {name: CODER_PG_CONN_MAX_IDLE, value: "5"}\n');
    expect(v.wiring.literalPassword).toBe(true);
    expect(v.pgAuth).toEqual({ value: 'awsiamrds', where: 'values coder.env CODER_PG_AUTH' });
    expect(v.poolPerReplica?.value).toBe(20);
    expect(v.poolIdlePerReplica?.value).toBe(5);
    expect(read('nopw.yaml', 'coder:\n  env:\n    - {name: CODER_PG_CONNECTION_URL, value: "postgres://coder@db/coder"}\n').wiring.literalPassword).toBe(false);
  });
  it('reads v1 mTLS Secrets, noPasswordEnv, the connector and the keys from before 1.21', () => {
    const v = read('v1.yaml', [
      'cemanager:\n  replicas: 3\n',
      'serviceTolerations:\n  - {key: dedicated, operator: Equal, value: coder, effect: NoSchedule}\nserviceType: NodePort\n',
      'postgres:\n  host: db\n  passwordSecret: pg\n  noPasswordEnv: true\n  connector: awsiamrds\n  useDefault: false\n',
      '  ssl:\n    certSecret: {name: pg-client, key: tls.crt}\n    keySecret: {name: pg-client, key: tls.key}\n    rootCertSecret: {name: pg-ca, key: ca.crt}\n',
    ].join(''));
    expect(v).toMatchObject({ shape: 'v1', replicas: 3, service: { type: 'NodePort' }, pgAuth: { value: 'awsiamrds', where: 'values postgres.connector' } });
    expect(v.placement?.tolerations).toEqual([{ key: 'dedicated', operator: 'Equal', value: 'coder', effect: 'NoSchedule' }]);
    expect(v.postgres).toMatchObject({ kind: 'v1', noPasswordEnv: true, connector: 'awsiamrds', tls: { cert: { name: 'pg-client', key: 'tls.crt' }, key: { name: 'pg-client', key: 'tls.key' }, rootCert: { name: 'pg-ca', key: 'ca.crt' } } });
    expect(v.wiring.legacyKeys).toEqual(['cemanager (now coderd)', 'serviceTolerations (now services.tolerations)', 'serviceType (now services.type)', 'postgres.useDefault (now postgres.default.enable)']);
  });
  it('reads the real v1 and v2 fixtures without finding misplaced settings', () => {
    for (const f of ['coder-v1-values.yaml', 'coder-v2-values.yaml']) {
      const v = readHelmValues(fileURLToPath(new URL(`../../../fixtures/helm/${f}`, import.meta.url)));
      expect(v.wiring.misplaced).toEqual([]);
      expect(v.wiring.legacyKeys).toEqual([]);
    }
  });
});
