import check from '../../../../checks/cluster/egress.ts';
import type { EgressResult } from '../../../../src/access/egress.ts';
import type { EgressProbeResult } from '../../../../src/facts/probe/egress.ts';
import { registryOf } from '../../../../src/facts/probe/egress.ts';
import type { ProbeFact, ProbeRan } from '../../../../src/probes/define.ts';
import { describe, expect, it } from 'vitest';
import { failed, testCheck } from '../../../helpers/check-tester.ts';

const ran: ProbeRan = { state: 'ran', probe: 'egress', runId: 'abc12345', namespace: 'coder-preflight-abc12345', image: 'node:24', durationMs: 4000 };
const ok = (url: string, over: Partial<EgressResult> = {}): EgressResult => {
  const u = new URL(url);
  return { url, host: u.hostname, port: 443, proxy: null, ok: true, failedAt: null, error: null, ms: { dns: 2, tcp: 10, tls: 20, http: 30 }, addresses: ['198.51.100.7'], tlsVerified: true, tlsError: null, status: 401, server: null, ...over };
};
const dropped = (url: string): EgressResult => ({ ...ok(url), ok: false, failedAt: 'tcp', error: { code: 'ETIMEDOUT', message: 'TCP x:443: no answer within 5000 ms' }, status: undefined, tlsVerified: undefined });
const base: EgressProbeResult = { placement: 'any node', namespace: 'coder', for: 'coder', node: 'cp-1', endpointsFrom: 'the defaults (the registry of ghcr.io/coder/coder:v2.30.0, the chart\'s image)' };
const fact = (over: Partial<EgressProbeResult>): { 'probe.egress': ProbeFact<EgressProbeResult> } => ({ 'probe.egress': { ...ran, ...base, ...over } });
const GHCR = 'https://ghcr.io/v2/';
const TF = 'https://registry.terraform.io/.well-known/terraform.json';

testCheck(check, {
  pass: [
    {
      name: 'every endpoint answers from Coder\'s namespace',
      facts: fact({ results: [ok(GHCR), ok(TF, { status: 200 })] }),
      summary: 'From a pod in namespace coder on node cp-1, all 2 endpoints answer: ghcr.io 401, registry.terraform.io 200',
      evidence: { endpoints: ['https://ghcr.io/v2/: HTTP 401 in 62 ms', 'https://registry.terraform.io/.well-known/terraform.json: HTTP 200 in 62 ms'] },
    },
    {
      name: 'before the install: from the scratch namespace, said so (a namespace that does not exist has no policies yet)',
      facts: fact({ namespace: 'coder-preflight-abc12345', fallback: 'namespace coder does not exist yet, so its NetworkPolicies are not there to apply', results: [ok(GHCR)] }),
      summary: /all 1 endpoints answer: ghcr\.io 401; from the scratch namespace, not coder \(namespace coder does not exist yet/,
    },
  ],
  fail: [
    {
      name: 'an egress policy drops the way out',
      facts: fact({ results: [dropped(GHCR), dropped(TF)] }),
      summary: 'From a pod in namespace coder on node cp-1, 2 of 2 endpoints an install needs cannot be reached: ghcr.io:443 cannot be connected to — the connection was dropped (an egress NetworkPolicy, a firewall, or no route/NAT out) (and registry.terraform.io)',
      remediation: /allow egress from Coder's namespace to ghcr\.io:443, registry\.terraform\.io:443/,
    },
    {
      name: 'the proxy refuses the tunnel',
      facts: fact({ proxy: { https: 'http://proxy:3128', from: 'the values' }, results: [{ ...ok(GHCR), ok: false, proxy: 'proxy:3128', failedAt: 'proxy', error: { code: 'PROXY_REFUSED', message: 'x' }, proxyAnswer: 'HTTP/1.1 403 Forbidden' }] }),
      summary: /ghcr\.io:443 is refused by the proxy through the proxy proxy:3128 — the proxy would not open the tunnel/,
      evidence: { proxy: 'HTTPS_PROXY=http://proxy:3128 (the values)', endpoints: ['https://ghcr.io/v2/ via proxy proxy:3128: is refused by the proxy (PROXY_REFUSED: HTTP/1.1 403 Forbidden)'] },
    },
    { name: 'no DNS from the pod', facts: fact({ results: [{ ...ok(GHCR), ok: false, failedAt: 'dns', error: { code: 'EAI_AGAIN', message: 'x' } }] }), summary: /ghcr\.io:443 does not resolve — the cluster's DNS did not answer/ },
  ],
  warn: [
    { name: 'a TLS-inspecting proxy', facts: fact({ results: [ok(GHCR, { tlsVerified: false, tlsError: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', issuer: 'CN=Corp Inspection CA' })] }), summary: /presents a certificate the pod does not trust \(UNABLE_TO_GET_ISSUER_CERT_LOCALLY; issuer CN=Corp Inspection CA\): a TLS-inspecting proxy\?/, remediation: /coder\.certs/ },
    { name: 'may not create pods in Coder\'s namespace: its policies were not applied', facts: fact({ namespace: 'coder-preflight-abc12345', fallback: 'this user may not create pods in coder', results: [ok(GHCR)] }), summary: /from the scratch namespace, not coder/, remediation: /may create pods in coder/ },
    { name: 'the pod never reported', facts: fact({ problem: 'pod egress-1 landed on node kwok-1, which fakes pods' }), summary: 'Inconclusive: pod egress-1 landed on node kwok-1, which fakes pods' },
  ],
  skip: [{ name: 'not asked for', facts: { 'probe.egress': { state: 'not-selected', probe: 'egress', proves: 'x' } }, summary: /--probe egress/ }],
  error: [{ name: 'the cluster could not be reached', facts: { 'probe.egress': failed('unreachable', 'the API server did not answer') }, summary: /did not answer/ }],
});

describe('the registry of an image', () => {
  it('names the registry API root, Docker Hub\'s included', () => {
    expect(registryOf('ghcr.io/coder/coder:v2.30.0')).toBe('https://ghcr.io/v2/');
    expect(registryOf('registry.corp:5000/mirror/coder:v2')).toBe('https://registry.corp:5000/v2/');
    expect(registryOf('coder/coder:latest')).toBe('https://registry-1.docker.io/v2/');
    expect(registryOf('nginx')).toBe('https://registry-1.docker.io/v2/');
  });
});
