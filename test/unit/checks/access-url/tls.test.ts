import { expect } from 'vitest';
import check from '../../../../checks/access-url/tls.ts';
import { failed, testCheck } from '../../../helpers/check-tester.ts';
import { cert, INTERMEDIATE, LB_DOOR, reachFact, ROOT, settings, tls } from './reach-fixtures.ts';

const BUNDLE = { file: 'ca.pem', certificates: [{ subject: 'CN=Acme Root CA', issuer: 'CN=Acme Root CA', selfSigned: true, isCa: true, notAfter: ROOT.notAfter }] };
const facts = (r: Parameters<typeof reachFact>[0] = {}, s: Parameters<typeof settings>[0] = {}) => ({ 'access-url.reach': reachFact(r), 'access-url.settings': settings(s) });
const wildcardWith = (leaf: ReturnType<typeof cert> | null, over: object = {}) => ({
  wildcard: { pattern: '*.apps.acme.io', problem: null, sample: 'preflight-1a2b3c4d.apps.acme.io', dns: null, tls: { address: '203.0.113.10:443', servername: 'preflight-1a2b3c4d.apps.acme.io', ok: leaf !== null, error: leaf ? null : { code: 'ECONNRESET', message: 'socket hang up' }, leaf, verify: leaf ? { verified: true, error: null } : null, ...over } },
});

