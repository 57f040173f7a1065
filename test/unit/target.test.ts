import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import postgresVersion from '../../checks/postgres/version.ts';
import { resolveOptions } from '../../src/engine/options.ts';
import { ConfigError } from '../../src/errors.ts';
import { tlsOptions } from '../../src/postgres/connect.ts';
import { Redactor } from '../../src/redact.ts';
import { resolveKube } from '../../src/inputs/kubeconfig.ts';
import { describePg, effectiveSslMode, parsePgConnString, parsePostgresUrl } from '../../src/inputs/pgurl.ts';
import { profileFromVersion } from '../../src/inputs/profile.ts';
import { resolveTarget } from '../../src/inputs/resolve.ts';
import { readHelmValues } from '../../src/inputs/values.ts';

const fixture = (f: string) => fileURLToPath(new URL(`../fixtures/helm/${f}`, import.meta.url));
const tmp = () => mkdtempSync(join(tmpdir(), 'cp-unit-'));

describe('PostgreSQL URLs, as Coder (lib/pq) reads them', () => {
  it('parses a URL with an encoded password and defaults sslmode to require', () => {
    const s = parsePostgresUrl('postgres://coder:p%40ss%2Fw0rd@db.example.com:6543/coderdb', '--postgres-url');
    expect(s).toMatchObject({ host: 'db.example.com', port: 6543, user: 'coder', password: 'p@ss/w0rd', database: 'coderdb', sslmodeRaw: undefined });
    expect(effectiveSslMode(s)).toEqual({ mode: 'require' });
  });
  it('takes the last @ as the end of the user info, like Go', () => {
    expect(parsePostgresUrl('postgresql://u:a@b@host/db', 'x').password).toBe('a@b');
  });
  it('refuses an invalid percent escape, as Go url.Parse does', () => {
    expect(() => parsePostgresUrl('postgres://u:100%@host/db', 'x')).toThrow(ConfigError);
  });
  it('reads query parameters and keeps run-time ones', () => {
    const s = parsePostgresUrl('postgres://u@h/db?sslmode=verify-full&sslrootcert=/ca.pem&search_path=coder&connect_timeout=3', 'x');
    expect(s).toMatchObject({ sslmodeRaw: 'verify-full', sslrootcert: '/ca.pem', connectTimeoutSec: 3, params: { search_path: 'coder' } });
  });
  it('parses IPv6 hosts and key=value DSNs with quotes', () => {
    expect(parsePostgresUrl('postgres://u:p@[::1]:5433/d', 'x')).toMatchObject({ host: '::1', port: 5433 });
    expect(parsePostgresUrl("host=db port=5432 user=coder password='it s' dbname=c sslmode=disable", 'x')).toMatchObject({ host: 'db', user: 'coder', database: 'c', sslmodeRaw: 'disable' });
    expect(parsePostgresUrl("host=db password='a b\\'c'", 'x').password).toBe("a b'c");
  });
  it('reports sslmodes lib/pq does not support, exactly as Coder would fail', () => {
    const r = parsePgConnString('postgres://u@h/db?sslmode=prefer', 'x');
    expect(r).toMatchObject({ ok: false, syntax: { problems: [{ kind: 'sslmode-unsupported' }] } });
    const s = { ...parsePostgresUrl('postgres://u@h/db', 'x'), sslmodeRaw: 'prefer' };
    expect(effectiveSslMode(s)).toEqual({ unsupported: 'unsupported sslmode "prefer"; only "require" (default), "verify-full", "verify-ca", and "disable" supported' });
    expect(() => tlsOptions(s)).toThrow(/Coder would refuse/);
  });
  it('maps sslmodes to TLS options like lib/pq', () => {
    expect(tlsOptions(parsePostgresUrl('postgres://u@h/d?sslmode=disable', 'x')).ssl).toBe(false);
    expect(tlsOptions(parsePostgresUrl('postgres://u@h/d', 'x')).ssl).toMatchObject({ rejectUnauthorized: false });
    const dir = tmp();
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    writeFileSync(join(dir, 'ca.pem'), pem);
    const req = tlsOptions(parsePostgresUrl(`postgres://u@h/d?sslrootcert=${join(dir, 'ca.pem')}`, 'x'));
    expect(req.sslmode).toBe('verify-ca'); // require + a readable root cert verifies the chain
    expect(req.verify).toEqual({ chain: true, hostname: 'h' }); // and, for a host name, the name (lib/pq's SNI)
    const full = tlsOptions(parsePostgresUrl(`postgres://u@h/d?sslmode=verify-full&sslrootcert=${join(dir, 'ca.pem')}`, 'x'));
    expect(full.ssl).toMatchObject({ ca: pem });
    expect(full.verify).toEqual({ chain: true, hostname: 'h' });
    expect(tlsOptions(parsePostgresUrl(`postgres://u@127.0.0.1/d?sslmode=verify-ca&sslrootcert=${join(dir, 'ca.pem')}`, 'x')).verify).toEqual({ chain: true, hostname: null });
    writeFileSync(join(dir, 'not.pem'), 'CA');
    expect(() => tlsOptions(parsePostgresUrl(`postgres://u@h/d?sslmode=verify-full&sslrootcert=${join(dir, 'not.pem')}`, 'x'))).toThrow(/couldn't parse pem/);
  });
  it('never shows the password when described', () => {
    expect(describePg(parsePostgresUrl('postgres://coder:hunter22@h/d', 'x'))).toBe('postgres://coder:[REDACTED]@h:5432/d');
  });
});

describe('kubeconfig resolution', () => {
  const kc = (extra = '') => `apiVersion: v1
kind: Config
clusters: [{name: c1, cluster: {server: "https://127.0.0.1:6443"}}]
users: [{name: u1, user: {token: abc}}]
contexts: [{name: admin, context: {cluster: c1, user: u1}}, {name: broken, context: {cluster: nope, user: u1}}]
${extra}`;
  it('uses the current context, or --context', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'kc'), kc('current-context: admin'));
    const r = resolveKube({ kubeconfig: join(dir, 'kc'), env: {} });
    expect(r).toMatchObject({ configured: true, target: { context: 'admin', server: 'https://127.0.0.1:6443', source: '--kubeconfig' } });
  });
  it('is not configured (a skip, not an error) when there is no kubeconfig at all', () => {
    expect(resolveKube({ env: { HOME: tmp() } })).toMatchObject({ configured: false });
  });
  it('turns bad input into one-line config errors', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'kc'), kc('current-context: admin'));
    writeFileSync(join(dir, 'bad'), 'clusters: [unclosed');
    writeFileSync(join(dir, 'nocurrent'), kc());
    expect(() => resolveKube({ kubeconfig: join(dir, 'missing'), env: {} })).toThrow(/cannot read kubeconfig .*no such file/);
    expect(() => resolveKube({ kubeconfig: join(dir, 'bad'), env: {} })).toThrow(/not valid YAML/);
    expect(() => resolveKube({ kubeconfig: join(dir, 'kc'), context: 'prod', env: {} })).toThrow(/context "prod" is not in the kubeconfig/);
    expect(() => resolveKube({ kubeconfig: join(dir, 'kc'), context: 'broken', env: {} })).toThrow(/has no server/);
    expect(() => resolveKube({ kubeconfig: join(dir, 'nocurrent'), env: {} })).toThrow(/no current-context/);
  });
});

