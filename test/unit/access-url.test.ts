// The access URL read as Coder reads it (src/access/url.ts), hosts-file lines, and how the chart's
// objects (or the v1 values) route and terminate traffic (src/access/front-door.ts).
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { accessFromObjects, routeFor, ruleMatches } from '../../src/access/front-door.ts';
import { hostsFileEntries } from '../../src/access/hosts-file.ts';
import { chartDefaultAccessUrl, hostKind, ingressWildcardHost, maskUserinfo, parseAccessUrl, parseWildcard, sampleWildcardName, userinfoSecrets } from '../../src/access/url.ts';
import { renderChart } from '../../src/chart/render.ts';
import { readHelmValues } from '../../src/inputs/values.ts';

const render = (coder: Record<string, unknown>, namespace = 'coder') => renderChart({ coder }, { namespace, releaseName: 'coder', appVersion: '2.30.0', chartVersion: '2.30.0' });

describe('hostKind', () => {
  it.each([
    ['localhost', 'loopback'], ['app.localhost', 'loopback'], ['127.0.0.1', 'loopback'], ['127.8.9.10', 'loopback'], ['::1', 'loopback'], ['::ffff:127.0.0.1', 'loopback'],
    ['0.0.0.0', 'unspecified'], ['::', 'unspecified'],
    ['10.1.2.3', 'private-ip'], ['172.16.0.1', 'private-ip'], ['172.31.255.255', 'private-ip'], ['192.168.1.1', 'private-ip'], ['100.64.0.1', 'private-ip'], ['169.254.1.1', 'private-ip'], ['fd00::1', 'private-ip'], ['fe80::1', 'private-ip'],
    ['172.32.0.1', 'public-ip'], ['8.8.8.8', 'public-ip'], ['2606:4700::1', 'public-ip'],
    ['192.0.2.1', 'documentation-ip'], ['198.51.100.7', 'documentation-ip'], ['203.0.113.5', 'documentation-ip'], ['2001:db8::1', 'documentation-ip'],
    ['coder.coder.svc.cluster.local', 'cluster-internal'], ['coder.coder.svc', 'cluster-internal'], ['x.cluster.local', 'cluster-internal'],
    ['example.com', 'documentation-name'], ['coder.example.org', 'documentation-name'], ['coder.bundle.example', 'documentation-name'], ['x.invalid', 'documentation-name'],
    ['coder', 'private-name'], ['coder.corp', 'private-name'], ['coder.internal', 'private-name'], ['coder.preflight.test', 'private-name'], ['coder.home.arpa', 'private-name'],
    ['coder.acme.io', 'public-name'], ['Coder.Acme.IO.', 'public-name'], ['myexample.com', 'public-name'],
  ])('%s is %s', (host, kind) => expect(hostKind(host)).toBe(kind));
});

describe('parseAccessUrl', () => {
  it('reads scheme, host, port, path, query as Go keeps them', () => {
    const p = parseAccessUrl('HTTPS://Coder.Acme.io:8443/a/b?x=1#frag');
    expect(p).toMatchObject({ ok: true, url: { scheme: 'https', host: 'coder.acme.io', port: 8443, portGiven: true, path: '/a/b', query: 'x=1', fragment: 'frag', authority: 'coder.acme.io:8443', hostKind: 'public-name' } });
  });
  it('a default port written out still counts as given, and is left out of the Host header', () => {
    expect(parseAccessUrl('https://coder.acme.io:443/')).toMatchObject({ ok: true, url: { port: 443, portGiven: true, path: '', authority: 'coder.acme.io' } });
    expect(parseAccessUrl('http://coder.acme.io')).toMatchObject({ ok: true, url: { port: 80, portGiven: false } });
  });
  it('IPv6 hosts', () => expect(parseAccessUrl('https://[::1]:3000')).toMatchObject({ ok: true, url: { host: '::1', authority: '[::1]:3000', hostKind: 'loopback' } }));
  it.each([
    ['coder.acme.io', /no scheme: Go reads "host…" as a path/],
    ['coder.acme.io:443', /no scheme/],
    ['ftp://coder.acme.io', /its scheme is ftp/],
    ['https://coder.acme.io\r\n', /a carriage return at position 22/],
    [' https://coder.acme.io', /a space at position 1/],
    ['https://coder.acme.io:99999', /not a valid URL/],
    ['', /empty/],
  ])('%j cannot be used', (raw, problem) => {
    const p = parseAccessUrl(raw);
    expect(p.ok).toBe(false);
    if (!p.ok) expect(p.problem).toMatch(problem);
  });
  it('masks credentials in messages, and hands every form of them to the redactor', () => {
    expect(maskUserinfo('https://admin:s%3Acret@coder.acme.io/x')).toBe('https://***@coder.acme.io/x');
    expect(parseAccessUrl('https://admin:pw@coder.acme.io').ok && (parseAccessUrl('https://admin:pw@coder.acme.io') as { url: { display: string } }).url.display).toBe('https://***@coder.acme.io');
    expect(userinfoSecrets('https://admin:s%3Acret@coder.acme.io')).toEqual(expect.arrayContaining(['admin:s%3Acret', 's%3Acret', 's:cret']));
    expect(userinfoSecrets('https://coder.acme.io')).toEqual([]);
    expect(userinfoSecrets('https://admin@coder.acme.io'), 'a user name alone is no secret').toEqual([]);
  });
  it('the chart\'s default access URL', () => {
    expect(chartDefaultAccessUrl('team-a', false)).toBe('http://coder.team-a.svc.cluster.local');
    expect(chartDefaultAccessUrl('team-a', true)).toBe('https://coder.team-a.svc.cluster.local');
  });
});

