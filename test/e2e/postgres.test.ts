// The built CLI against real PostgreSQL servers of the world: passes, definite failures,
// unreachable servers — and the password never appears in any output.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, stopPostgres, withClient, type PgInstance } from '../world/postgres.ts';
import { freePort } from '../world/proc.ts';
import { cleanEnv, resultOf, runCli, runJson, type CliRun } from '../helpers/cli.ts';
import type { Report } from '../../src/report/model.ts';

let plain: PgInstance;
let tls: PgInstance;
const tmp = () => mkdtempSync(join(tmpdir(), 'cp-e2e-pg-'));

beforeAll(async () => {
  [plain, tls] = await Promise.all([startPostgres({ major: 17 }), startPostgres({ major: 16, tls: 'on', tlsRequired: true })]);
});
afterAll(async () => {
  await Promise.all([plain && stopPostgres(plain), tls && stopPostgres(tls)]);
});

/** postgres://coder:<pw>@127.0.0.1:<port>/coder with the given query. */
function url(pg: PgInstance, query: string, password = pg.roles.coder.password): string {
  return `postgres://coder:${encodeURIComponent(password)}@127.0.0.1:${pg.port}/coder${query}`;
}

const pgResult = (report: Report) => resultOf(report, 'postgres.connect');
/** This file is about postgres.connect: exit codes must not depend on the other checks. */
const runConnect = (args: string[], env?: NodeJS.ProcessEnv) => runJson([...args, '--check', 'postgres.connect'], env);
const secretsOf = (pg: PgInstance) => [pg.roles.coder.password, pg.roles.superuser.password, encodeURIComponent(pg.roles.coder.password)];
function expectNoSecret(r: CliRun, pg: PgInstance, ...files: string[]) {
  for (const s of secretsOf(pg)) {
    expect(r.stdout).not.toContain(s);
    expect(r.stderr).not.toContain(s);
    for (const f of files) expect(readFileSync(f, 'utf8')).not.toContain(s);
  }
}

