// Go's host-name rules (crypto/x509 VerifyHostname, as Coder's lib/pq uses them) and what coder/pq
// verifies per sslmode; the certificate description against a real certificate made by openssl.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { coderVerification, describeCertificate, goHostnameMatches } from '../../src/postgres/certificates.ts';

const sans = (...n: string[]) => ({ subjectAltNames: n });

describe('goHostnameMatches (Go crypto/x509 rules)', () => {
  it.each([
    ['db.internal', ['DNS:db.internal'], true],
    ['DB.Internal.', ['DNS:db.internal'], true],
    ['a.db.internal', ['DNS:*.db.internal'], true],
    ['db.internal', ['DNS:*.db.internal'], false],
    ['a.b.db.internal', ['DNS:*.db.internal'], false],
    ['ab.internal', ['DNS:a*.internal'], false],
    ['db.internal', [], false],
    ['127.0.0.1', ['DNS:127.0.0.1'], false],
    ['127.0.0.1', ['IP Address:127.0.0.1'], true],
    ['::1', ['IP Address:0:0:0:0:0:0:0:1'], true],
    ['[::1]', ['IP Address:::1'], true],
    ['10.0.0.1', ['IP Address:10.0.0.2', 'DNS:10.0.0.1'], false],
  ])('%s against %j → %s', (host, names, want) => {
    expect(goHostnameMatches(host, sans(...names))).toBe(want);
  });
});

describe('coderVerification (coder/pq ssl.go)', () => {
  it('require verifies nothing; verify-full chain and host', () => {
    expect(coderVerification('disable', 'db', undefined).verifies).toBe('none');
    expect(coderVerification('require', 'db', undefined).verifies).toBe('none');
    expect(coderVerification('verify-full', '10.0.0.1', undefined).verifies).toBe('chain+host');
  });
  it('verify-ca checks the host for a DNS name with SNI on, the chain only for an IP or with sslsni=0', () => {
    expect(coderVerification('verify-ca', 'db.internal', undefined).verifies).toBe('chain+host');
    expect(coderVerification('verify-ca', 'db.internal', '1').verifies).toBe('chain+host');
    expect(coderVerification('verify-ca', 'db.internal', '0').verifies).toBe('chain');
    expect(coderVerification('verify-ca', '10.0.0.1', undefined).verifies).toBe('chain');
    expect(coderVerification('verify-ca', '::1', undefined).verifies).toBe('chain');
  });
});

describe('describeCertificate', () => {
  it('reads subject, issuer, names and dates from a real certificate', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cp-cert-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'k'), '-out', join(dir, 'c'), '-days', '30',
      '-subj', '/O=Acme, Inc./CN=db.internal', '-addext', 'subjectAltName=DNS:db.internal,IP:10.0.0.1,DNS:*.db.internal'], { stdio: 'pipe' });
    const c = describeCertificate(readFileSync(join(dir, 'c')));
    expect(c).toMatchObject({ subject: 'O=Acme\\, Inc., CN=db.internal', issuer: 'O=Acme\\, Inc., CN=db.internal', subjectAltNames: ['DNS:db.internal', 'IP Address:10.0.0.1', 'DNS:*.db.internal'] });
    const days = (Date.parse(c.notAfter) - Date.parse(c.notBefore)) / 86_400_000;
    expect(days).toBe(30);
    expect(c.sha256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });
});
