// The redactor: every form a registered secret takes in text, counts per secret and per output for
// the manifest (which never holds a value), and --redact-hosts placeholders that are the same in
// every output.
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MASK, Redactor } from '../../src/redact.ts';

describe('Redactor', () => {
  it('masks a secret in every form it takes in text, and counts each mask under its label and output', () => {
    const r = new Redactor();
    const secret = `pl@nt "s3cr3t"/&<x>`;
    r.add(secret, 'password from --postgres-url');
    const forms = [secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('base64url'), JSON.stringify(secret).slice(1, -1), 'pl@nt &quot;s3cr3t&quot;/&amp;&lt;x&gt;'];
    for (const f of forms) expect(r.redact(`a ${f} b`, 'stdout'), f).toBe(`a ${MASK} b`);
    expect(r.redact(JSON.stringify({ v: secret }), 'file r.json')).toBe(`{"v":"${MASK}"}`);
    const m = r.manifest();
    expect(m.secrets).toEqual([{ what: 'password from --postgres-url', forms: expect.arrayContaining(['as read', 'URL-encoded', 'base64', 'JSON-escaped', 'HTML-escaped']), masked: { stdout: forms.length, 'file r.json': 1 }, total: forms.length + 1 }]);
    expect(m.outputs).toEqual({ stdout: forms.length, 'file r.json': 1 });
    expect(JSON.stringify(m)).not.toContain('s3cr3t');
  });

  it('masks a private key whole, by its base64, and line by line', () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const r = new Redactor();
    r.add(pem, 'client key of kubeconfig user admin');
    const body = pem.split('\n').filter((l) => l && !l.startsWith('-----'));
    expect(r.redact(pem)).not.toMatch(new RegExp(body[0]!.replace(/[+/]/g, '.')));
    expect(r.redact(`line: ${body[1]}`)).toBe(`line: ${MASK}`);
    expect(r.redact(Buffer.from(pem).toString('base64'))).toBe(MASK);
    expect(r.redact(body.join(''))).toBe(MASK);
  });

  it('catches an unregistered password in a URL or a key/value string, not the words that follow password= in evidence', () => {
    const r = new Redactor();
    expect(r.redact('postgres://u:hunter22@h/db', 'stderr')).toBe(`postgres://u:${MASK}@h/db`);
    expect(r.redact('host=h password=hunter22 user=u', 'stderr')).toBe(`host=h password=${MASK} user=u`);
    expect(r.redact('password=given user=coder')).toBe('password=given user=coder');
    expect(r.redact(`postgres://u:${MASK}@h/db`)).toBe(`postgres://u:${MASK}@h/db`);
    expect(r.manifest().patterns.map((p) => p.total)).toEqual([1, 1]);
  });

  it('ignores secrets too short to mask, and the first label of a value keeps it', () => {
    const r = new Redactor();
    r.add('ab', 'x');
    r.add('token-123', 'token of kubeconfig user a');
    r.add('token-123', 'bearer token of kubeconfig user a');
    expect(r.redact('ab token-123')).toBe(`ab ${MASK}`);
    expect(r.manifest().secrets.map((s) => s.what)).toEqual(['token of kubeconfig user a']);
  });
});

describe('Redactor with --redact-hosts', () => {
  it('replaces addresses and known host names with placeholders, the same in every output, and lists them without names', () => {
    const r = new Redactor({ hosts: true });
    r.keepHosts(['coder.com']);
    r.discoverHosts('{"server":"https://api.corp.example:6443","url":"postgres://coder:x@db-1.corp.example:5432/coder","docs":"https://coder.com/docs/x"}');
    r.addHost('laptop', 'the name of the machine coder-preflight ran on');
    const a = r.redact('API https://api.corp.example:6443 at 10.1.2.3; db db-1.corp.example (10.1.2.4) from this machine (laptop); see https://coder.com/docs/x', 'stdout');
    const b = r.redact('10.1.2.4 DB-1.CORP.EXAMPLE laptop 10.1.2.3 [fd00::1]:5432', 'bundle report.json');
    expect(a).toBe('API https://host-1:6443 at ip-1; db host-2 (ip-2) from this machine (host-3); see https://coder.com/docs/x');
    expect(b).toBe('ip-2 host-2 host-3 ip-1 [ip-3]:5432');
    const m = r.manifest();
    expect(m.hosts.redacted).toBe(true);
    expect(m.hosts.placeholders).toEqual(expect.arrayContaining([{ placeholder: 'ip-2', kind: 'an IPv4 address', replaced: { stdout: 1, 'bundle report.json': 1 }, total: 2 }]));
    expect(JSON.stringify(m)).not.toMatch(/corp\.example|10\.1\.2|laptop|fd00/);
  });

  it('keeps loopback addresses and localhost: they name no machine, and the checks judge them', () => {
    const r = new Redactor({ hosts: true });
    r.discoverHosts('postgres://u@localhost:5432/db https://127.0.0.1:6443 http://[::1]:80');
    expect(r.redact('localhost 127.0.0.1 127.1.2.3 [::1]:5432 0.0.0.0:8080 [::]:80 10.0.0.1')).toBe('localhost 127.0.0.1 127.1.2.3 [::1]:5432 0.0.0.0:8080 [::]:80 ip-1');
    expect(r.manifest().hosts.placeholders).toHaveLength(1);
  });

  it('leaves versions, times, durations and words alone', () => {
    const r = new Redactor({ hosts: true });
    r.addHost('db', 'a host name');
    const text = 'Kubernetes v1.35.4, PostgreSQL 17.10, at 2026-12-02T06:46:57.542Z, 12:34:56, 0.07 ms, dbs and db-proxy, a::before, 1.2.3';
    expect(r.redact(text)).toBe(text);
    expect(r.redact('the db at db.')).toBe('the host-1 at host-1.');
  });

  it('without --redact-hosts keeps every host', () => {
    const r = new Redactor();
    r.addHost('db.corp.example');
    r.discoverHosts('https://api.corp.example');
    expect(r.redact('db.corp.example 10.0.0.1 https://api.corp.example')).toBe('db.corp.example 10.0.0.1 https://api.corp.example');
    expect(r.manifest().hosts).toMatchObject({ redacted: false });
  });
});