describe('parseWildcard (appurl.CompileHostnamePattern; the integration test asks Coder\'s own)', () => {
  it.each([
    ['*.apps.acme.io', { labelSuffix: '', domain: 'apps.acme.io' }],
    ['*--apps.acme.io', { labelSuffix: '--apps', domain: 'acme.io' }],
    ['*.Apps.Acme.IO', { domain: 'apps.acme.io' }],
    ['*.apps.acme.io:8443', { domain: 'apps.acme.io', port: 8443 }],
    ['*.io', { domain: 'io' }],
    ['*.apps.acme.io:x', { domain: 'apps.acme.io', badPort: 'x' }],
    ['*:80.io', { domain: '', badPort: '80.io' }],
  ])('accepts %s', (pattern, shape) => expect(parseWildcard(pattern)).toMatchObject({ ok: true, wildcard: shape }));
  it.each([
    ['apps.acme.io', 'exactly one asterisk'],
    ['*.*.acme.io', 'exactly one asterisk'],
    ['a.*.acme.io', 'only contain an asterisk at the beginning'],
    ['x*.acme.io', 'only contain an asterisk at the beginning'],
    ['*', 'at least two labels'],
    ['*.', 'must not start or end with a period'],
    ['https://*.acme.io', 'must not contain a scheme'],
    ['*.acme_io.com', 'invalid label "acme_io"'],
    ['*-.acme.io', 'invalid label "a-"'],
    ['*.acme.io ', 'contains a space at position 10'],
  ])('refuses %j: %s', (pattern, why) => {
    const p = parseWildcard(pattern);
    expect(p.ok).toBe(false);
    if (!p.ok) expect(p.problem).toContain(why);
  });
  it('a sample name the pattern matches, and the Ingress host the chart derives', () => {
    const w = parseWildcard('*--apps.acme.io');
    if (!w.ok) throw new Error('refused');
    expect(sampleWildcardName(w.wildcard, 'preflight-ab')).toBe('preflight-ab--apps.acme.io');
    expect(ingressWildcardHost('*--apps.acme.io')).toBe('*.acme.io');
    expect(ingressWildcardHost('*.apps.acme.io')).toBe('*.apps.acme.io');
  });
});

describe('hostsFileEntries', () => {
  it('finds a name among aliases, ignoring comments and case', () => {
    const text = '127.0.0.1 localhost\n# 10.0.0.9 coder.acme.io\n10.0.0.5\tgit.acme.io  Coder.Acme.io # office\n::1 ip6-localhost\n10.0.0.6 coder.acme.io.\n';
    expect(hostsFileEntries(text, 'coder.acme.io')).toEqual([{ line: 3, address: '10.0.0.5' }, { line: 5, address: '10.0.0.6' }]);
    expect(hostsFileEntries(text, 'acme.io')).toEqual([]);
  });
});

describe('ruleMatches (Ingress host rules)', () => {
  it.each([
    ['coder.acme.io', 'coder.acme.io', true], ['', 'anything.io', true], ['*.apps.acme.io', 'x.apps.acme.io', true],
    ['*.apps.acme.io', 'a.b.apps.acme.io', false], ['*.apps.acme.io', 'apps.acme.io', false], ['coder.acme.io', 'dev.acme.io', false],
  ])('%j matches %s: %s', (rule, host, want) => expect(ruleMatches(rule, host)).toBe(want));
});

