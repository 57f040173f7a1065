// postgres.url-syntax over facts made the real way: each string goes through resolveTarget (the
// parser Coder's pipeline is ported in) and the postgres.url collector, so a case tests the whole
// chain from the string to the result. test/integration/driver-oracle.test.ts holds the parser
// against Coder's own driver.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import check from '../../../../checks/postgres/url-syntax.ts';
import { ClassifiedError } from '../../../../src/errors.ts';
import type { CollectContext } from '../../../../src/facts/collector.ts';
import urlCollector from '../../../../src/facts/postgres/url.ts';
import { parsePgConnString } from '../../../../src/inputs/pgurl.ts';
import { resolveTarget } from '../../../../src/inputs/resolve.ts';
import { Redactor } from '../../../../src/redact.ts';
import type { CheckResult } from '../../../../src/engine/types.ts';
import { failed, testCheck } from '../../../helpers/check-tester.ts';

const PW = 'Qx7vK9zW';

/** The postgres.url fact for a string, as a run would collect it (a failure as the store keeps it). */
async function urlFact(url: string, env: Record<string, string> = {}): Promise<{ 'postgres.url': unknown }> {
  const redactor = new Redactor();
  const target = await resolveTarget({ postgresUrl: url, env: { HOME: mkdtempSync(join(tmpdir(), 'cp-url-')), ...env }, redactor });
  try {
    return { 'postgres.url': await urlCollector.collect({ target, redactor } as unknown as CollectContext) };
  } catch (e) {
    const c = e as ClassifiedError;
    return { 'postgres.url': failed(c.reason, redactor.redact(c.message), { ...(c.hint ? { hint: redactor.redact(c.hint) } : {}), ...(c.detail ? { detail: c.detail } : {}), ...(c.causedBy ? { causedBy: c.causedBy } : {}) }) };
  }
}

/** No part of the password in the result (it is long enough that any 4 characters of it are telling). */
const noSecret = (pw: string) => (r: CheckResult) => {
  const text = JSON.stringify(r);
  for (let i = 0; i + 4 <= pw.length; i++) expect(text, `a piece of the password (${i})`).not.toContain(pw.slice(i, i + 4));
};

describe('the parser against hand-checked cases (the oracle test has the rest)', () => {
  it('finds the password Coder escapes, at its position, and decodes it as Go does', () => {
    const r = parsePgConnString('postgres://coder:co{der@db:5432/coder', 'x');
    expect(r).toMatchObject({ ok: true, settings: { host: 'db', port: 5432, user: 'coder', password: 'co{der', database: 'coder' } });
    if (r.ok) expect(r.settings.syntax?.coderEscaped).toEqual([{ position: 20, char: "'{' (left brace)", encoded: '%7B' }]);
  });
  it('reads a DSN with a colon only when a slash comes first, as url.Parse does', () => {
    expect(parsePgConnString('host=/var/run/postgresql password=a:b', 'x').ok).toBe(true);
    expect(parsePgConnString('host=db password=a:b', 'x')).toMatchObject({ ok: false, syntax: { problems: [{ kind: 'dsn-colon', position: 19 }] } });
  });
  it('keeps the brackets of an IPv6 host without a port, as lib/pq does (it then cannot dial)', () => {
    expect(parsePgConnString('postgres://u:p@[::1]:5433/d', 'x')).toMatchObject({ ok: true, settings: { host: '::1', port: 5433 } });
    expect(parsePgConnString('postgres://u:p@[::1]/d', 'x')).toMatchObject({ ok: false, syntax: { problems: [{ kind: 'ipv6-without-port' }] } });
  });
  it('sends what lib/pq sends: its defaults and the string\'s own parameters', () => {
    const r = parsePgConnString('postgres://u:p@h/d?sslmode=disable&search_path=coder,public&foo=bar', 'x');
    expect(r.ok && r.settings.runtimeParams).toEqual({ client_encoding: 'UTF8', datestyle: 'ISO, MDY', extra_float_digits: '2', foo: 'bar', search_path: 'coder,public' });
  });
  it('lets a later query parameter win as lib/pq\'s sorted key=value string does', () => {
    expect(parsePgConnString('postgres://u:p@h/aaa?dbname=zzz', 'x')).toMatchObject({ ok: true, settings: { database: 'zzz' } });
    expect(parsePgConnString('postgres://u:p@h/zzz?dbname=aaa', 'x')).toMatchObject({ ok: true, settings: { database: 'zzz' } });
  });
});