describe('Helm values and profiles', () => {
  it('recognises the real v1 and v2 chart values files', () => {
    expect(readHelmValues(fixture('coder-v2-values.yaml'))).toMatchObject({ shape: 'v2', replicas: 1, postgres: { kind: 'none' } });
    expect(readHelmValues(fixture('coder-v1-values.yaml'))).toMatchObject({ shape: 'v1', replicas: 1, postgres: { kind: 'none' } });
  });
  it('finds the database URL in coder.env, literal or from a Secret', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'lit.yaml'), 'coder:\n  replicaCount: 3\n  env:\n    - name: CODER_PG_CONNECTION_URL\n      value: postgres://c:pw@db/coder\n');
    writeFileSync(join(dir, 'sec.yaml'), 'coder:\n  env:\n    - name: CODER_PG_CONNECTION_URL\n      valueFrom:\n        secretKeyRef: {name: coder-db-url, key: url}\n');
    expect(readHelmValues(join(dir, 'lit.yaml'))).toMatchObject({ replicas: 3, postgres: { kind: 'url', url: 'postgres://c:pw@db/coder' } });
    expect(readHelmValues(join(dir, 'sec.yaml'))).toMatchObject({ postgres: { kind: 'url-ref', ref: { from: 'secret', name: 'coder-db-url', key: 'url' } } });
  });
  it('reads v1 postgres.* with its password Secret', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'v1.yaml'), 'coderd:\n  replicas: 2\npostgres:\n  host: db.internal\n  port: "5432"\n  user: coder\n  database: coder\n  passwordSecret: coder-pg\n  sslMode: verify-full\n');
    expect(readHelmValues(join(dir, 'v1.yaml'))).toMatchObject({ shape: 'v1', replicas: 2, postgres: { kind: 'v1', host: 'db.internal', sslMode: 'verify-full', passwordSecret: { name: 'coder-pg', key: 'password' } } });
  });
  it('rejects unreadable, malformed and foreign files with one-line errors', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'bad.yaml'), 'coder:\n  env: [\n');
    writeFileSync(join(dir, 'other.yaml'), 'replicaCount: 2\nimage: nginx\n');
    expect(() => readHelmValues(join(dir, 'nope.yaml'))).toThrow(/cannot read values file .*no such file/);
    expect(() => readHelmValues(join(dir, 'bad.yaml'))).toThrow(/is not valid YAML/);
    expect(() => readHelmValues(join(dir, 'other.yaml'))).toThrow(/neither coder\.\*/);
  });
  it('takes the profile from --coder-version over the values shape', async () => {
    expect(profileFromVersion('v2.18.1')).toMatchObject({ name: 'v2' });
    expect(profileFromVersion('1.44.3')).toMatchObject({ name: 'v1' });
    expect(() => profileFromVersion('latest')).toThrow(ConfigError);
    const t = await resolveTarget({ values: fixture('coder-v1-values.yaml'), coderVersion: '2.18.0', env: { HOME: tmp() }, redactor: new Redactor() });
    expect(t.profile.name).toBe('v2');
    expect(resolveOptions(postgresVersion, t.profile).minMajor).toBe(13);
    const t2 = await resolveTarget({ values: fixture('coder-v1-values.yaml'), env: { HOME: tmp() }, redactor: new Redactor() });
    expect(t2.profile).toMatchObject({ name: 'v1' });
    expect(t2.postgres.state).toBe('absent');
  });
  it('registers the password with the redactor as soon as it is read', async () => {
    const redactor = new Redactor();
    await resolveTarget({ postgresUrl: 'postgres://coder:Sup3rS3cret!@h/d', env: { HOME: tmp() }, redactor });
    expect(redactor.redact('failed for Sup3rS3cret! and Sup3rS3cret%21')).toBe('failed for [REDACTED] and [REDACTED]');
  });
});
