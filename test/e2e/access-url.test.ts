// The access-url checks, the built CLI against the world's front door: node:https servers on
// loopback addresses, port 443, with a throwaway PKI (test/world/front-door.ts), and names that
// resolve through the world's own DNS server (test/world/dns.ts) — the CLI runs in a private mount
// namespace whose /etc/resolv.conf names that server, so no lookup and no packet leaves this
// machine (asserted at the end from the server's query log). Each check passes on the good front
// door and names the fault on each bad one.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { Report } from '../../src/report/model.ts';
import { cleanEnv, cliBin, expectUsageError, hasCommand, nodeBin, resultOf, spawnRun } from '../helpers/cli.ts';
import { assertValidReport } from '../helpers/report.ts';
import { runWithResolver, startWorldDns, worldHostsFile, worldResolvConf, type WorldDns } from '../world/dns.ts';
import { AGENT_BYTES, EXPIRING_DAYS, FRONT_DOOR_HOST, FRONT_DOOR_WILDCARD, makeFrontDoorPki, startFrontDoor, startPlainFrontDoor, type Behaviour, type CertKind, type FrontDoorPki, type FrontDoorServer } from '../world/front-door.ts';

const NS = 'coder';
// One /16 of loopback per run (port 443 on each address); the world's DNS points the names at one.
const NET = `127.54.${1 + Math.floor(Math.random() * 250)}`;
let pki: FrontDoorPki;
let dns: WorldDns;
let resolv: string;
let hosts: string;
let dir: string;
let allowLoopback: string;
const servers = new Map<string, FrontDoorServer>();
let next = 1;

/** A front door on an address of its own, port 443 (or 80 for plain HTTP). */
async function door(name: string, kind: CertKind | 'plain', behaviour: Behaviour = 'coder'): Promise<FrontDoorServer> {
  const address = `${NET}.${next++}`;
  const s = kind === 'plain' ? await startPlainFrontDoor(behaviour, { address, port: 80 }) : await startFrontDoor(pki, kind, behaviour, { address, port: 443 });
  servers.set(name, s);
  return s;
}

/** Point the access host and the wildcard at `name`'s front door. */
function pointAt(name: string | null): void {
  const a = name ? servers.get(name)!.address : `${NET}.250`;
  dns.setZone({ a: { [FRONT_DOOR_HOST]: a, [FRONT_DOOR_WILDCARD]: a }, drop: ['silent.preflight.test'] });
}

function values(coder: Record<string, unknown>): string {
  const f = join(dir, `values-${next++}.yaml`);
  writeFileSync(f, stringify({ coder }));
  return f;
}
const env = (pairs: Record<string, string>) => Object.entries(pairs).map(([name, value]) => ({ name, value }));
/** Values an operator with an Ingress and a private CA would write. */
const GOOD_VALUES = () =>
  values({
    env: env({ CODER_ACCESS_URL: `https://${FRONT_DOOR_HOST}`, CODER_WILDCARD_ACCESS_URL: FRONT_DOOR_WILDCARD }),
    certs: { secrets: [{ name: 'front-door-ca', key: 'ca.crt' }] },
    ingress: { enable: true, className: 'nginx', host: FRONT_DOOR_HOST, wildcardHost: FRONT_DOOR_WILDCARD, tls: { enable: true, secretName: 'coder-tls', wildcardSecretName: 'coder-tls' } },
  });