describe('accessFromObjects (the chart as rendered)', () => {
  it('the chart\'s default access URL when coder.env has none, with TLS and CA mounts seen', () => {
    const a = accessFromObjects(render({ tls: { secretNames: ['coder-tls'] }, certs: { secrets: [{ name: 'corp-ca', key: 'ca.crt' }] } }, 'team-a'), 'team-a', 'the chart');
    expect(a.accessUrl).toEqual({ value: 'https://coder.team-a.svc.cluster.local', kind: 'chart-default', where: expect.stringContaining('coder.envUseClusterAccessURL') });
    expect(a.frontDoor).toMatchObject({ coderTls: { enabled: true, secrets: ['coder-tls'] }, caSecrets: ['corp-ca'], services: [{ name: 'coder', type: 'LoadBalancer', ports: [{ port: 80, target: 'http', tls: false }, { port: 443, target: 'https', tls: true }] }] });
  });
  it('a literal, a Secret reference, and nothing (envUseClusterAccessURL false, envFrom)', () => {
    expect(accessFromObjects(render({ env: [{ name: 'CODER_ACCESS_URL', value: 'https://coder.acme.io' }, { name: 'CODER_WILDCARD_ACCESS_URL', value: '*.apps.acme.io' }] }), 'coder', 'c')).toMatchObject({ accessUrl: { value: 'https://coder.acme.io', kind: 'values' }, wildcard: { value: '*.apps.acme.io', kind: 'values' } });
    expect(accessFromObjects(render({ env: [{ name: 'CODER_ACCESS_URL', valueFrom: { configMapKeyRef: { name: 'urls', key: 'access' } } }] }), 'coder', 'c').accessUrl).toEqual({ value: null, kind: 'reference', where: 'values coder.env CODER_ACCESS_URL (ConfigMap coder/urls key "access")' });
    const none = accessFromObjects(render({ envUseClusterAccessURL: false, envFrom: [{ secretRef: { name: 'coder-env' } }, { configMapRef: { name: 'more' }, prefix: 'X_' }] }), 'coder', 'c');
    expect(none.accessUrl).toMatchObject({ value: null, kind: 'none' });
    expect(none.frontDoor.envFrom).toEqual(['Secret coder-env', 'ConfigMap more (prefix X_)']);
  });
  it('the Ingress: hosts, TLS entries, auth and redirect annotations', () => {
    const a = accessFromObjects(render({ ingress: { enable: true, className: 'nginx', host: 'coder.acme.io', wildcardHost: '*--apps.acme.io', annotations: { 'nginx.ingress.kubernetes.io/auth-url': 'https://auth/x', 'nginx.ingress.kubernetes.io/ssl-redirect': 'false' }, tls: { enable: true, secretName: 'a', wildcardSecretName: 'b' } } }), 'coder', 'c');
    expect(a.frontDoor.ingresses).toEqual([{ name: 'coder', className: 'nginx', hosts: ['coder.acme.io', '*.acme.io'], tls: [{ hosts: ['coder.acme.io'], secretName: 'a' }, { hosts: ['*.acme.io'], secretName: 'b' }], annotations: ['nginx.ingress.kubernetes.io/auth-url', 'nginx.ingress.kubernetes.io/ssl-redirect'], authAnnotation: 'nginx.ingress.kubernetes.io/auth-url', sslRedirect: false }]);
    expect(routeFor(a.frontDoor, 'x--apps.acme.io')).toMatchObject({ kind: 'ingress' });
    expect(routeFor(a.frontDoor, 'other.io')).toMatchObject({ kind: 'service', service: { name: 'coder' } });
  });
  it('no Service when coder.service.enable is false', () => expect(routeFor(accessFromObjects(render({ service: { enable: false } }), 'coder', 'c').frontDoor, 'x')).toEqual({ kind: 'none' }));
});

describe('the v1 values\' access keys', () => {
  it('the vendored v1 values: no ingress, no TLS, no devurls, a LoadBalancer', () => {
    const v = readHelmValues(fileURLToPath(new URL('../fixtures/helm/coder-v1-values.yaml', import.meta.url)));
    expect(v.shape).toBe('v1');
    expect(v.v1Access).toEqual({
      ingress: { enable: false, host: '', className: '', tls: false, annotations: { 'nginx.ingress.kubernetes.io/proxy-body-size': '0' } },
      devurlsHost: '',
      hostSecretName: '',
      devurlsHostSecretName: '',
      satellite: { enable: false, accessURL: '' },
      serviceType: 'LoadBalancer',
      nodePorts: { http: null, https: null },
      serviceAnnotations: [],
      caSecret: '',
    });
  });
});
