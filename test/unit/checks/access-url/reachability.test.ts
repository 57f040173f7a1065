import { expect } from 'vitest';
import check from '../../../../checks/access-url/reachability.ts';
import { failed, testCheck } from '../../../helpers/check-tester.ts';
import { coder, dns, LB_DOOR, NOT_INSTALLED, probe, reachFact, settings, tls } from './reach-fixtures.ts';

const facts = (r: Parameters<typeof reachFact>[0] = {}, s: Parameters<typeof settings>[0] = {}) => ({ 'access-url.reach': reachFact(r), 'access-url.settings': settings(s) });
const stopped = (at: 'dns' | 'tcp' | 'tls' | 'http') => ({ failedAt: at, ...(at === 'dns' ? { tcp: null } : {}), ...(at === 'dns' || at === 'tcp' ? { tls: null } : {}), http: at === 'http' ? probe('/', { ok: false, status: null, error: { code: 'ECONNRESET', message: 'socket hang up' } }) : null, coder: null });
const refused = { ...stopped('tcp'), tcp: { ok: false, ms: 1, address: null, attempts: [{ address: '203.0.113.10', ok: false, ms: 1, error: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 203.0.113.10:443' } }] } };
const head = (over: Parameters<typeof probe>[1]) => ({ coder: coder({ agentHead: probe('/bin/coder-linux-amd64', { method: 'HEAD', body: null, bodyStart: null, ...over }), agentStart: null }) });
const LOCAL = { dns: dns('coder.preflight.test', { addresses: ['127.0.0.1'] }), host: 'coder.preflight.test', url: 'https://coder.preflight.test:40123', port: 40123, authority: 'coder.preflight.test:40123', wildcard: null };

const podWalk = (over: Parameters<typeof reachFact>[0] = {}, w: Partial<{ namespace: string; for: string; node: string; fallback: string }> = {}) => {
  const { vantage: _v, collectedAt: _c, urlWhere: _u, wildcardWhere: _ww, wildcardNotWalked: _wn, caBundle: _cb, stepTimeoutMs: _st, ...result } = reachFact(over);
  return { namespace: 'coder', for: 'coder', node: 'ws-1', ...w, result };
};
const withPods = (...walks: ReturnType<typeof podWalk>[]) => ({ pods: { placement: 'anywhere', walks } });
const NXDOMAIN = { ...stopped('dns'), wildcard: null, dns: dns('coder.acme.io', { ok: false, addresses: [], error: { code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND coder.acme.io' } }) };

testCheck(check, {
  pass: [
    {
      name: 'from here and from a pod in the workspace namespace (--probe access-url)',
      facts: facts(withPods(podWalk())),
      summary: /Coder v2\.30\.0 answers \/healthz and serves the agent binary \(ELF\); and from a pod where workspaces run \(namespace coder\)$/,
      evidence: { fromPods: [expect.stringMatching(/^a pod in namespace coder on node ws-1: DNS coder\.acme\.io → 203\.0\.113\.10/)] },
    },
    {
      name: 'Coder answers behind a good front door: every step, the agent binary, the wildcard',
      facts: facts(),
      summary: 'https://coder.acme.io is reachable from this machine (laptop): DNS coder.acme.io → 203.0.113.10 (3 ms), TCP 203.0.113.10:443 (2 ms), TLS TLSv1.3 (12 ms), HTTP 307 → /login, wildcard preflight-1a2b3c4d.apps.acme.io → 203.0.113.10; Coder v2.30.0 answers /healthz and serves the agent binary (ELF) (pods resolve and route through the cluster: --probe access-url walks it from there)',
      evidence: { healthz: 200, coderVersion: 'v2.30.0', agentDownload: '200 application/octet-stream, first bytes: elf' },
      check: (r) => expect(r.vantage).toBe('this machine (laptop)'),
    },
    { name: 'before the install: something answers, Coder does not yet', facts: facts({ coder: NOT_INSTALLED, http: probe('/', { status: 404, bodyStart: 'default backend - 404' }) }), summary: 'HTTP 404, wildcard preflight-1a2b3c4d.apps.acme.io → 203.0.113.10; Coder does not answer yet (/healthz: 404), so /healthz and the agent download are checked after the install' },
    { name: 'an untrusted certificate is access-url.tls\'s to judge', facts: facts({ tls: tls({ verify: { verified: false, error: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', chain: [] } }) }), summary: 'TLS TLSv1.3 (12 ms; certificate not trusted here: UNABLE_TO_GET_ISSUER_CERT_LOCALLY, see access-url.tls)' },
    { name: 'the second address after the first refused', facts: facts({ dns: dns('coder.acme.io', { addresses: ['2001:db8::1', '203.0.113.10'] }), tcp: { ok: true, ms: 4, address: '203.0.113.10', attempts: [{ address: '2001:db8::1', ok: false, ms: 1, error: { code: 'ECONNREFUSED', message: 'refused' } }, { address: '203.0.113.10', ok: true, ms: 2, error: null }] } }), summary: 'TCP 203.0.113.10:443 (2 ms, after 1 refused)' },
    { name: 'a loopback front door the config file allows', facts: facts(LOCAL), options: { allowLoopback: true }, summary: 'https://coder.preflight.test:40123 is reachable from this machine (laptop): DNS coder.preflight.test → 127.0.0.1' },
    { name: 'Coder v1: /healthz and the agent download are not checked', facts: facts({ coder: null }, { profile: 'v1' }), summary: 'Coder v1 serves neither /healthz nor the v2 agent download' },
    { name: 'a proxy that refuses HEAD: the ranged GET decides', facts: facts({ coder: coder({ agentHead: probe('/bin/coder-linux-amd64', { method: 'HEAD', status: 405, body: null }) }) }), summary: 'serves the agent binary (ELF)' },
    { name: 'an IP address needs no DNS', facts: facts({ host: '203.0.113.10', url: 'https://203.0.113.10', authority: '203.0.113.10', dns: dns('203.0.113.10', { literal: true, ms: 0 }), wildcard: null }), summary: 'reachable from this machine (laptop): 203.0.113.10 (an address), TCP' },
  ],
  fail: [
    {
      name: 'resolves here but not in pods: split-horizon DNS, named as such',
      facts: facts(withPods(podWalk(NXDOMAIN))),
      summary: /^DNS: coder\.acme\.io resolves here \(203\.0\.113\.10\) but not from a pod in namespace coder on node ws-1 \(ENOTFOUND\): split-horizon DNS/,
      remediation: /make the cluster's DNS resolve coder\.acme\.io/,
    },
    {
      name: 'resolves here only through /etc/hosts, and not in pods',
      facts: facts({ dns: dns('coder.acme.io', { hostsFile: { file: '/etc/hosts', entries: [{ line: 3, address: '203.0.113.10' }] }, dnsOnly: { addresses: [], error: { code: 'ENOTFOUND', message: 'x' } } }), ...withPods(podWalk(NXDOMAIN)) }),
      summary: /but not from a pod in namespace coder on node ws-1 \(ENOTFOUND\): only this machine's \/etc\/hosts names it/,
    },
    {
      name: 'a pod where workspaces run gets no answer: a failure there (no answer from here is an error)',
      facts: facts(withPods(podWalk({ ...stopped('tcp'), tcp: { ok: false, ms: 5000, address: null, attempts: [{ address: '203.0.113.10', ok: false, ms: 5000, error: { code: 'ETIMEDOUT', message: 'timeout' } }] } }))),
      summary: /^TCP: port 443 at 203\.0\.113\.10: ETIMEDOUT did not answer .*from a pod in namespace coder on node ws-1/,
    },
    { name: 'no DNS record', facts: facts({ ...stopped('dns'), dns: dns('coder.acme.io', { ok: false, addresses: [], error: { code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND coder.acme.io' } }) }), summary: 'DNS: coder.acme.io does not resolve from this machine (laptop) (ENOTFOUND: no record)', remediation: /create an A\/AAAA or CNAME record for coder\.acme\.io/ },
    { name: 'TCP refused', facts: facts(refused), summary: 'TCP: port 443 at 203.0.113.10: ECONNREFUSED refused the connection: nothing listens there', remediation: /listen on 443/ },
    { name: 'https to a port that speaks HTTP', facts: facts({ ...stopped('tls'), tls: tls({ ok: false, error: { code: 'EPROTO', message: 'C0:error:0A00010B:SSL routines:ssl3_get_record:wrong version number' }, sent: [], verify: null }) }), summary: 'TLS: the handshake with coder.acme.io:443 (SNI coder.acme.io) failed from this machine (laptop): the port speaks plain HTTP, not TLS: the https URL points at an http listener (EPROTO)' },
    { name: 'a reset during the handshake', facts: facts({ ...stopped('tls'), tls: tls({ ok: false, error: { code: 'ECONNRESET', message: 'Client network socket disconnected before secure TLS connection was established' }, sent: [], verify: null }) }), summary: 'the connection was closed during the handshake' },
    { name: 'TLS older than 1.2 only', facts: facts({ ...stopped('tls'), tls: tls({ ok: false, error: { code: 'ERR_SSL_UNSUPPORTED_PROTOCOL', message: 'unsupported protocol' }, sent: [], verify: null }) }), summary: 'the server offers only TLS versions older than 1.2' },
    { name: 'no HTTP answer', facts: facts(stopped('http')), summary: 'HTTP: GET / at coder.acme.io:443 got no HTTP answer from this machine (laptop): the connection closed before an answer (ECONNRESET)' },
    { name: 'not HTTP', facts: facts({ ...stopped('http'), http: probe('/', { ok: false, status: null, error: { code: 'HPE_INVALID_CONSTANT', message: 'Parse Error' } }) }), summary: 'the answer is not HTTP' },
    { name: 'the agent download is a login page', facts: facts(head({ contentType: 'text/html; charset=utf-8' })), summary: 'Coder answers /healthz, but the agent download https://coder.acme.io/bin/coder-linux-amd64 is an HTML page (200, text/html; charset=utf-8) from this machine (laptop), not the binary', remediation: /exempt \/bin\// },
    { name: 'the agent download redirects to a login host', facts: facts(head({ status: 302, location: 'https://sso.acme.io/login' })), summary: 'redirects (302 → https://sso.acme.io/login)' },
    { name: 'the agent download asks for credentials', facts: facts(head({ status: 401 })), summary: 'is refused (401)' },
    { name: 'the agent download is not there (slim build)', facts: facts(head({ status: 404 })), summary: 'is not there (404)', remediation: /ghcr\.io\/coder\/coder/ },
    { name: 'the HEAD looks fine, the first bytes are a page', facts: facts({ coder: coder({ agentStart: probe('/bin/coder-linux-amd64', { body: 'html', contentType: 'text/html' }) }) }), summary: 'is an HTML page' },
    { name: 'the first bytes are not ELF', facts: facts({ coder: coder({ agentStart: probe('/bin/coder-linux-amd64', { body: 'json', bodyStart: '{"message":"x"}', contentType: 'application/octet-stream' }) }) }), summary: 'is not a Linux binary from this machine (laptop): its first bytes are json ("{"message":"x"}")' },
    { name: 'http to a TLS port: nginx says so with a 400', facts: facts({ scheme: 'http', url: 'http://coder.acme.io:443', port: 443, authority: 'coder.acme.io:443', tls: null, http: probe('/', { status: 400, contentType: 'text/html', body: 'html', bodyStart: '<html>..<head><title>400 The plain HTTP request was sent to HTTPS port' }), coder: NOT_INSTALLED, wildcard: null }), summary: 'HTTP: coder.acme.io:443 speaks TLS, but the access URL is http', remediation: 'set CODER_ACCESS_URL to https://coder.acme.io' },
    { name: 'another status for the agent download', facts: facts(head({ status: 500 })), summary: 'answers 500' },
    { name: 'no wildcard DNS record', facts: facts({ wildcard: { pattern: '*.apps.acme.io', problem: null, sample: 'preflight-1a2b3c4d.apps.acme.io', dns: dns('preflight-1a2b3c4d.apps.acme.io', { ok: false, addresses: [], error: { code: 'ENOTFOUND', message: 'x' } }), tls: null } }), summary: 'DNS: apps on the wildcard *.apps.acme.io will not resolve: preflight-1a2b3c4d.apps.acme.io has no record from this machine (laptop) (ENOTFOUND)', remediation: /wildcard record \*\.apps\.acme\.io/ },
    { name: 'the wildcard handshake fails', facts: facts({ wildcard: { pattern: '*.apps.acme.io', problem: null, sample: 's.apps.acme.io', dns: dns('s.apps.acme.io'), tls: { address: '203.0.113.10:443', servername: 's.apps.acme.io', ok: false, error: { code: 'EPROTO', message: 'tlsv1 alert unrecognized name' }, leaf: null, verify: null } } }), summary: 'the server has no certificate for this name (TLS alert unrecognized_name: SNI)' },
  ],
  warn: [
    {
      name: 'the probe pod never reported: inconclusive for pods, the walk from here stands',
      facts: facts({ pods: { placement: 'anywhere', walks: [{ namespace: 'coder-preflight-x', for: 'coder', fallback: 'namespace coder does not exist yet', problem: 'pod access-url-1 landed on node kwok-1, which fakes pods' }] } }),
      summary: /^From a pod in namespace coder-preflight-x \(for coder: namespace coder does not exist yet\), the access URL could not be walked: pod access-url-1 landed on node kwok-1/,
    },
    {
      name: 'a name only /etc/hosts knows',
      facts: facts({ dns: dns('coder.acme.io', { addresses: ['10.0.0.5'], hostsFile: { file: '/etc/hosts', entries: [{ line: 4, address: '10.0.0.5' }] }, dnsOnly: { addresses: [], error: { code: 'ENOTFOUND', message: 'queryA ENOTFOUND' } } }) }),
      summary: "The access URL's host coder.acme.io resolves here only through /etc/hosts (line 4: 10.0.0.5); DNS has no record for it (ENOTFOUND), so pods and other machines cannot resolve it",
    },
    { name: '/etc/hosts overrides DNS', facts: facts({ dns: dns('coder.acme.io', { addresses: ['10.0.0.5'], hostsFile: { file: '/etc/hosts', entries: [{ line: 4, address: '10.0.0.5' }] }, dnsOnly: { addresses: ['203.0.113.10'], error: null } }) }), summary: "this machine's /etc/hosts (line 4: 10.0.0.5) overrides DNS (203.0.113.10)" },
    { name: 'a loopback answer', facts: facts(LOCAL), summary: "The access URL's host coder.preflight.test resolves to 127.0.0.1 here, a loopback address", remediation: /allowLoopback/ },
    { name: 'before the install: the chart\'s LoadBalancer has no address yet', facts: facts({ ...stopped('dns'), dns: dns('coder.acme.io', { ok: false, addresses: [], error: { code: 'ENOTFOUND', message: 'x' } }) }, { frontDoor: LB_DOOR }), summary: 'expected before the install if the record will point at the LoadBalancer Service the chart creates (coder); run again after the install' },
    { name: 'before the install: refused at the chart\'s LoadBalancer address', facts: facts(refused, { frontDoor: LB_DOOR }), summary: 'refused the connection' },
    { name: 'http redirects to https', facts: facts({ scheme: 'http', url: 'http://coder.acme.io', port: 80, authority: 'coder.acme.io', tls: null, http: probe('/', { status: 308, location: 'https://coder.acme.io/' }), coder: NOT_INSTALLED, wildcard: null }), summary: 'http://coder.acme.io redirects to https (308 → https://coder.acme.io/)' },
    { name: 'an authenticating proxy in front before the install', facts: facts({ http: probe('/', { status: 302, location: 'https://sso.acme.io/oauth2/start' }), coder: { ...NOT_INSTALLED, healthz: probe('/healthz', { status: 302, location: 'https://sso.acme.io/oauth2/start?rd=/healthz' }) } }), summary: 'An authenticating proxy seems to stand in front of coder.acme.io: GET /healthz answers 302 → https://sso.acme.io/oauth2/start' },
    { name: 'a loopback wildcard answer', facts: facts({ wildcard: { pattern: '*.apps.acme.io', problem: null, sample: 's.apps.acme.io', dns: dns('s.apps.acme.io', { addresses: ['127.0.0.1'] }), tls: null } }), summary: "The wildcard's name s.apps.acme.io resolves to 127.0.0.1 here" },
  ],
  error: [
    { name: 'the resolver did not answer', facts: facts({ ...stopped('dns'), dns: dns('coder.acme.io', { ok: false, addresses: [], error: { code: 'EAI_AGAIN', message: 'getaddrinfo EAI_AGAIN coder.acme.io' } }) }), summary: 'DNS: the resolver gave no answer for coder.acme.io from this machine (laptop) (EAI_AGAIN: getaddrinfo EAI_AGAIN coder.acme.io)' },
    { name: 'TCP timed out: maybe this machine\'s network', facts: facts({ ...stopped('tcp'), tcp: { ok: false, ms: 5000, address: null, attempts: [{ address: '203.0.113.10', ok: false, ms: 5000, error: { code: 'ETIMEDOUT', message: 'no answer' } }] } }), summary: 'TCP: port 443 at 203.0.113.10: ETIMEDOUT did not answer (a firewall or security group drops it, or nothing routes there), from this machine (laptop)' },
    { name: 'the HTTP request timed out', facts: facts({ ...stopped('http'), http: probe('/', { ok: false, status: null, error: { code: 'ETIMEDOUT', message: 'no HTTP answer' } }) }), summary: 'got no HTTP answer' },
    { name: 'the agent HEAD got no answer', facts: facts(head({ ok: false, status: null, error: { code: 'ETIMEDOUT', message: 'late' } })), summary: 'HEAD https://coder.acme.io/bin/coder-linux-amd64 got no answer' },
  ],
  skip: [{ name: 'no access URL', facts: { 'access-url.reach': failed('not-configured', 'No access URL to reach: no access URL given'), 'access-url.settings': settings() }, summary: 'No access URL to reach' }],
});
