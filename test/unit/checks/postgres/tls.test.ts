import { describe, expect, it } from 'vitest';
import connect from '../../../../checks/postgres/connect.ts';
import check from '../../../../checks/postgres/tls.ts';
import { resolveOptions } from '../../../../src/engine/options.ts';
import { runChecks } from '../../../../src/engine/run.ts';
import type { PostgresServerFact } from '../../../../src/facts/postgres/server.ts';
import type { PostgresTlsFact, TlsCertificate } from '../../../../src/facts/postgres/tls.ts';
import { SnapshotFactSource } from '../../../../src/facts/snapshot.ts';
import { Redactor } from '../../../../src/redact.ts';
import { failed, ONE_REPLICA, testCheck, VANTAGE } from '../../../helpers/check-tester.ts';

const AT = '2026-06-01T00:00:00.000Z';
const DAY = 86_400_000;
const inDays = (d: number) => new Date(Date.parse(AT) + d * DAY).toISOString();

const cert = (over: Partial<TlsCertificate> = {}): TlsCertificate => ({
  subject: 'CN=db.internal',
  issuer: 'CN=Corp CA',
  subjectAltNames: ['DNS:db.internal'],
  notBefore: inDays(-100),
  notAfter: inDays(200),
  serialNumber: '01',
  sha256: 'AA:BB',
  ...over,
});
const CA = cert({ subject: 'CN=Corp CA', issuer: 'CN=Corp CA', subjectAltNames: [], notAfter: inDays(3000) });