async function cli(args: string[], o: { hostsFile?: string } = {}) {
  const [cmd, argv] = runWithResolver(resolv, o.hostsFile ?? hosts, nodeBin, [cliBin, ...(args.includes('--from-facts') ? [] : ['-n', NS]), ...args, '-o', 'json']);
  const r = await spawnRun(cmd, argv, { env: cleanEnv() });
  let report: Report;
  try {
    report = JSON.parse(r.stdout) as Report;
  } catch {
    throw new Error(`not JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  assertValidReport(report);
  return { r, report, res: (id: string) => resultOf(report, id) };
}
/** The good variant's flags: the values, the private CA, loopback allowed (the front door is on this machine). */
const goodFlags = () => ['-f', GOOD_VALUES(), '--ca-bundle', pki.rootCa, '-c', allowLoopback];

beforeAll(async () => {
  if (!hasCommand('unshare') || process.getuid?.() !== 0) throw new Error('these tests need root and unshare (a private mount namespace for /etc/resolv.conf)');
  pki = makeFrontDoorPki();
  dir = mkdtempSync(join(tmpdir(), 'cp-access-e2e-'));
  allowLoopback = join(dir, 'coder-preflight.config.yaml');
  writeFileSync(allowLoopback, stringify({ thresholds: { 'access-url.reachability': { allowLoopback: true } } }));
  dns = await startWorldDns({ a: {} });
  resolv = worldResolvConf(dns.address);
  hosts = worldHostsFile();
  await door('good', 'good');
  await door('no-intermediate', 'no-intermediate');
  await door('no-wildcard', 'no-wildcard');
  await door('expired', 'expired');
  await door('expiring', 'expiring');
  await door('self-signed', 'self-signed');
  await door('login-page', 'good', 'login-page');
  await door('sso', 'good', 'sso-redirect');
  await door('not-installed', 'good', 'not-installed');
  await door('plain', 'plain');
});

afterAll(async () => {
  await Promise.all([...servers.values()].map((s) => s.close()));
  await dns?.close();
});

describe('the good front door', () => {
  it('passes all three checks: the URL, the way there and Coder behind it, the certificate', async () => {
    pointAt('good');
    const { r, res } = await cli([...goodFlags(), '--check', 'access-url']);
    expect(r.code, r.stderr).toBe(0);
    expect(res('access-url.config')).toMatchObject({ status: 'pass', summary: 'The access URL https://coder.preflight.test (values coder.env CODER_ACCESS_URL) is an https URL Coder and its clients can use; Ingress coder (class nginx) carries it, TLS ends at the Ingress (Secret coder-tls); the wildcard *.apps.preflight.test is one Coder accepts' });
    expect(res('access-url.reachability')).toMatchObject({
      status: 'pass',
      vantage: expect.stringMatching(/^this machine \(.+\)$/),
      summary: expect.stringMatching(/^https:\/\/coder\.preflight\.test is reachable from this machine \(.+\): DNS coder\.preflight\.test → 127\.54\.\d+\.1 \([\d.]+ ms\), TCP 127\.54\.\d+\.1:443 .* HTTP 307 → \/login, wildcard preflight-[0-9a-f]{8}\.apps\.preflight\.test → 127\.54\.\d+\.1; Coder v2\.30\.0\+preflight answers \/healthz and serves the agent binary \(ELF\)/),
      evidence: { healthz: 200, agentDownload: '200 application/octet-stream, first bytes: elf' },
    });
    expect(res('access-url.tls')).toMatchObject({ status: 'pass', summary: expect.stringMatching(/verifies against --ca-bundle .*root\.crt \(not the system roots\), with the chain sent whole \(2 certificates\), names coder\.preflight\.test and the wildcard \*\.apps\.preflight\.test, and expires in 82[45] days .*; a private CA, mounted into Coder \(front-door-ca\): workspace images must trust it too$/) });
  });

  it('without the config file\'s allowLoopback: the loopback answer is a warning', async () => {
    pointAt('good');
    const { res } = await cli(['-f', GOOD_VALUES(), '--ca-bundle', pki.rootCa, '--check', 'access-url.reachability']);
    expect(res('access-url.reachability')).toMatchObject({ status: 'warn', summary: expect.stringMatching(/^The access URL's host coder\.preflight\.test resolves to 127\.54\.\d+\.1 here, a loopback address/), threshold: { value: 'allowLoopback=false' } });
  });

  it('--save-facts, then --from-facts: the same verdicts offline', async () => {
    pointAt('good');
    const facts = join(dir, 'facts.json');
    const live = await cli([...goodFlags(), '--check', 'access-url', '--save-facts', facts]);
    pointAt(null);
    const replay = await cli(['--from-facts', facts, '-c', allowLoopback]);
    for (const id of ['access-url.config', 'access-url.reachability', 'access-url.tls']) expect(replay.res(id)).toMatchObject({ status: live.res(id).status, summary: live.res(id).summary });
    expectUsageError(await spawnRun(nodeBin, [cliBin, '--from-facts', facts, '--access-url', 'https://x.preflight.test'], { env: cleanEnv() }), /--access-url has no effect with --from-facts/);
  });
});

describe('access-url.tls names each fault of the certificate', () => {
  const tls = async (name: string, extra: string[] = ['--ca-bundle', pki.rootCa]) => {
    pointAt(name);
    return (await cli(['-f', GOOD_VALUES(), ...extra, '-c', allowLoopback, '--check', 'access-url.tls'])).res('access-url.tls');
  };

  it('a CA this machine does not trust (no --ca-bundle)', async () => {
    expect(await tls('good', [])).toMatchObject({ status: 'fail', summary: 'The certificate of coder.preflight.test:443 chains to coder-preflight front door root CA, a CA this machine does not trust (UNABLE_TO_GET_ISSUER_CERT_LOCALLY): agents, curl and IDE extensions fail with "certificate signed by unknown authority"; for a private CA, pass --ca-bundle with it', remediation: expect.stringContaining('coder.certs.secrets') });
  });

  it('the leaf served without its intermediate, with the root and with the whole bundle', async () => {
    expect(await tls('no-intermediate')).toMatchObject({ status: 'fail', summary: expect.stringMatching(/^coder\.preflight\.test:443 sends only its own certificate, not the intermediate that signed it \(coder-preflight front door intermediate CA\), which neither the system roots nor --ca-bundle .* hold: Go \(the agent\), curl and Node fail with "unable to verify the first certificate"; browsers fetch the missing one from its AIA URL \(http:\/\/127\.0\.0\.1:9\/front-door-intermediate\.crt\)/), evidence: { chainSent: ['CN=coder.preflight.test'] } });
    expect(await tls('no-intermediate', ['--ca-bundle', pki.bundle])).toMatchObject({ status: 'fail', summary: expect.stringMatching(/sends only its own certificate: it verified here only because --ca-bundle .*bundle\.pem holds the intermediate/) });
    // The good chain with the same bundle passes: the intermediate is the server's.
    expect((await tls('good', ['--ca-bundle', pki.bundle])).status).toBe('pass');
  });

  it('a certificate without the wildcard name', async () => {
    expect(await tls('no-wildcard')).toMatchObject({ status: 'fail', summary: expect.stringMatching(/^The certificate served for apps on the wildcard \*\.apps\.preflight\.test \(asked for preflight-[0-9a-f]{8}\.apps\.preflight\.test\) does not cover it \(DNS:coder\.preflight\.test\)/), evidence: { wildcardCovered: false } });
  });

  it('expired, expiring, self-signed', async () => {
    expect(await tls('expired')).toMatchObject({ status: 'fail', summary: expect.stringMatching(/^The certificate of coder\.preflight\.test:443 expired on \d{4}-\d\d-\d\d \(2 days ago\): every client refuses it/) });
    expect(await tls('expiring')).toMatchObject({ status: 'warn', summary: expect.stringMatching(new RegExp(`^The certificate of coder\\.preflight\\.test:443 expires in (${EXPIRING_DAYS - 1}|${EXPIRING_DAYS}) days \\(.*, under 30\\)`)) });
    expect(await tls('self-signed')).toMatchObject({ status: 'fail', summary: 'The certificate of coder.preflight.test:443 is self-signed (CN=coder.preflight.test): agents, curl and IDE extensions refuse it' });
  });

  it('a private CA the values do not mount into Coder', async () => {
    pointAt('good');
    const f = values({ env: env({ CODER_ACCESS_URL: `https://${FRONT_DOOR_HOST}` }), ingress: { enable: true, host: FRONT_DOOR_HOST, tls: { enable: true, secretName: 'coder-tls' } } });
    const { res } = await cli(['-f', f, '--ca-bundle', pki.rootCa, '--check', 'access-url.tls']);
    expect(res('access-url.tls')).toMatchObject({ status: 'warn', summary: expect.stringContaining('and the values mount no CA into Coder (coder.certs.secrets is empty)') });
  });
});

