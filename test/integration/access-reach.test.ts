// reach() (src/access/reach.ts) against the world's front door on loopback — a throwaway PKI
// with an intermediate, one node:https server per certificate and behaviour — resolving names
// through the world's own DNS server in a private mount namespace (test/world/dns.ts), so no
// lookup and no packet leaves this machine. And parseWildcard against Coder's own check of
// CODER_WILDCARD_ACCESS_URL (appurl.CompileHostnamePattern, built from the module cache).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pemCertificates } from '../../src/access/pem.ts';
import { parseWildcard } from '../../src/access/url.ts';
import { judgePatterns } from '../world/appurl-oracle.ts';
import { startWorldDns, worldHostsFile, worldResolvConf, type WorldDns } from '../world/dns.ts';
import { closedPort, FRONT_DOOR_CODER_VERSION, FRONT_DOOR_HOST, FRONT_DOOR_WILDCARD, LOGIN_HOST, makeFrontDoorPki, reachInWorld, startFrontDoor, startPlainFrontDoor, type Behaviour, type CertKind, type FrontDoorPki, type FrontDoorServer } from '../world/front-door.ts';

let pki: FrontDoorPki;
let dns: WorldDns;
let resolv: string;
let hosts: string;
const servers: FrontDoorServer[] = [];
const door = async (kind: CertKind, behaviour: Behaviour = 'coder') => {
  const s = await startFrontDoor(pki, kind, behaviour);
  servers.push(s);
  return s;
};
const pems = (file: string) => pemCertificates(readFileSync(file, 'utf8'));

beforeAll(async () => {
  pki = makeFrontDoorPki();
  dns = await startWorldDns({ a: { [FRONT_DOOR_HOST]: '127.0.0.1', [FRONT_DOOR_WILDCARD]: '127.0.0.1' }, drop: ['silent.preflight.test'] });
  resolv = worldResolvConf(dns.address);
  hosts = worldHostsFile(['127.0.0.1 hosts-only.preflight.test']);
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await dns?.close();
  // Every name looked up was one of the world's: nothing else was asked.
  expect(dns.queries.map((q) => q.name).filter((n) => !n.endsWith('.preflight.test'))).toEqual([]);
});

const run = (url: string, extra: Partial<Parameters<typeof reachInWorld>[0]> = {}) => reachInWorld({ url, wildcard: FRONT_DOOR_WILDCARD, caPems: pems(pki.rootCa), timeoutMs: 3000, sampleLabel: 'preflight-sample', ...extra }, resolv, hosts);