describe('postgres.connect against real servers', () => {
  it('passes on PostgreSQL 17 with sslmode=disable, reporting the real version', async () => {
    const { r, report } = await runConnect(['--postgres-url', url(plain, '?sslmode=disable')]);
    expect(r.code).toBe(0);
    const res = pgResult(report);
    expect(res.status).toBe('pass');
    expect(res.evidence).toMatchObject({ serverVersion: plain.serverVersion, serverVersionNum: plain.serverVersionNum, tls: false, sslmode: 'disable' });
    expect(res.vantage).toMatch(/^this machine/);
    expect(report.target.postgres?.url).toContain('[REDACTED]');
    expectNoSecret(r, plain);
  });

  it('fails like Coder would when the URL has no sslmode (lib/pq: require) and the server has no TLS', async () => {
    const { r, report } = await runConnect(['--postgres-url', url(plain, '')]);
    expect(r.code).toBe(3);
    const res = pgResult(report);
    expect(res.status).toBe('fail');
    expect(res.summary).toMatch(/does not support TLS/);
    expect(res.remediation).toMatch(/sslmode=disable/);
  });

  it('passes over verified TLS (verify-full with the CA) and reports TLS in use', async () => {
    const ca = tls.tlsFiles!.caCert;
    const { r, report } = await runConnect(['--postgres-url', url(tls, `?sslmode=verify-full&sslrootcert=${ca}`)]);
    expect(r.code).toBe(0);
    expect(pgResult(report)).toMatchObject({ status: 'pass', evidence: { tls: true, sslmode: 'verify-full' } });
  });

  it('passes with the default sslmode (require) against a TLS server, without verification', async () => {
    const { report } = await runConnect(['--postgres-url', url(tls, '')]);
    expect(pgResult(report)).toMatchObject({ status: 'pass', evidence: { tls: true, sslmode: 'require' } });
  });

  it('fails when the certificate cannot be verified (verify-full without the CA)', async () => {
    const { r, report } = await runConnect(['--postgres-url', url(tls, '?sslmode=verify-full')]);
    expect(r.code).toBe(3);
    expect(pgResult(report).summary).toMatch(/TLS verification failed/);
  });

  it('fails on a wrong password, and never prints either password', async () => {
    const d = tmp();
    const wrong = 'Wr0ng-But-Secret!';
    const r = await runCli(['--postgres-url', url(plain, '?sslmode=disable', wrong), '-o', 'table', '-o', `json=${join(d, 'r.json')}`, '-o', `junit=${join(d, 'j.xml')}`, '-o', `markdown=${join(d, 'r.md')}`, '--debug']);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/FAIL .*postgres\.connect/);
    expect(pgResult(JSON.parse(readFileSync(join(d, 'r.json'), 'utf8'))).summary).toMatch(/password authentication failed for user "coder"/);
    for (const out of [r.stdout, r.stderr, ...['r.json', 'j.xml', 'r.md'].map((f) => readFileSync(join(d, f), 'utf8'))]) {
      expect(out).not.toContain(wrong);
      expect(out).not.toContain(encodeURIComponent(wrong));
    }
    expectNoSecret(r, plain, join(d, 'r.json'), join(d, 'j.xml'), join(d, 'r.md'));
  });

  it('fails when the database does not exist', async () => {
    const { r, report } = await runConnect(['--postgres-url', url(plain, '?sslmode=disable').replace('/coder?', '/nosuchdb?')]);
    expect(r.code).toBe(3);
    expect(pgResult(report).summary).toMatch(/database "nosuchdb" does not exist/);
  });

  it('fails on an sslmode Coder does not support', async () => {
    const { r, report } = await runConnect(['--postgres-url', url(plain, '?sslmode=prefer')]);
    expect(r.code).toBe(3);
    expect(pgResult(report).summary).toMatch(/unsupported sslmode "prefer"/);
  });

  it('is an error (exit 1), not a fail, when nothing listens at the address from here', async () => {
    const port = await freePort();
    const { r, report } = await runConnect(['--postgres-url', `postgres://coder:x@127.0.0.1:${port}/coder?sslmode=disable`]);
    expect(r.code).toBe(1);
    expect(pgResult(report)).toMatchObject({ status: 'error', evidence: { reason: 'unreachable' } });
    expect(pgResult(report).summary).toMatch(/from this machine/);
  });

  it('reads CODER_PG_CONNECTION_URL, as Coder does', async () => {
    const { report } = await runConnect([], cleanEnv({ CODER_PG_CONNECTION_URL: url(plain, '?sslmode=disable') }));
    expect(pgResult(report)).toMatchObject({ status: 'pass' });
    expect(report.target.postgres?.source).toBe('CODER_PG_CONNECTION_URL');
  });

  it('reads the database URL from a v2 values file and takes the v2 profile from it', async () => {
    const f = join(tmp(), 'values.yaml');
    writeFileSync(f, `coder:\n  replicaCount: 2\n  env:\n    - name: CODER_PG_CONNECTION_URL\n      value: "${url(plain, '?sslmode=disable')}"\n`);
    const { r, report } = await runConnect(['--values', f]);
    expect(pgResult(report)).toMatchObject({ status: 'pass' });
    expect(report.profile.name).toBe('v2');
    expectNoSecret(r, plain);
  });
});

describe('a server that refuses unencrypted connections (like RDS on PostgreSQL 15+)', () => {
  let strict: PgInstance;
  beforeAll(async () => {
    strict = await startPostgres({ major: 17, tls: 'on', tlsRequired: true });
  });
  afterAll(async () => {
    if (strict) await stopPostgres(strict);
  });
  it('names the cause when the URL says sslmode=disable', async () => {
    const { r, report } = await runConnect(['--postgres-url', url(strict, '?sslmode=disable')]);
    expect(r.code).toBe(3);
    expect(pgResult(report)).toMatchObject({ status: 'fail', evidence: { reason: 'tls' } });
    expect(pgResult(report).summary).toMatch(/requires TLS, but the URL says sslmode=disable/);
  });
});