testCheck(check, {
  pass: [
    {
      name: 'a plain URL',
      facts: await urlFact(`postgres://coder:${PW}@db.example.com:5432/coder`),
      summary: 'The URL parses as Coder will read it: host db.example.com, port 5432, user coder, database coder, sslmode=require (the default)',
      evidence: { form: 'url', password: 'given', loopback: false },
      check: noSecret(PW),
    },
    {
      name: 'a key=value string with a quoted password',
      facts: await urlFact(`host=db.example.com user=coder password='${PW} x' dbname=coder sslmode=verify-full`),
      summary: 'The connection string parses as Coder will read it: host db.example.com, port 5432, user coder, database coder, sslmode=verify-full',
      check: noSecret(PW),
    },
    { name: 'search_path, application_name and an extension parameter are parameters the server knows', facts: await urlFact('postgres://coder@db/coder?search_path=coder&application_name=x&pg_stat_statements.track=all'), summary: 'parses as Coder will read it' },
    { name: 'an IPv6 host with its port', facts: await urlFact('postgres://coder@[fd00::5]:5433/coder'), summary: 'host [fd00::5], port 5433' },
    {
      name: 'a loopback host says the pod has its own loopback',
      facts: await urlFact('postgres://coder@127.0.0.1:5432/coder?sslmode=disable'),
      summary: /127\.0\.0\.1 is a loopback address: in Coder's pod that is the pod itself \(a sidecar such as the Cloud SQL Auth Proxy\)/,
      evidence: { loopback: true },
    },
    { name: 'an @ in the password needs no escape in Go', facts: await urlFact(`postgres://coder:${PW}@x@db/coder`), summary: 'host db, port 5432', check: noSecret(PW) },
  ],
  warn: [
    {
      name: 'Coder escapes an unencoded { itself, and the result says where and how to write it',
      facts: await urlFact(`postgres://coder:${PW}{x@db/coder`),
      summary: "the password has a character a URL must encode — '{' (left brace) at position 26 (write %7B): Coder encodes it itself",
      remediation: "write the password URL-encoded: '{' (left brace) as %7B",
      check: noSecret(PW),
    },
    {
      name: 'a # and a space, both escaped by Coder',
      facts: await urlFact(`postgres://coder:${PW}# x@db/coder`),
      summary: "2 characters a URL must encode — '#' (number sign) at position 26 (write %23), a space at position 27 (write %20)",
      check: noSecret(PW),
    },
    {
      name: 'a / after digits ends the host part early: Go reads no password and another host',
      facts: await urlFact('postgres://coder:123/abc@db/coder'),
      summary: "'/' (slash) at position 21 ends the host part before the '@' at position 25",
      remediation: "write '/' (slash) in the password as %2F",
      // The port and database Go reads are pieces of the password: not shown.
      check: (r) => expect(r.evidence).toMatchObject({ host: 'coder', port: null, database: null, password: 'none' }),
    },
    { name: 'a parameter PostgreSQL does not know', facts: await urlFact('postgres://coder@db/coder?search_pth=coder'), summary: 'PostgreSQL 13 to 18 have no parameter "search_pth"', remediation: 'check the spelling of search_pth' },
    { name: 'a superuser-only parameter', facts: await urlFact('postgres://coder@db/coder?log_statement=all'), summary: 'only a superuser may set "log_statement"' },
    { name: 'a query pair Go drops (a semicolon)', facts: await urlFact('postgres://coder@db/coder?connect_timeout=5;sslmode=disable'), summary: "has a ';' (Go refuses semicolons as separators): Go's u.Query() drops it silently" },
    { name: 'white space Coder keeps in the database name', facts: await urlFact('postgres://coder@db/coder '), summary: 'the dbname value has trailing white space, which Coder keeps' },
    {
      name: 'IAM authentication with a password in the URL',
      facts: await urlFact(`postgres://coder:${PW}@db/coder`, { CODER_PG_AUTH: 'awsiamrds' }),
      summary: 'CODER_PG_AUTH=awsiamrds (CODER_PG_AUTH), but the URL has a password: Coder replaces it with an IAM token',
      check: noSecret(PW),
    },
  ],
  fail: [
    {
      name: 'a trailing newline (a Secret made with echo): Coder refuses the whole URL',
      facts: await urlFact(`postgres://coder:${PW}@db/coder?sslmode=disable\n`),
      summary: 'Coder would refuse the URL from --postgres-url: it ends with a line feed (\\n) at position 51 of 51',
      remediation: /printf '%s'/,
      evidence: { kind: 'control-character', position: 51 },
      check: noSecret(PW),
    },
    {
      name: 'a bad % escape in the password',
      facts: await urlFact(`postgres://coder:${PW}%zz@db/coder`),
      summary: "a '%' at position 26, in the password, is not followed by two hex digits",
      remediation: "write a literal '%' as %25",
      evidence: { kind: 'bad-escape', position: 26, encoded: '%25' },
      check: noSecret(PW),
    },
    {
      name: 'an @ and a { together: Coder splits at the first @ and cannot fix it',
      facts: await urlFact(`postgres://coder:${PW}@{x@db/coder`),
      summary: "'{' (left brace) at position 27, in the password",
      evidence: { kind: 'unescaped-in-password', position: 27, encoded: '%7B' },
      check: noSecret(PW),
    },
    { name: 'a key=value string with a colon before any slash', facts: await urlFact(`host=db password=${PW}:x`), summary: "has a ':' at position 26 before any '/'", remediation: /use a postgres:\/\/ URL instead .*':' as %3A/, check: noSecret(PW) },
    { name: 'sslmode=prefer', facts: await urlFact('postgres://coder@db/coder?sslmode=prefer'), summary: 'unsupported sslmode "prefer"', remediation: /not prefer or allow/ },
    { name: 'a scheme in capitals is no URL to lib/pq', facts: await urlFact(`Postgres://coder:${PW}@db/coder`), summary: 'starts with exactly "postgres://" or "postgresql://" in lower case', check: noSecret(PW) },
    { name: 'a libpq option lib/pq does not know (channel_binding, as in Neon\'s URLs)', facts: await urlFact('postgres://coder@db/coder?sslmode=require&channel_binding=require'), summary: '"channel_binding" is a libpq connection option that lib/pq does not know', remediation: 'remove channel_binding=require' },
    { name: 'a parameter only the server configuration may set', facts: await urlFact('postgres://coder@db/coder?max_connections=500'), summary: '"max_connections" can only be set in the server\'s configuration (context postmaster)' },
    { name: 'an IPv6 host without a port', facts: await urlFact('postgres://coder@[fd00::5]/coder'), summary: 'keeps its brackets', remediation: 'give the port: [fd00::5]:5432' },
    { name: 'IAM authentication with a key=value string', facts: await urlFact(`host=db user=coder password=${PW}`, { CODER_PG_AUTH: 'awsiamrds' }), summary: 'needs a postgres:// URL', check: noSecret(PW) },
  ],
  skip: [
    { name: 'no database configured', facts: { 'postgres.url': failed('not-configured', 'No database configured', { hint: 'pass --postgres-url' }) }, summary: 'No database configured' },
    {
      name: 'settings from values-file fields',
      facts: { 'postgres.url': { source: 'values postgres.*', form: 'fields', host: 'db', port: 5432, user: 'coder', database: 'coder', sslmode: 'require', effectiveSslmode: 'require', hasPassword: true, params: {}, sslrootcert: null, sslcert: null, sslkey: null, coderEscaped: [], warnings: [], misread: false, pgAuth: { value: 'password', where: 'default' } } },
      summary: 'come from fields of the values file',
    },
  ],
  error: [{ name: 'the Secret with the URL could not be read', facts: { 'postgres.url': failed('forbidden', 'could not read Secret coder/db key "url": forbidden (403)') }, summary: 'Could not gather postgres.url: could not read Secret' }],
});