describe('reach() walks DNS, TCP, TLS, HTTP and Coder\'s endpoints', () => {
  it('the good front door: every step, the chain sent whole, Coder and its agent binary, the wildcard', async () => {
    const s = await door('good');
    const r = await run(s.url);
    expect(r).toMatchObject({ host: FRONT_DOOR_HOST, port: s.port, failedAt: null, roots: { bundle: 1 } });
    expect(r.dns).toMatchObject({ ok: true, addresses: ['127.0.0.1'], hostsFile: { entries: [] }, dnsOnly: null });
    expect(r.tcp).toMatchObject({ ok: true, address: '127.0.0.1' });
    expect(r.tls).toMatchObject({ ok: true, servername: FRONT_DOOR_HOST, alpn: 'http/1.1', verify: { verified: true, error: null }, systemOnly: { verified: false }, anchorsOnly: null, lastIssuerInStore: true });
    expect(r.tls!.sent.map((c) => c.subject)).toEqual([`CN=${FRONT_DOOR_HOST}`, 'CN=coder-preflight front door intermediate CA']);
    expect(r.tls!.verify!.chain.map((c) => c.subject)).toEqual([`CN=${FRONT_DOOR_HOST}`, 'CN=coder-preflight front door intermediate CA', 'CN=coder-preflight front door root CA']);
    expect(r.http).toMatchObject({ ok: true, status: 307, location: '/login' });
    expect(r.coder).toMatchObject({ answers: true, version: FRONT_DOOR_CODER_VERSION, agentHead: { status: 200, contentType: 'application/octet-stream' }, agentStart: { status: 206, body: 'elf' } });
    expect(r.wildcard).toMatchObject({ sample: 'preflight-sample.apps.preflight.test', dns: { ok: true, addresses: ['127.0.0.1'] }, tls: { ok: true, servername: 'preflight-sample.apps.preflight.test', verify: { verified: true } } });
    expect(r.wildcard!.tls!.leaf!.subjectAltNames).toContain(`DNS:${FRONT_DOOR_WILDCARD}`);
  });

  it('a leaf served alone: unverifiable with the root, verifiable only with the intermediate from the bundle', async () => {
    const s = await door('no-intermediate');
    const rootOnly = await run(s.url);
    expect(rootOnly.tls).toMatchObject({ ok: true, verify: { verified: false, error: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }, lastIssuerInStore: false, aiaIssuers: ['http://127.0.0.1:9/front-door-intermediate.crt'] });
    expect(rootOnly.tls!.sent).toHaveLength(1);
    const withIntermediate = await run(s.url, { caPems: pems(pki.bundle) });
    expect(withIntermediate.tls).toMatchObject({ verify: { verified: true }, anchorsOnly: { verified: false, error: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }, systemOnly: { verified: false } });
    // The good chain with the same bundle: the intermediate came from the server.
    const good = await run((await door('good')).url, { caPems: pems(pki.bundle) });
    expect(good.tls).toMatchObject({ verify: { verified: true }, anchorsOnly: { verified: true } });
  });

  it('without the CA: the chain ends in a CA this machine does not know', async () => {
    const r = await run((await door('good')).url, { caPems: [] });
    expect(r.tls).toMatchObject({ verify: { verified: false, error: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' }, systemOnly: null, lastIssuerInStore: false });
  });

  it('expired, self-signed, and without the wildcard name', async () => {
    expect((await run((await door('expired')).url)).tls).toMatchObject({ verify: { verified: false, error: 'CERT_HAS_EXPIRED' } });
    expect((await run((await door('self-signed')).url)).tls).toMatchObject({ verify: { verified: false, error: 'DEPTH_ZERO_SELF_SIGNED_CERT' }, lastIssuerInStore: null });
    const nw = await run((await door('no-wildcard')).url);
    expect(nw.wildcard!.tls!.leaf!.subjectAltNames).toEqual([`DNS:${FRONT_DOOR_HOST}`]);
  });

  it('an authenticating proxy: a login page for the agent download, or a redirect for everything', async () => {
    const page = await run((await door('good', 'login-page')).url);
    expect(page.coder).toMatchObject({ answers: true, agentHead: { status: 200, contentType: 'text/html; charset=utf-8' }, agentStart: { status: 200, body: 'html', bodyStart: expect.stringMatching(/^<!DOCTYPE html>/) } });
    const sso = await run((await door('good', 'sso-redirect')).url);
    expect(sso.coder).toMatchObject({ answers: false, healthz: { status: 302, location: `https://${LOGIN_HOST}/oauth2/start?rd=%2Fhealthz` } });
  });

  it('before an install: an Ingress default backend answers 404', async () => {
    const r = await run((await door('good', 'not-installed')).url);
    expect(r).toMatchObject({ failedAt: null, http: { status: 404 }, coder: { answers: false, healthz: { status: 404, bodyStart: 'default backend - 404' } } });
  });

  it('the failures, each at its step', async () => {
    const plain = await startPlainFrontDoor();
    servers.push(plain);
    const httpsToHttp = await run(`https://${FRONT_DOOR_HOST}:${plain.port}`);
    expect(httpsToHttp).toMatchObject({ failedAt: 'tls', tls: { ok: false, error: { code: 'ERR_SSL_WRONG_VERSION_NUMBER', message: expect.stringContaining('wrong version number') } }, http: null });
    const httpOk = await run(plain.url, { wildcard: undefined });
    expect(httpOk).toMatchObject({ failedAt: null, tls: null, coder: { answers: true, agentStart: { body: 'elf' } } });
    const closed = await run(`https://${FRONT_DOOR_HOST}:${await closedPort()}`);
    expect(closed).toMatchObject({ failedAt: 'tcp', tcp: { ok: false, attempts: [{ address: '127.0.0.1', error: { code: 'ECONNREFUSED' } }] }, tls: null });
    const nx = await run('https://nowhere.preflight.test');
    expect(nx).toMatchObject({ failedAt: 'dns', dns: { ok: false, error: { code: 'ENOTFOUND' } }, tcp: null });
    const silent = await run('https://silent.preflight.test', { wildcard: undefined });
    expect(silent.dns).toMatchObject({ ok: false, error: { code: 'EAI_AGAIN' } });
  });

  it('a name only the hosts file knows: DNS itself is asked too', async () => {
    const s = await door('good');
    const r = await run(`https://hosts-only.preflight.test:${s.port}`, { wildcard: undefined });
    expect(r.dns).toMatchObject({ ok: true, addresses: ['127.0.0.1'], hostsFile: { entries: [{ line: 3, address: '127.0.0.1' }] }, dnsOnly: { addresses: [], error: { code: 'ENOTFOUND' } } });
    expect(dns.queries.some((q) => q.name === 'hosts-only.preflight.test')).toBe(true);
  });
});

describe('parseWildcard agrees with Coder\'s appurl.CompileHostnamePattern (v2.30.0)', () => {
  const patterns = [
    '*.apps.acme.io', '*--apps.acme.io', '*.Apps.Acme.IO', '*.apps.acme.io:8443', '*.io', '*-x.acme.io', '*.a-b.c', '*.123.io',
    'apps.acme.io', '*.*.acme.io', 'a.*.acme.io', 'x*.acme.io', '*', '*.', '.*.acme.io', 'https://*.acme.io', 'http:*.acme.io',
    '*.acme_io.com', '*-.acme.io', '*.acme.io ', ' *.acme.io', '*.-acme.io', '*.acme-.io', '*..acme.io', '*.acme.io:', '*.acme.io:x', '**.acme.io', '', '*.acme.io:99999', '[::1]:80', '*.acme.io.:80', '*:80.io', '[*.acme.io]:80', '*.acme.io:80:90',
  ];
  it.each(judgePatterns(patterns).map((v) => [v.pattern, v]))('%j', (pattern, coder) => {
    const ours = parseWildcard(pattern as string);
    const v = coder as { ok: boolean; error: string };
    expect(ours.ok, v.error).toBe(v.ok);
  });
});
