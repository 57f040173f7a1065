// Facts for the access-url checks' unit tests: what reach() records, step by step, for a good
// front door, changed per case. The shapes are those test/integration/access-reach.test.ts
// gets from real servers.
import type { CoderProbe, DnsResult, HttpProbe, TlsCertificate, TlsResult } from '../../../../src/access/types.ts';
import type { FrontDoor } from '../../../../src/access/front-door.ts';
import type { AccessUrlReachFact } from '../../../../src/facts/access-url/reach.ts';
import type { AccessUrlSettingsFact } from '../../../../src/facts/access-url/settings.ts';

export const AT = '2026-06-01T00:00:00.000Z';
const DAY = 86_400_000;
const iso = (days: number) => new Date(Date.parse(AT) + days * DAY).toISOString();

export function cert(o: Partial<TlsCertificate> & { days?: number } = {}): TlsCertificate {
  const { days = 300, ...rest } = o;
  return {
    subject: 'CN=coder.acme.io',
    issuer: 'CN=Acme Intermediate CA',
    subjectAltNames: ['DNS:coder.acme.io', 'DNS:*.apps.acme.io'],
    notBefore: iso(-60),
    notAfter: iso(days),
    serialNumber: '01',
    sha256: 'AA:BB',
    ...rest,
  };
}
export const INTERMEDIATE = cert({ subject: 'CN=Acme Intermediate CA', issuer: 'CN=Acme Root CA', subjectAltNames: [], days: 2000 });
export const ROOT = cert({ subject: 'CN=Acme Root CA', issuer: 'CN=Acme Root CA', subjectAltNames: [], days: 4000 });

export function dns(host: string, over: Partial<DnsResult> = {}): DnsResult {
  return { host, literal: false, ok: true, ms: 3, addresses: ['203.0.113.10'], error: null, hostsFile: { file: '/etc/hosts', entries: [] }, dnsOnly: null, ...over };
}

export function probe(path: string, over: Partial<HttpProbe> = {}): HttpProbe {
  return { method: 'GET', path, ok: true, ms: 5, status: 200, contentType: 'text/plain', location: null, server: null, contentLength: null, body: 'text', bodyStart: 'OK', error: null, ...over };
}

export function tls(over: Partial<TlsResult> = {}): TlsResult {
  return {
    ok: true,
    ms: 12,
    error: null,
    servername: 'coder.acme.io',
    protocol: 'TLSv1.3',
    cipher: 'TLS_AES_128_GCM_SHA256',
    alpn: 'http/1.1',
    sent: [cert(), INTERMEDIATE],
    // The chain as verified starts with what was sent.
    verify: { verified: true, error: null, chain: [...(over.sent ?? [cert(), INTERMEDIATE]), ROOT] },
    systemOnly: null,
    anchorsOnly: null,
    lastIssuerInStore: true,
    aiaIssuers: [],
    ...over,
  };
}

export function coder(over: Partial<CoderProbe> = {}): CoderProbe {
  return {
    healthz: probe('/healthz'),
    answers: true,
    version: 'v2.30.0',
    agentHead: probe('/bin/coder-linux-amd64', { method: 'HEAD', contentType: 'application/octet-stream', body: null, bodyStart: null, contentLength: 50_000_000 }),
    agentStart: probe('/bin/coder-linux-amd64', { status: 206, contentType: 'application/octet-stream', body: 'elf', bodyStart: null }),
    agentPath: 'bin/coder-linux-amd64',
    ...over,
  };
}

export const NOT_INSTALLED: CoderProbe = { healthz: probe('/healthz', { status: 404, bodyStart: 'default backend - 404' }), answers: false, version: null, agentHead: probe('/bin/coder-linux-amd64', { method: 'HEAD', status: 404, body: null }), agentStart: null, agentPath: 'bin/coder-linux-amd64' };

export function reachFact(over: Partial<AccessUrlReachFact> = {}): AccessUrlReachFact {
  return {
    url: 'https://coder.acme.io',
    scheme: 'https',
    host: 'coder.acme.io',
    port: 443,
    authority: 'coder.acme.io',
    roots: { source: 'system', count: 140, bundle: 0 },
    dns: dns('coder.acme.io'),
    tcp: { ok: true, ms: 2, address: '203.0.113.10', attempts: [{ address: '203.0.113.10', ok: true, ms: 2, error: null }] },
    tls: tls(),
    http: probe('/', { status: 307, location: '/login', body: 'empty', bodyStart: null }),
    coder: coder(),
    wildcard: {
      pattern: '*.apps.acme.io',
      problem: null,
      sample: 'preflight-1a2b3c4d.apps.acme.io',
      dns: dns('preflight-1a2b3c4d.apps.acme.io'),
      tls: { address: '203.0.113.10:443', servername: 'preflight-1a2b3c4d.apps.acme.io', ok: true, error: null, leaf: cert(), verify: { verified: true, error: null } },
    },
    failedAt: null,
    vantage: 'this machine (laptop)',
    collectedAt: AT,
    urlWhere: 'values coder.env CODER_ACCESS_URL',
    wildcardWhere: 'values coder.env CODER_WILDCARD_ACCESS_URL',
    wildcardNotWalked: null,
    caBundle: null,
    stepTimeoutMs: 5000,
    ...over,
  };
}

export const INGRESS_DOOR: FrontDoor = {
  source: 'the chart rendered from values.yaml',
  services: [{ name: 'coder', type: 'ClusterIP', ports: [{ name: 'http', port: 80, target: 'http', tls: false, nodePort: null }], annotations: [] }],
  ingresses: [{ name: 'coder', className: 'nginx', hosts: ['coder.acme.io', '*.apps.acme.io'], tls: [{ hosts: ['coder.acme.io'], secretName: 'coder-tls' }, { hosts: ['*.apps.acme.io'], secretName: 'coder-tls' }], annotations: [], authAnnotation: null, sslRedirect: null }],
  coderTls: { enabled: false, secrets: [] },
  caSecrets: [],
  envFrom: [],
};

export const LB_DOOR: FrontDoor = {
  ...INGRESS_DOOR,
  services: [{ name: 'coder', type: 'LoadBalancer', ports: [{ name: 'http', port: 80, target: 'http', tls: false, nodePort: null }, { name: 'https', port: 443, target: 'https', tls: true, nodePort: null }], annotations: [] }],
  ingresses: [],
  coderTls: { enabled: true, secrets: ['coder-tls'] },
};

export function settings(over: Partial<AccessUrlSettingsFact> = {}): AccessUrlSettingsFact {
  return {
    namespace: 'coder',
    accessUrl: { value: 'https://coder.acme.io', kind: 'values', where: 'values coder.env CODER_ACCESS_URL' },
    chartAccessUrl: null,
    wildcard: { value: '*.apps.acme.io', kind: 'values', where: 'values coder.env CODER_WILDCARD_ACCESS_URL' },
    chartWildcard: null,
    frontDoor: INGRESS_DOOR,
    frontDoorNote: null,
    caBundle: null,
    profile: 'v2',
    ...over,
  };
}