describe('client certificates (mTLS) and the sslrootcert file', () => {
  let mtls: PgInstance;
  let dir: string;
  beforeAll(async () => {
    mtls = await startPostgres({ major: 17, tls: 'mtls' });
    dir = tmp();
  });
  afterAll(async () => {
    if (mtls) await stopPostgres(mtls);
  });
  /** coder@mtls with exactly these TLS parameters (paths URL-encoded). */
  const mtlsUrl = (params: Record<string, string>) => `postgres://coder@127.0.0.1:${mtls.port}/coder?${new URLSearchParams(params)}`;
  const clientCert = () => mtls.tlsFiles!.clients!['coder']!;
  const withCert = (params: Record<string, string>) => mtlsUrl({ ...params, sslcert: clientCert().cert, sslkey: clientCert().key });

  it('passes over verified TLS with the client certificate and key from the URL (sslcert/sslkey)', async () => {
    const { r, report } = await runConnect(['--postgres-url', withCert({ sslmode: 'verify-full', sslrootcert: mtls.tlsFiles!.caCert })]);
    expect(r.code).toBe(0);
    const res = pgResult(report);
    expect(res).toMatchObject({ status: 'pass', evidence: { tls: true, sslmode: 'verify-full', user: 'coder', serverVersion: mtls.serverVersion } });
    expect(res.summary).toMatch(/ as coder \(TLS, sslmode=verify-full\)$/);
  });

  it('fails without a client certificate: the server refuses, and the result says why', async () => {
    const { r, report } = await runConnect(['--postgres-url', mtlsUrl({ sslmode: 'verify-full', sslrootcert: mtls.tlsFiles!.caCert })]);
    expect(r.code).toBe(3);
    const res = pgResult(report);
    expect(res).toMatchObject({ status: 'fail', evidence: { reason: 'unauthorized', code: '28000' } });
    expect(res.summary).toMatch(/^Coder could not connect: .*requires a valid client certificate/);
    expect(res.remediation).toMatch(/pg_hba\.conf/);
  });

  it('fails when the client certificate was issued to another role', async () => {
    const other = mtls.tlsFiles!.clients!['limited']!;
    const { r, report } = await runConnect(['--postgres-url', mtlsUrl({ sslmode: 'verify-full', sslrootcert: mtls.tlsFiles!.caCert, sslcert: other.cert, sslkey: other.key })]);
    expect(r.code).toBe(3);
    expect(pgResult(report)).toMatchObject({ status: 'fail', evidence: { reason: 'unauthorized' } });
    expect(pgResult(report).summary).toMatch(/certificate authentication failed for user "coder"/);
  });

  it('fails with verify-full when the sslrootcert file cannot be read, naming the path', async () => {
    const missing = join(dir, 'no-such-ca.crt');
    const { r, report } = await runConnect(['--postgres-url', withCert({ sslmode: 'verify-full', sslrootcert: missing })]);
    expect(r.code).toBe(3);
    const res = pgResult(report);
    expect(res).toMatchObject({ status: 'fail', evidence: { reason: 'invalid-config' } });
    expect(res.summary).toBe(`Coder could not connect: cannot read sslrootcert ${missing}: ENOENT`);
    expect(res.remediation).toMatch(/sslrootcert path/);
  });

  it('ignores an sslcert file that does not exist, as lib/pq does: the server then asks for the certificate it did not get', async () => {
    const missing = join(dir, 'no-such-client.crt');
    const { r, report } = await runConnect(['--postgres-url', mtlsUrl({ sslmode: 'verify-full', sslrootcert: mtls.tlsFiles!.caCert, sslcert: missing, sslkey: clientCert().key })]);
    expect(r.code).toBe(3);
    expect(pgResult(report)).toMatchObject({ status: 'fail', evidence: { reason: 'unauthorized', cause: 'client-cert' } });
    expect(pgResult(report).summary).toMatch(/requires a valid client certificate/);
  });

  it('fails on a client key others may read, as lib/pq refuses it', async () => {
    const loose = join(dir, 'loose.key');
    writeFileSync(loose, readFileSync(clientCert().key));
    chmodSync(loose, 0o644);
    const { r, report } = await runConnect(['--postgres-url', withCert({ sslmode: 'verify-full', sslrootcert: mtls.tlsFiles!.caCert }).replace(encodeURIComponent(clientCert().key), encodeURIComponent(loose))]);
    expect(r.code).toBe(3);
    expect(pgResult(report)).toMatchObject({ status: 'fail', evidence: { cause: 'sslkey-invalid' } });
    expect(pgResult(report).summary).toMatch(/readable by others \(mode 0644\)/);
    expect(pgResult(report).remediation).toMatch(/chmod 0600/);
  });

  it('with sslmode=require, drops an sslrootcert that does not exist (as lib/pq does) and connects unverified', async () => {
    const { r, report } = await runConnect(['--postgres-url', withCert({ sslmode: 'require', sslrootcert: join(dir, 'no-such-ca.crt') })]);
    expect(r.code).toBe(0);
    expect(pgResult(report)).toMatchObject({ status: 'pass', evidence: { tls: true, sslmode: 'require' } });
  });

  it('with sslmode=require, verifies the chain against an sslrootcert that exists (lib/pq: like verify-ca)', async () => {
    const ok = await runConnect(['--postgres-url', withCert({ sslmode: 'require', sslrootcert: mtls.tlsFiles!.caCert })]);
    expect(pgResult(ok.report)).toMatchObject({ status: 'pass', evidence: { tls: true, sslmode: 'verify-ca' } });
    // Another CA (the TLS server's of this file): the chain really is checked.
    const wrong = await runConnect(['--postgres-url', withCert({ sslmode: 'require', sslrootcert: tls.tlsFiles!.caCert })]);
    expect(wrong.r.code).toBe(3);
    expect(pgResult(wrong.report)).toMatchObject({ status: 'fail', evidence: { reason: 'tls' } });
  });

  it('with sslmode=require, fails on an sslrootcert that exists but cannot be read (lib/pq stats it, then fails to read it)', async () => {
    const unreadable = join(dir, 'ca-dir.crt');
    mkdirSync(unreadable); // a directory: unreadable even as root
    const { r, report } = await runConnect(['--postgres-url', withCert({ sslmode: 'require', sslrootcert: unreadable })]);
    expect(r.code).toBe(3);
    expect(pgResult(report)).toMatchObject({ status: 'fail', evidence: { reason: 'invalid-config' } });
    expect(pgResult(report).summary).toBe(`Coder could not connect: cannot read sslrootcert ${unreadable}: EISDIR`);
  });
});