describe('access-url.reachability names the step that fails, from here', () => {
  const reach = async (args: string[], o: { hostsFile?: string } = {}) => (await cli([...args, '--ca-bundle', pki.rootCa, '-c', allowLoopback, '--check', 'access-url.reachability'], o)).res('access-url.reachability');

  it('an authenticating proxy: the agent download is its login page, or everything redirects', async () => {
    pointAt('login-page');
    expect(await reach(['-f', GOOD_VALUES()])).toMatchObject({ status: 'fail', summary: 'Coder answers /healthz, but the agent download https://coder.preflight.test/bin/coder-linux-amd64 is an HTML page (200, text/html; charset=utf-8) from this machine (' + (await hostname()) + '), not the binary: an authenticating proxy\'s login page; workspaces download this page instead of the agent and their init script fails ("./coder: Syntax error: newline unexpected")' });
    pointAt('sso');
    expect(await reach(['-f', GOOD_VALUES()])).toMatchObject({ status: 'warn', summary: expect.stringMatching(/^An authenticating proxy seems to stand in front of coder\.preflight\.test: GET \/healthz answers 302 → https:\/\/sso\.preflight\.test\/oauth2\/start/) });
  });

  it('before the install: the front door answers, Coder does not yet', async () => {
    pointAt('not-installed');
    expect(await reach(['-f', GOOD_VALUES()])).toMatchObject({ status: 'pass', summary: expect.stringContaining('HTTP 404, wildcard') });
    expect((await reach(['-f', GOOD_VALUES()])).summary).toContain('Coder does not answer yet (/healthz: 404), so /healthz and the agent download are checked after the install');
  });

  it('an https URL to a port that speaks plain HTTP; and http there works', async () => {
    pointAt('plain');
    expect(await reach(['--access-url', `https://${FRONT_DOOR_HOST}:80`])).toMatchObject({ status: 'fail', summary: expect.stringMatching(/^TLS: the handshake with coder\.preflight\.test:80 \(SNI coder\.preflight\.test\) failed from this machine \(.+\): the port speaks plain HTTP, not TLS/) });
    expect(await reach(['--access-url', `http://${FRONT_DOOR_HOST}`])).toMatchObject({ status: 'pass', summary: expect.stringContaining('serves the agent binary (ELF)') });
  });

  it('nothing listens: TCP refused; a fail with an Ingress, a warning when the chart\'s LoadBalancer will bring the address', async () => {
    pointAt(null);
    expect(await reach(['-f', GOOD_VALUES()])).toMatchObject({ status: 'fail', summary: expect.stringMatching(/^TCP: port 443 at 127\.54\.\d+\.250: ECONNREFUSED refused the connection: nothing listens there/) });
    const lb = values({ env: env({ CODER_ACCESS_URL: `https://${FRONT_DOOR_HOST}` }), tls: { secretNames: ['coder-tls'] } });
    expect(await reach(['-f', lb])).toMatchObject({ status: 'warn', summary: expect.stringContaining('expected before the install if the record will point at the LoadBalancer Service the chart creates (coder)') });
  });

  it('DNS: no record, and a resolver that does not answer', async () => {
    pointAt('good');
    expect(await reach(['--access-url', 'https://nowhere.preflight.test'])).toMatchObject({ status: 'fail', summary: expect.stringMatching(/^DNS: nowhere\.preflight\.test does not resolve from this machine \(.+\) \(ENOTFOUND: no record\)/), remediation: expect.stringContaining('create an A/AAAA or CNAME record for nowhere.preflight.test') });
    expect(await reach(['--access-url', 'https://silent.preflight.test'])).toMatchObject({ status: 'error', summary: expect.stringMatching(/^DNS: the resolver gave no answer for silent\.preflight\.test/) });
  });

  it('a name only this machine\'s /etc/hosts knows', async () => {
    const s = servers.get('good')!;
    const h = worldHostsFile([`${s.address} hosts-only.preflight.test`]);
    expect(await reach(['--access-url', 'https://hosts-only.preflight.test'], { hostsFile: h })).toMatchObject({ status: 'warn', summary: expect.stringMatching(/^The access URL's host hosts-only\.preflight\.test resolves here only through \/etc\/hosts \(line 3: 127\.54\.\d+\.1\); DNS has no record for it \(ENOTFOUND\), so pods and other machines cannot resolve it/) });
  });

  it('no wildcard DNS record', async () => {
    pointAt('good');
    dns.setZone({ a: { [FRONT_DOOR_HOST]: servers.get('good')!.address } });
    expect(await reach(['-f', GOOD_VALUES()])).toMatchObject({ status: 'fail', summary: expect.stringMatching(/^DNS: apps on the wildcard \*\.apps\.preflight\.test will not resolve: preflight-[0-9a-f]{8}\.apps\.preflight\.test has no record/) });
  });
});

describe('what is not walked, and what is never shown', () => {
  it('the chart\'s cluster-internal default: config fails, nothing is looked up', async () => {
    const before = dns.queries.length;
    const { r, res } = await cli(['-f', values({ ingress: { enable: true, host: FRONT_DOOR_HOST } }), '--check', 'access-url']);
    expect(r.code).toBe(3);
    expect(res('access-url.config')).toMatchObject({ status: 'fail', summary: "CODER_ACCESS_URL is the chart's default http://coder.coder.svc.cluster.local: only pods in the cluster resolve it, so browsers, the CLI and workspaces outside the cluster cannot reach Coder" });
    expect(res('access-url.reachability')).toMatchObject({ status: 'skip', summary: expect.stringContaining('is a cluster-internal name that only pods resolve') });
    expect(res('access-url.tls')).toMatchObject({ status: 'skip', summary: 'Not evaluated: access-url.reach is not configured — see access-url.reachability' });
    expect(dns.queries.length).toBe(before);
  });

  it('a password in the access URL is masked everywhere, and the URL still judged', async () => {
    pointAt('good');
    const { r, report } = await cli(['--access-url', `https://admin:Pl4nted-${'s3cret'}@${FRONT_DOOR_HOST}`, '--ca-bundle', pki.rootCa, '-c', allowLoopback, '--check', 'access-url']);
    expect(r.stdout + r.stderr).not.toContain('Pl4nted-s3cret');
    expect(resultOf(report, 'access-url.config')).toMatchObject({ status: 'fail', summary: 'The access URL https://***@coder.preflight.test (--access-url) carries a user name or password: Coder writes the access URL into every workspace\'s init script and into links' });
    expect(resultOf(report, 'access-url.reachability').status).toBe('pass');
  });

  it('a --ca-bundle that is not there, or holds no certificate: a usage error', async () => {
    expectUsageError(await spawnRun(nodeBin, [cliBin, '--access-url', 'https://x.preflight.test', '--ca-bundle', join(dir, 'missing.pem')], { env: cleanEnv() }), /cannot read --ca-bundle .*missing\.pem: no such file/);
    const empty = join(dir, 'empty.pem');
    writeFileSync(empty, 'not a certificate\n');
    expectUsageError(await spawnRun(nodeBin, [cliBin, '--access-url', 'https://x.preflight.test', '--ca-bundle', empty], { env: cleanEnv() }), /--ca-bundle .*empty\.pem holds no PEM certificate/);
  });

  it('every name looked up was one of the world\'s; the agent bytes served were ours', () => {
    expect(dns.queries.length).toBeGreaterThan(10);
    expect(dns.queries.map((q) => q.name).filter((n) => !n.endsWith('.preflight.test'))).toEqual([]);
    expect(AGENT_BYTES.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
  });
});

async function hostname(): Promise<string> {
  return (await import('node:os')).hostname();
}