/** A verify-full session to db.internal that saw a good certificate. */
const tls = (over: Partial<PostgresTlsFact> = {}): PostgresTlsFact => ({
  host: 'db.internal',
  port: 5432,
  sslmodeRaw: 'verify-full',
  sslmode: 'verify-full',
  verifies: 'chain+host',
  verifiesWhy: 'sslmode=verify-full',
  rootCert: '/ca.pem',
  clientCert: null,
  collectedAt: AT,
  connectFailure: null,
  observedBy: 'session',
  encrypted: true,
  serverOffersTls: null,
  protocol: 'TLSv1.3',
  cipher: 'TLS_AES_256_GCM_SHA384',
  chain: [cert(), CA],
  chainVerified: true,
  chainError: null,
  hostMatches: true,
  serverView: { ssl: true, version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', bits: 256, clientDn: null },
  serverViewError: null,
  authMethod: null,
  probeError: null,
  ...over,
});
const server: PostgresServerFact = { host: 'db.internal', port: 5432, database: 'coder', user: 'coder', source: '--postgres-url', sslmode: 'verify-full', tls: true, versionNum: 170002, version: '17.2', major: 17, versionString: 'PostgreSQL 17.2', connectMs: 1 };
const facts = (over: Partial<PostgresTlsFact> = {}) => ({ 'postgres.tls': tls(over), 'postgres.server': server });

/** Under sslmode=require without a CA (the default): a session that verifies nothing. */
const requireMode = (over: Partial<PostgresTlsFact> = {}) => facts({ sslmodeRaw: null, sslmode: 'require', verifies: 'none', rootCert: null, chain: [cert()], ...over });
/** Plain sslmode=disable. */
const plain = (over: Partial<PostgresTlsFact> = {}) =>
  facts({ sslmodeRaw: 'disable', sslmode: 'disable', verifies: 'none', rootCert: null, observedBy: 'none', encrypted: false, protocol: null, cipher: null, chain: [], chainVerified: null, hostMatches: null, serverView: { ssl: false, version: null, cipher: null, bits: null, clientDn: null }, serverOffersTls: true, authMethod: 'scram-sha-256', ...over });
/** Coder's connection failed on TLS; a probe saw `over`. */
const refused = (message: string, over: Partial<PostgresTlsFact> = {}, code: string | null = null) => ({
  'postgres.tls': tls({ connectFailure: { reason: 'tls', message, code }, observedBy: 'probe', serverView: null, ...over }),
  'postgres.server': failed('tls', message, { hint: 'give the server\'s CA', detail: { code } }),
});

testCheck(check, {
  pass: [
    {
      name: 'verify-full with the CA: version, cipher, subject, names and days in the evidence',
      facts: facts(),
      summary: 'TLS 1.3 (TLS_AES_256_GCM_SHA384) to db.internal:5432; certificate CN=db.internal from CN=Corp CA, valid 200 more days; Coder verifies the chain and the host name (sslmode=verify-full)',
      evidence: { protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', subject: 'CN=db.internal', issuer: 'CN=Corp CA', subjectAltNames: ['DNS:db.internal'], daysLeft: 200, coderVerifies: 'chain+host', serverSeesSsl: true, chain: ['CN=db.internal', 'CN=Corp CA'] },
      threshold: { value: 'warnDays=30' },
    },
    {
      name: 'require with a certificate that would verify: says Coder does not check it',
      facts: requireMode(),
      summary: 'Coder does not verify it (sslmode=require, the default); it would pass verify-full against this machine\'s CAs',
      evidence: { sslmodeAsWritten: '(none: lib/pq default require)', coderVerifies: 'none' },
    },
    {
      name: 'verify-ca to an IP host whose name is not in the certificate: only the chain counts',
      facts: facts({ host: '10.0.0.5', sslmodeRaw: 'verify-ca', sslmode: 'verify-ca', verifies: 'chain', hostMatches: false }),
      summary: 'Coder verifies the chain (sslmode=verify-ca; the name is not checked, and 10.0.0.5 is not one of its names)',
    },
    {
      name: 'an mTLS client certificate the server accepted',
      facts: facts({ clientCert: '/coder.crt', serverView: { ssl: true, version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', bits: 256, clientDn: '/CN=coder' } }),
      summary: 'client certificate accepted (/CN=coder)',
      evidence: { clientCert: '/coder.crt', clientDn: '/CN=coder' },
    },
    { name: 'a client certificate the server never asked for', facts: facts({ clientCert: '/coder.crt' }), summary: 'the server did not ask for the client certificate' },
    { name: 'a client certificate, and the server view unreadable', facts: facts({ clientCert: '/coder.crt', serverView: null, serverViewError: 'permission denied' }), summary: 'whether the server used the client certificate could not be seen', evidence: { serverViewError: 'permission denied' } },
    { name: 'a config file lowers warnDays below the days left', facts: facts({ chain: [cert({ notAfter: inDays(10) })] }), options: { warnDays: 7 }, summary: 'valid 10 more days', threshold: { value: 'warnDays=7', source: /test.config.yaml/ } },
  ],
  warn: [
    {
      name: 'sslmode=disable to a remote host with SCRAM: exact about the password',
      facts: plain(),
      summary: 'The connection to db.internal:5432 is not encrypted (sslmode=disable): every query and result crosses the network readable, and the server uses SCRAM-SHA-256, which sends neither the password nor a reusable hash of it',
      remediation: /the server already offers TLS: give Coder the CA .* sslmode=verify-full/,
      evidence: { encrypted: false, authMethod: 'scram-sha-256', serverOffersTls: true },
    },
    { name: 'sslmode=disable with md5', facts: plain({ authMethod: 'md5' }), summary: 'the password is not sent, but a salted MD5 hash of it is, which an eavesdropper can attack offline' },
    { name: 'sslmode=disable with a cleartext password', facts: plain({ authMethod: 'password' }), summary: 'the server asks for the password in clear text' },
    { name: 'sslmode=disable with trust', facts: plain({ authMethod: 'trust' }), summary: 'the server asks for no password' },
    { name: 'sslmode=disable, the authentication could not be seen', facts: plain({ authMethod: null, probeError: 'authentication probe: timeout' }), summary: 'how the password travels could not be seen', evidence: { probeError: 'authentication probe: timeout' } },
    {
      name: 'sslmode=disable on loopback: stays on the host, a local proxy may encrypt',
      facts: plain({ host: '127.0.0.1' }),
      summary: 'it goes over loopback, so it does not leave the host it is made from',
      remediation: /Cloud SQL Auth Proxy.*--skip postgres\.tls/,
      check: (r) => expect(r.summary).not.toMatch(/crosses the network/),
    },
    { name: 'sslmode=disable and the server offers no TLS', facts: plain({ serverOffersTls: false }), summary: 'not encrypted', remediation: /^enable TLS on the server \(ssl=on/ },
    {
      name: 'require accepts a certificate from an unknown CA: nothing verifies the server',
      facts: requireMode({ chainVerified: false, chainError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }),
      summary: 'Coder would accept the server\'s certificate, but nothing verifies the server (sslmode=require, the default): it would fail verification — it is not signed by a trusted CA (UNABLE_TO_VERIFY_LEAF_SIGNATURE)',
      remediation: /sslmode=verify-full&sslrootcert=.*impersonate/,
    },
    {
      name: 'require accepts a certificate for another host',
      facts: requireMode({ hostMatches: false, chain: [cert({ subject: 'CN=other.example', subjectAltNames: ['DNS:other.example'] })] }),
      summary: 'db.internal is not one of its names (DNS:other.example)',
      remediation: /reissue the server's certificate with subjectAltName=DNS:db.internal/,
    },
    {
      name: 'require accepts an expired certificate: a warn for Coder\'s start, but the expiry is told',
      facts: requireMode({ chain: [cert({ notAfter: inDays(-2) })], chainVerified: false, chainError: 'CERT_HAS_EXPIRED' }),
      summary: 'The server\'s certificate expired on 2026-05-30 (2 days ago); Coder connects anyway only because sslmode=require (the default) verifies nothing',
      remediation: /renew the server's certificate .* now/,
      evidence: { daysLeft: -2 },
      check: (r) => expect(r.evidence['findings']).toHaveLength(1),
    },
    {
      name: 'expires in under 30 days under verify-full: Coder will stop connecting',
      facts: facts({ chain: [cert({ notAfter: inDays(10) }), CA] }),
      summary: 'The server\'s certificate expires in 10 days (2026-06-11, under 30): from then on Coder\'s sslmode=verify-full verification refuses it and Coder cannot connect',
      remediation: 'before 2026-06-11',
      evidence: { daysLeft: 10 },
    },
    {
      name: 'expires in under 30 days under require: no claim that Coder stops',
      facts: requireMode({ chain: [cert({ notAfter: inDays(1) })] }),
      summary: 'expires in 1 day (2026-06-02, under 30)',
      check: (r) => expect(r.summary).not.toMatch(/cannot connect/),
    },
    {
      name: 'the issuer expires before the server certificate',
      facts: facts({ chain: [cert(), cert({ subject: 'CN=Intermediate', notAfter: inDays(5) }), CA] }),
      summary: 'Its issuer\'s certificate (CN=Intermediate) expires in 5 days',
      evidence: { chainExpiresFirst: 'CN=Intermediate on 2026-06-06' },
    },
    {
      name: 'TLS ends at a proxy: the server sees the session unencrypted',
      facts: facts({ serverView: { ssl: false, version: null, cipher: null, bits: null, clientDn: null } }),
      summary: 'TLS ends before PostgreSQL',
      remediation: /server_tls_sslmode/,
    },
    {
      name: 'several findings: the worst leads, the others are counted and listed',
      facts: requireMode({ chain: [cert({ notAfter: inDays(3) })], chainVerified: false, chainError: 'DEPTH_ZERO_SELF_SIGNED_CERT' }),
      summary: /^The server's certificate expires in 3 days .* \(and 1 more: see findings\)$/,
      check: (r) => expect(r.evidence['findings']).toEqual([expect.stringMatching(/^warn: The server's certificate expires/), expect.stringMatching(/^warn: Coder would accept .* self-signed/)]),
    },
    { name: 'encrypted, but no certificate was seen', facts: facts({ chain: [], hostMatches: null }), summary: 'the server\'s certificate could not be read' },
  ],
  fail: [
    {
      name: 'verify-full with a CN-only certificate: Node connects, Coder\'s Go driver would not',
      facts: facts({ hostMatches: false, chain: [cert({ subject: 'CN=db.internal', subjectAltNames: [] }), CA] }),
      summary: 'Coder would refuse the server\'s certificate: db.internal is not a name of the server\'s certificate (no subjectAltName); its subject CN is db.internal, but Coder\'s Go driver never uses the CN',
      remediation: 'reissue the server\'s certificate with subjectAltName=DNS:db.internal',
    },
    {
      name: 'verify-ca to a DNS host that is not in the certificate: lib/pq checks the SNI name',
      facts: facts({ sslmodeRaw: 'verify-ca', sslmode: 'verify-ca', verifies: 'chain+host', hostMatches: false, chain: [cert({ subject: 'CN=x', subjectAltNames: ['DNS:x.example'] }), CA] }),
      summary: 'db.internal is not a name of the server\'s certificate (DNS:x.example) (lib/pq\'s verify-ca checks the name too for a DNS host',
    },
    {
      name: 'an expired certificate under verify-full (seen by the probe), with its dates',
      facts: refused('TLS verification failed: certificate has expired', { chain: [cert({ notAfter: inDays(-2) }), CA], chainVerified: false, chainError: 'CERT_HAS_EXPIRED' }, 'CERT_HAS_EXPIRED'),
      summary: 'The server\'s certificate expired on 2026-05-30 (2 days ago): Coder\'s sslmode=verify-full verification refuses it, so Coder cannot connect',
      remediation: /renew the server's certificate/,
      evidence: { observedBy: 'probe', notAfter: inDays(-2), daysLeft: -2, findings: [expect.stringMatching(/^fail: /)] },
    },
    {
      name: 'a certificate not valid yet under verify-ca',
      facts: refused('TLS verification failed: certificate is not yet valid', { sslmode: 'verify-ca', verifies: 'chain', chain: [cert({ notBefore: inDays(3) })], chainVerified: false, chainError: 'CERT_NOT_YET_VALID' }),
      summary: 'is not valid before 2026-06-04',
    },
    {
      name: 'a wrong host under verify-full',
      facts: refused('TLS verification failed: Hostname/IP does not match certificate\'s altnames', { hostMatches: false, chain: [cert({ subject: 'CN=other', subjectAltNames: ['DNS:other.example'] }), CA] }),
      summary: 'Coder would refuse the server\'s certificate: db.internal is not a name of the server\'s certificate (DNS:other.example)',
      remediation: /subjectAltName=DNS:db.internal/,
    },
    {
      name: 'a certificate from another CA than sslrootcert',
      facts: refused('TLS verification failed: unable to verify the first certificate', { chain: [cert()], chainVerified: false, chainError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }),
      summary: 'it is not signed by a trusted CA (UNABLE_TO_VERIFY_LEAF_SIGNATURE) — it does not chain to the CA in sslrootcert (/ca.pem)',
      remediation: /set sslrootcert to the CA/,
    },
    {
      name: 'no sslrootcert and a private CA under verify-full',
      facts: refused('TLS verification failed: self-signed certificate in certificate chain', { rootCert: null, chain: [cert()], chainVerified: false, chainError: 'SELF_SIGNED_CERT_IN_CHAIN' }),
      summary: 'no sslrootcert is given, so only the system\'s CAs count',
      remediation: /as sslrootcert=<CA file>/,
    },
    {
      name: 'the server rejects the client certificate (another CA)',
      facts: refused(
        'TLS handshake failed: 400D0815157F0000:error:0A000418:SSL routines:ssl3_read_bytes:tlsv1 alert unknown ca:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:918:SSL alert number 48',
        { clientCert: '/untrusted.crt' },
        'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
      ),
      summary: 'The server rejected the client certificate (sslcert=/untrusted.crt) during the TLS handshake: Coder cannot connect (TLS handshake failed: tlsv1 alert unknown ca (alert 48))',
      remediation: /ssl_ca_file/,
    },
    {
      name: 'cert authentication refuses the role (CN is another role)',
      facts: { 'postgres.server': failed('unauthorized', 'certificate authentication failed for user "coder"'), 'postgres.tls': failed('unauthorized', 'certificate authentication failed for user "coder"', { causedBy: 'postgres.server' }) },
      summary: 'The server accepted the TLS handshake but refused the client certificate for this role',
      remediation: /CN is the role name/,
    },
    {
      name: 'sslmode=disable against a server that requires TLS',
      facts: refused('the server requires TLS, but the URL says sslmode=disable', { sslmodeRaw: 'disable', sslmode: 'disable', verifies: 'none', serverOffersTls: true }),
      summary: 'The server refuses unencrypted connections, and the URL says sslmode=disable',
      remediation: /drop sslmode=disable/,
    },
    {
      name: 'a server without TLS under require',
      facts: refused('the server does not support TLS', { sslmode: 'require', verifies: 'none', serverOffersTls: false, chain: [], observedBy: 'none' }),
      summary: 'The server does not offer TLS (it answers \'N\' to the SSLRequest), and sslmode=require needs it',
      remediation: /sslmode=disable/,
    },
    {
      name: 'a TLS failure the probe cannot explain',
      facts: refused('TLS handshake failed: wrong version number', { chain: [cert()] }),
      summary: 'Coder\'s TLS connection failed: TLS handshake failed: wrong version number',
    },
  ],
  skip: [
    {
      name: 'no database',
      facts: { 'postgres.server': failed('not-configured', 'No database configured', { hint: 'pass --postgres-url' }), 'postgres.tls': failed('not-configured', 'No database configured', { causedBy: 'postgres.server' }) },
      summary: 'No database configured',
    },
  ],
  error: [
    {
      name: 'the database is unreachable',
      facts: { 'postgres.server': failed('unreachable', 'connection refused by db:5432'), 'postgres.tls': failed('unreachable', 'connection refused by db:5432', { causedBy: 'postgres.server' }) },
      summary: 'connection refused by db:5432',
    },
    { name: 'the TLS fact itself failed', facts: { 'postgres.server': server, 'postgres.tls': failed('bug', 'collector postgres.tls failed unexpectedly: x') }, summary: 'Could not gather postgres.tls' },
    {
      name: 'a TLS failure whose probe failed too is not judged as a pass',
      facts: { 'postgres.server': failed('tls', 'TLS handshake failed'), 'postgres.tls': failed('timeout', 'no answer', {}) },
      summary: /Could not gather/,
    },
  ],
});

describe('postgres.tls with postgres.connect in the same run', () => {
  const run = async (f: Record<string, unknown>) => {
    const results: Record<string, { ok: true; value: unknown; durationMs: number } | ReturnType<typeof failed>> = {};
    for (const [k, v] of Object.entries(f)) results[k] = typeof v === 'object' && v !== null && 'ok' in v && (v as { ok: unknown }).ok === false ? (v as ReturnType<typeof failed>) : { ok: true, value: v, durationMs: 1 };
    const profile = { name: 'baseline' as const, source: 'test' };
    return runChecks({
      checks: [connect, check],
      facts: new SnapshotFactSource(results as never, 'test'),
      profile,
      deployment: ONE_REPLICA,
      vantage: VANTAGE,
      optionsFor: (c) => resolveOptions(c, profile, undefined),
      redactor: new Redactor(),
    });
  };

  it('a TLS failure of the connection is told once, by postgres.connect; postgres.tls points to it', async () => {
    const [c, t] = await run(refused('TLS verification failed: certificate has expired', { chain: [cert({ notAfter: inDays(-2) })], chainVerified: false, chainError: 'CERT_HAS_EXPIRED' }));
    expect(c).toMatchObject({ id: 'postgres.connect', status: 'fail' });
    expect(t).toMatchObject({ id: 'postgres.tls', status: 'error', summary: 'Not evaluated: postgres.server failed: TLS — see postgres.connect' });
  });

  it('a certificate Coder would refuse although the connection was made is told by postgres.tls alone', async () => {
    const [c, t] = await run(facts({ hostMatches: false, chain: [cert({ subjectAltNames: [] })] }));
    expect(c!.status).toBe('pass');
    expect(t).toMatchObject({ status: 'fail', summary: /never uses the CN/ });
  });
});