describe('postgres.url-syntax: the URL as Coder parses it, in every report format', () => {
  /** The run users make: every PostgreSQL check. */
  const runPg = (args: string[], env?: NodeJS.ProcessEnv) => runJson([...args, '--check', 'postgres'], env);

  it('a URL Coder refuses is the check\'s fail (exit 3, not a usage error), with the cause and position, and the others point to it', async () => {
    const pw = 'Zq8@w{Lm3x';
    const bad = `postgres://coder:${pw}@127.0.0.1:${plain.port}/coder?sslmode=disable`;
    const d = tmp();
    const r = await runCli(['--postgres-url', bad, '--check', 'postgres', '-o', 'table', '-o', `json=${join(d, 'r.json')}`, '-o', `junit=${join(d, 'j.xml')}`, '-o', `markdown=${join(d, 'r.md')}`, '-o', `sarif=${join(d, 'r.sarif')}`]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toMatch(/FAIL .*postgres\.url-syntax/);
    const report = JSON.parse(readFileSync(join(d, 'r.json'), 'utf8')) as Report;
    const us = resultOf(report, 'postgres.url-syntax');
    // Coder splits at the first '@' and escapes only what precedes it: the '{' after it stays, and url.Parse refuses it.
    expect(us).toMatchObject({ status: 'fail', evidence: { kind: 'unescaped-in-password', position: 23, encoded: '%7B' } });
    expect(us.summary).toBe("Coder would refuse the URL from --postgres-url: '{' (left brace) at position 23, in the password");
    expect(resultOf(report, 'postgres.connect').summary).toBe('Not evaluated: postgres.url is misconfigured — see postgres.url-syntax');
    for (const id of ['postgres.version', 'postgres.privileges']) expect(resultOf(report, id).summary).toMatch(/see postgres\.url-syntax$/);
    for (const f of ['r.json', 'j.xml', 'r.md', 'r.sarif']) expect(readFileSync(join(d, f), 'utf8')).toMatch(/position 23/);
    for (const out of [r.stdout, r.stderr, ...['r.json', 'j.xml', 'r.md', 'r.sarif'].map((f) => readFileSync(join(d, f), 'utf8'))]) {
      for (const piece of [pw, 'Zq8@w', 'w{Lm3x', 'Lm3x', encodeURIComponent(pw)]) expect(out).not.toContain(piece);
    }
  });

  it('a trailing newline in CODER_PG_CONNECTION_URL (a Secret made with echo): Coder refuses it, and so do we', async () => {
    const { r, report } = await runPg([], cleanEnv({ CODER_PG_CONNECTION_URL: `${url(plain, '?sslmode=disable')}\n` }));
    expect(r.code).toBe(3);
    const us = resultOf(report, 'postgres.url-syntax');
    expect(us).toMatchObject({ status: 'fail', evidence: { kind: 'control-character' } });
    expect(us.summary).toMatch(/^Coder would refuse the URL from CODER_PG_CONNECTION_URL: it ends with a line feed \(\\n\) at position \d+ of \d+/);
    expect(us.remediation).toMatch(/printf '%s'/);
    expectNoSecret(r, plain);
  });

  it('a password Coder escapes itself connects (as Coder does), with a warning that names the characters, not the password', async () => {
    const pw = `Hk4#p{Tz9-${Date.now() % 10_000}`;
    await withClient(plain.urls.superuser, async (c) => {
      await c.query(`CREATE ROLE escaped LOGIN PASSWORD '${pw}'`);
      await c.query('GRANT CONNECT ON DATABASE coder TO escaped');
    });
    const { r, report } = await runJson(['--postgres-url', `postgres://escaped:${pw}@127.0.0.1:${plain.port}/coder?sslmode=disable`, '--check', 'postgres.url-syntax', '--check', 'postgres.connect']);
    expect(r.code).toBe(0);
    const us = resultOf(report, 'postgres.url-syntax');
    expect(us.status).toBe('warn');
    expect(us.summary).toBe("The URL from --postgres-url: the password has 2 characters a URL must encode — '#' (number sign) at position 23 (write %23), '{' (left brace) at position 25 (write %7B): Coder encodes them itself (escapePostgresURLUserInfo), but psql, pg_dump and other tools reading the same Secret do not");
    expect(resultOf(report, 'postgres.connect')).toMatchObject({ status: 'pass', evidence: { user: 'escaped' } });
    for (const piece of [pw, 'Hk4#', 'p{Tz9', encodeURIComponent(pw)]) {
      expect(r.stdout).not.toContain(piece);
      expect(r.stderr).not.toContain(piece);
    }
  });

  it('a parameter lib/pq passes on and PostgreSQL refuses: url-syntax fails on it, and the server really refuses', async () => {
    const { r, report } = await runJson(['--postgres-url', url(plain, '?sslmode=disable&channel_binding=require'), '--check', 'postgres.url-syntax', '--check', 'postgres.connect']);
    expect(r.code).toBe(3);
    expect(resultOf(report, 'postgres.url-syntax').summary).toMatch(/"channel_binding" is a libpq connection option that lib\/pq does not know/);
    const co = resultOf(report, 'postgres.connect');
    expect(co).toMatchObject({ status: 'fail', evidence: { cause: 'parameter-rejected', parameter: 'channel_binding', code: '42704' } });
  });
});