testCheck(check, {
  pass: [
    {
      name: 'a public chain sent whole, naming the host and the wildcard',
      facts: facts(),
      summary: "The certificate of coder.acme.io:443 verifies against this machine's system roots, with the chain sent whole (2 certificates), names coder.acme.io and the wildcard *.apps.acme.io, and expires in 300 days (2027-03-28)",
      evidence: { chainSent: ['CN=coder.acme.io', 'CN=Acme Intermediate CA'], daysLeft: 300, wildcardCovered: true, trustedBy: "this machine's system roots" },
      check: (r) => expect(r.vantage).toBe('this machine (laptop)'),
    },
    {
      name: 'a private CA given with --ca-bundle and mounted into Coder',
      facts: facts({ tls: tls({ systemOnly: { verified: false, error: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' } }), caBundle: 'ca.pem' }, { caBundle: BUNDLE, frontDoor: { ...LB_DOOR, caSecrets: ['internal-ca'] } }),
      summary: 'verifies against --ca-bundle ca.pem (not the system roots)',
      check: (r) => expect(r.summary).toContain('a private CA, mounted into Coder (internal-ca): workspace images must trust it too'),
    },
    { name: 'no wildcard configured', facts: facts({ wildcard: null }), summary: 'names coder.acme.io, and expires in 300 days' },
    { name: 'an IP host with an IP SAN', facts: facts({ host: '203.0.113.10', url: 'https://203.0.113.10', tls: tls({ servername: null, sent: [cert({ subjectAltNames: ['IP Address:203.0.113.10'] }), INTERMEDIATE] }), wildcard: null }), summary: 'names 203.0.113.10' },
  ],
  fail: [
    {
      name: 'the server sends only its leaf (missing intermediate)',
      facts: facts({ tls: tls({ sent: [cert()], verify: { verified: false, error: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', chain: [cert()] }, lastIssuerInStore: false, aiaIssuers: ['http://ca.acme.io/intermediate.crt'] }) }),
      summary: 'coder.acme.io:443 sends only its own certificate, not the intermediate that signed it (Acme Intermediate CA), which the system roots do not hold: Go (the agent), curl and Node fail with "unable to verify the first certificate"; browsers fetch the missing one from its AIA URL (http://ca.acme.io/intermediate.crt)',
      remediation: /cat server\.crt intermediate\.crt > tls\.crt/,
    },
    {
      name: 'the leaf alone verifies only because the bundle holds the intermediate',
      facts: facts({ tls: tls({ sent: [cert()], systemOnly: { verified: false, error: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }, anchorsOnly: { verified: false, error: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' } }), caBundle: 'bundle.pem' }, { caBundle: { ...BUNDLE, file: 'bundle.pem' }, frontDoor: { ...LB_DOOR, caSecrets: ['ca'] } }),
      summary: 'coder.acme.io:443 sends only its own certificate: it verified here only because --ca-bundle bundle.pem holds the intermediate (Acme Intermediate CA)',
    },
    {
      name: 'a CA nobody here trusts, without --ca-bundle',
      facts: facts({ tls: tls({ verify: { verified: false, error: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', chain: [cert(), INTERMEDIATE] }, lastIssuerInStore: false }) }),
      summary: 'chains to Acme Root CA, a CA this machine does not trust (UNABLE_TO_GET_ISSUER_CERT_LOCALLY): agents, curl and IDE extensions fail with "certificate signed by unknown authority"; for a private CA, pass --ca-bundle with it',
      remediation: /coder\.certs\.secrets .* update-ca-certificates/,
    },
    { name: 'the root sent too, but untrusted', facts: facts({ tls: tls({ sent: [cert(), INTERMEDIATE, ROOT], verify: { verified: false, error: 'SELF_SIGNED_CERT_IN_CHAIN', chain: [cert(), INTERMEDIATE, ROOT] }, lastIssuerInStore: null }) }), summary: 'chains to Acme Root CA, a CA this machine does not trust (SELF_SIGNED_CERT_IN_CHAIN)' },
    { name: 'v1: the private-CA fix names certs.secret', facts: facts({ tls: tls({ verify: { verified: false, error: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', chain: [] } }) }, { profile: 'v1' }), summary: 'a CA this machine does not trust', remediation: /set certs\.secret\.name\/key/ },
    { name: 'self-signed', facts: facts({ tls: tls({ sent: [cert({ issuer: 'CN=coder.acme.io' })], verify: { verified: false, error: 'DEPTH_ZERO_SELF_SIGNED_CERT', chain: [] }, lastIssuerInStore: null }) }), summary: 'is self-signed (CN=coder.acme.io)' },
    { name: 'another chain error', facts: facts({ tls: tls({ verify: { verified: false, error: 'CERT_SIGNATURE_FAILURE', chain: [] } }) }), summary: 'does not verify (CERT_SIGNATURE_FAILURE)' },
    {
      name: 'expired: said with the date, not only the code',
      facts: facts({ tls: tls({ sent: [cert({ days: -2 }), INTERMEDIATE], verify: { verified: false, error: 'CERT_HAS_EXPIRED', chain: [cert({ days: -2 }), INTERMEDIATE, ROOT] } }) }),
      summary: 'The certificate of coder.acme.io:443 expired on 2026-05-30 (2 days ago): every client refuses it',
    },
    { name: 'not valid yet', facts: facts({ tls: tls({ sent: [cert({ notBefore: '2026-07-01T00:00:00.000Z' }), INTERMEDIATE], verify: { verified: false, error: 'CERT_NOT_YET_VALID', chain: [] } }) }), summary: 'is not valid before 2026-07-01' },
    { name: 'an expired intermediate', facts: facts({ tls: tls({ verify: { verified: false, error: 'CERT_HAS_EXPIRED', chain: [cert(), { ...INTERMEDIATE, notAfter: '2026-05-01T00:00:00.000Z' }, ROOT] } }) }), summary: "Its issuer's certificate (Acme Intermediate CA) expired on 2026-05-01" },
    { name: 'the host is not a SAN', facts: facts({ tls: tls({ sent: [cert({ subjectAltNames: ['DNS:dev.acme.io'] }), INTERMEDIATE] }) }), summary: 'coder.acme.io is not a name of the certificate coder.acme.io:443 serves (DNS:dev.acme.io)', remediation: 'reissue the certificate with subjectAltName=DNS:coder.acme.io' },
    { name: 'CN only: Go ignores the CN', facts: facts({ tls: tls({ sent: [cert({ subjectAltNames: [] }), INTERMEDIATE] }), wildcard: null }), summary: 'coder.acme.io is not a name of the certificate coder.acme.io:443 serves (no subjectAltName) (its CN is coder.acme.io, but Go never uses the CN)' },
    { name: 'an IP host without an IP SAN', facts: facts({ host: '203.0.113.10', url: 'https://203.0.113.10', tls: tls({ servername: null }), wildcard: null }), summary: '203.0.113.10 is not a name of the certificate', remediation: 'subjectAltName=IP:203.0.113.10' },
    {
      name: 'the certificate does not cover the wildcard',
      facts: facts(wildcardWith(cert({ subjectAltNames: ['DNS:coder.acme.io'] }))),
      summary: 'The certificate served for apps on the wildcard *.apps.acme.io (asked for preflight-1a2b3c4d.apps.acme.io) does not cover it (DNS:coder.acme.io): browsers refuse every app URL',
      remediation: /add subjectAltName DNS:\*\.apps\.acme\.io/,
      evidence: { wildcardCovered: false },
    },
    { name: 'a wildcard certificate that does not verify', facts: facts(wildcardWith(cert(), { verify: { verified: false, error: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' } })), summary: 'The certificate served for the wildcard *.apps.acme.io does not verify (UNABLE_TO_VERIFY_LEAF_SIGNATURE)' },
    { name: 'a *.acme.io certificate does not cover a deeper wildcard', facts: facts(wildcardWith(cert({ subjectAltNames: ['DNS:coder.acme.io', 'DNS:*.acme.io'] }))), summary: 'does not cover it (DNS:coder.acme.io, DNS:*.acme.io)' },
  ],
  warn: [
    { name: 'expires within 30 days', facts: facts({ tls: tls({ sent: [cert({ days: 10 }), INTERMEDIATE] }) }), summary: 'The certificate of coder.acme.io:443 expires in 10 days (2026-06-11, under 30)', threshold: { value: /warnDays=30/ } },
    { name: 'a config file raises the threshold', facts: facts({ tls: tls({ sent: [cert({ days: 50 }), INTERMEDIATE] }) }), options: { warnDays: 60 }, summary: 'expires in 50 days (2026-07-21, under 60)', threshold: { source: /test\.config\.yaml/ } },
    {
      name: 'a private CA the values do not mount into Coder',
      facts: facts({ tls: tls({ systemOnly: { verified: false, error: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' } }), caBundle: 'ca.pem' }, { caBundle: BUNDLE, frontDoor: LB_DOOR }),
      summary: "is from a private CA (only --ca-bundle ca.pem trusts it), and the values mount no CA into Coder (coder.certs.secrets is empty): Coder's own health check of the access URL fails",
      remediation: /list it in coder\.certs\.secrets/,
    },
    { name: 'a private CA and no values to say whether Coder gets it', facts: facts({ tls: tls({ systemOnly: { verified: false, error: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' } }) }, { caBundle: BUNDLE, frontDoor: null }), summary: 'and no values say whether Coder gets it' },
    { name: 'no certificate seen for the wildcard', facts: facts(wildcardWith(null)), summary: 'No certificate seen for the wildcard: the TLS handshake for preflight-1a2b3c4d.apps.acme.io at 203.0.113.10:443 failed (ECONNRESET)' },
  ],
  skip: [
    { name: 'an http access URL', facts: facts({ scheme: 'http', url: 'http://coder.corp', port: 80, tls: null }), summary: 'The access URL http://coder.corp is http: there is no certificate to check' },
    { name: 'no access URL', facts: { 'access-url.reach': failed('not-configured', 'No access URL to reach'), 'access-url.settings': settings() }, summary: 'No access URL to reach' },
  ],
  error: [
    { name: 'the verifying handshake did not complete', facts: facts({ tls: tls({ verify: { verified: false, error: 'HANDSHAKE_FAILED:ECONNRESET', chain: [] } }) }), summary: "Could not decide whether coder.acme.io:443's certificate verifies: the verifying handshake did not complete (ECONNRESET), although the first one did" },
    { name: 'the bundle-roots-only handshake did not complete: no verdict on the intermediate', facts: facts({ tls: tls({ anchorsOnly: { verified: false, error: 'HANDSHAKE_FAILED:ETIMEDOUT' } }) }), summary: "the handshake against the bundle's root CAs alone did not complete (ETIMEDOUT)" },
    { name: 'the walk stopped at DNS', facts: facts({ failedAt: 'dns', tcp: null, tls: null, http: null, coder: null }), summary: 'No certificate seen: the walk to coder.acme.io:443 from this machine (laptop) stopped at DNS, before TLS' },
    { name: 'the handshake failed', facts: facts({ failedAt: 'tls', tls: tls({ ok: false, error: { code: 'EPROTO', message: 'wrong version number' }, sent: [], verify: null }), http: null, coder: null }), summary: 'No certificate seen: the TLS handshake with coder.acme.io:443 failed from this machine (laptop) (EPROTO: wrong version number)' },
  ],
});
