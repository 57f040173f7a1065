// Everything Coder reads and writes crosses its database connection. Coder's lib/pq encrypts by
// default (sslmode=require) but verifies the server only with verify-ca/verify-full, with Go's
// rules (subjectAltNames only, never the CN), and refuses an expired certificate only when it
// verifies (coder/pq ssl.go; coder-requirements.md §3c).
import { defineCheck } from '../../src/engine/define.ts';
import type { CheckOutcome, Evidence } from '../../src/engine/types.ts';
import type { PostgresTlsFact, TlsCertificate } from '../../src/facts/postgres/tls.ts';

const DAY_MS = 86_400_000;
const date = (iso: string) => iso.slice(0, 10);
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1|0:0:0:0:0:0:0:1)$/i;

interface Finding {
  status: 'warn' | 'fail';
  summary: string;
  remediation: string;
}

/** Whole days from `at` to the certificate's notAfter (negative: expired). */
const daysLeft = (c: TlsCertificate, at: string) => Math.floor((Date.parse(c.notAfter) - Date.parse(at)) / DAY_MS);
const notYetValid = (c: TlsCertificate, at: string) => Date.parse(c.notBefore) > Date.parse(at);
const cnOf = (dn: string) => /(?:^|, )CN=([^,]*)/.exec(dn)?.[1];

/** The certificate of the chain that expires first (the server's own, unless an issuer goes sooner). */
function firstToExpire(chain: readonly TlsCertificate[]): { cert: TlsCertificate; which: string } | undefined {
  let best: { cert: TlsCertificate; which: string } | undefined;
  chain.forEach((cert, i) => {
    if (!best || Date.parse(cert.notAfter) < Date.parse(best.cert.notAfter)) best = { cert, which: i === 0 ? "The server's certificate" : `Its issuer's certificate (${cert.subject})` };
  });
  return best;
}

const CHAIN_WORDS: Record<string, string> = {
  CERT_HAS_EXPIRED: 'it has expired',
  CERT_NOT_YET_VALID: 'it is not valid yet',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'it is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'its chain ends in a CA nobody here trusts',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'it is not signed by a trusted CA',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'it is not signed by a trusted CA',
  UNABLE_TO_GET_ISSUER_CERT: 'its issuer is unknown',
};
const chainWords = (code: string | null) => (code ? `${CHAIN_WORDS[code] ?? 'its chain does not verify'} (${code})` : 'its chain does not verify');

/** OpenSSL's "400D…:error:0A000418:SSL routines:ssl3_read_bytes:tlsv1 alert unknown ca:…:SSL alert number 48" → "tlsv1 alert unknown ca (alert 48)". */
const tidy = (m: string) => m.replace(/\b[0-9A-F]{6,}:error:[0-9A-F]+:[^:]+:[^:]+:([^:]+):[^:\s]+:\d+:(?:SSL alert number (\d+))?/g, (_all, what: string, n?: string) => (n ? `${what} (alert ${n})` : what));

const namesOf = (c: TlsCertificate | undefined) => (c && c.subjectAltNames.length ? c.subjectAltNames.join(', ') : 'no subjectAltName');

/** Coder's driver would not accept this host for the certificate: say why, naming the CN trap. */
function hostMismatch(t: PostgresTlsFact, leaf: TlsCertificate): string {
  const cn = cnOf(leaf.subject);
  const cnNote = cn && cn.toLowerCase() === t.host.toLowerCase() ? `; its subject CN is ${cn}, but Coder's Go driver never uses the CN (Node's tls and libpq do, so other clients may connect)` : '';
  const caNote = t.sslmode === 'verify-ca' ? ' (lib/pq\'s verify-ca checks the name too for a DNS host: it verifies against the SNI name it sends)' : '';
  return `${t.host} is not a name of the server's certificate (${namesOf(leaf)})${cnNote}${caNote}`;
}

const RENEW = (until?: string) => `renew the server's certificate (ssl_cert_file) ${until ? `before ${until}` : 'now'} and reload PostgreSQL (SELECT pg_reload_conf()); automate the renewal`;
const NAME_FIX = (host: string) => `reissue the server's certificate with subjectAltName=${/^[\d.]+$|:/.test(host) ? 'IP' : 'DNS'}:${host}, or connect with a name the certificate has`;
const VERIFY_FULL = 'give Coder the CA that signed the server\'s certificate and use sslmode=verify-full&sslrootcert=<CA file> (in Kubernetes, mount the CA from a Secret or ConfigMap)';

function worst(findings: Finding[]): Finding[] {
  return [...findings].sort((a, b) => (a.status === b.status ? 0 : a.status === 'fail' ? -1 : 1));
}

function combine(findings: Finding[], evidence: Evidence): CheckOutcome {
  const [first, ...rest] = worst(findings);
  return {
    status: first!.status,
    summary: rest.length ? `${first!.summary} (and ${rest.length} more: see findings)` : first!.summary,
    remediation: [...new Set([first!, ...rest].map((f) => f.remediation))].join('; '),
    evidence: { ...evidence, findings: [first!, ...rest].map((f) => `${f.status}: ${f.summary}`) },
  };
}

function evidenceOf(t: PostgresTlsFact): Evidence {
  const leaf = t.chain[0];
  const soonest = firstToExpire(t.chain);
  return {
    server: `${t.host}:${t.port}`,
    sslmode: t.sslmode,
    sslmodeAsWritten: t.sslmodeRaw ?? '(none: lib/pq default require)',
    coderVerifies: t.verifies,
    encrypted: t.encrypted,
    observedBy: t.observedBy,
    protocol: t.protocol,
    cipher: t.cipher,
    subject: leaf?.subject ?? null,
    issuer: leaf?.issuer ?? null,
    subjectAltNames: leaf?.subjectAltNames ?? [],
    notBefore: leaf?.notBefore ?? null,
    notAfter: leaf?.notAfter ?? null,
    daysLeft: leaf ? daysLeft(leaf, t.collectedAt) : null,
    ...(soonest && soonest.cert !== leaf ? { chainExpiresFirst: `${soonest.cert.subject} on ${date(soonest.cert.notAfter)}` } : {}),
    chain: t.chain.map((c) => c.subject),
    chainVerified: t.chainVerified,
    chainError: t.chainError,
    hostMatches: t.hostMatches,
    rootCert: t.rootCert,
    clientCert: t.clientCert,
    clientDn: t.serverView?.clientDn ?? null,
    serverSeesSsl: t.serverView?.ssl ?? null,
    serverTlsVersion: t.serverView?.version ?? null,
    serverCipherBits: t.serverView?.bits ?? null,
    ...(t.serverViewError ? { serverViewError: t.serverViewError } : {}),
    ...(t.serverOffersTls !== null ? { serverOffersTls: t.serverOffersTls } : {}),
    ...(t.authMethod ? { authMethod: t.authMethod } : {}),
    ...(t.probeError ? { probeError: t.probeError } : {}),
    checkedAt: t.collectedAt,
  };
}

const PASSWORD_WORDS: Record<string, string> = {
  password: 'the server asks for the password in clear text, so it is readable on the way too',
  md5: 'the server uses md5: the password is not sent, but a salted MD5 hash of it is, which an eavesdropper can attack offline',
  'scram-sha-256': 'the server uses SCRAM-SHA-256, which sends neither the password nor a reusable hash of it',
  trust: 'the server asks for no password',
  other: 'the server asks for another kind of authentication',
};

function unencrypted(t: PostgresTlsFact): Finding {
  const auth = t.authMethod ? PASSWORD_WORDS[t.authMethod]! : 'how the password travels could not be seen';
  const loopback = LOOPBACK.test(t.host);
  const summary = loopback
    ? `The connection to ${t.host}:${t.port} is not encrypted (sslmode=disable); it goes over loopback, so it does not leave the host it is made from, but whether anything beyond it (a local proxy) encrypts cannot be seen from here; ${auth}`
    : `The connection to ${t.host}:${t.port} is not encrypted (sslmode=disable): every query and result crosses the network readable, and ${auth}`;
  const enable =
    t.serverOffersTls === true
      ? `the server already offers TLS: ${VERIFY_FULL} (at least drop sslmode=disable: lib/pq's default require encrypts)`
      : t.serverOffersTls === false
        ? `enable TLS on the server (ssl=on with a certificate and key), then ${VERIFY_FULL}`
        : `enable TLS on the server if it is off, then ${VERIFY_FULL}`;
  return { status: 'warn', summary, remediation: loopback ? `${enable}; if a local proxy (such as the Cloud SQL Auth Proxy) encrypts the hop to the database, this is expected: --skip postgres.tls` : enable };
}

/** Findings about the certificate Coder was (or would be) shown. */
function certificateFindings(t: PostgresTlsFact, warnDays: number): Finding[] {
  const out: Finding[] = [];
  const leaf = t.chain[0];
  if (!leaf) return out;
  const verifies = t.verifies !== 'none';
  const soonest = firstToExpire(t.chain)!;
  const days = daysLeft(soonest.cert, t.collectedAt);
  const invalidNow = days < 0 || t.chain.some((c) => notYetValid(c, t.collectedAt));
  if (invalidNow) {
    const when = days < 0 ? `expired on ${date(soonest.cert.notAfter)} (${-days} day${days === -1 ? '' : 's'} ago)` : `is not valid before ${date(leaf.notBefore)}`;
    out.push(
      verifies
        ? { status: 'fail', summary: `${soonest.which} ${when}: Coder's sslmode=${t.sslmode} verification refuses it, so Coder cannot connect`, remediation: RENEW() }
        : {
            status: 'warn',
            summary: `${soonest.which} ${when}; Coder connects anyway only because sslmode=${t.sslmodeRaw ?? 'require (the default)'} verifies nothing`,
            remediation: `${RENEW()}; then ${VERIFY_FULL}`,
          },
    );
  } else if (days < warnDays) {
    out.push({
      status: 'warn',
      summary: `${soonest.which} expires in ${days} day${days === 1 ? '' : 's'} (${date(soonest.cert.notAfter)}, under ${warnDays})${verifies ? `: from then on Coder's sslmode=${t.sslmode} verification refuses it and Coder cannot connect` : ''}`,
      remediation: RENEW(date(soonest.cert.notAfter)),
    });
  }
  const chainBad = t.chainVerified === false && !(invalidNow && /CERT_HAS_EXPIRED|CERT_NOT_YET_VALID/.test(t.chainError ?? ''));
  const hostBad = t.hostMatches === false;
  if (verifies) {
    if (chainBad) {
      out.push({
        status: 'fail',
        summary: `Coder would refuse the server's certificate: ${chainWords(t.chainError)} — ${t.rootCert ? `it does not chain to the CA in sslrootcert (${t.rootCert})` : 'no sslrootcert is given, so only the system\'s CAs count'}`,
        remediation: t.rootCert ? 'set sslrootcert to the CA that signed the server\'s certificate (with its intermediates)' : 'give Coder the CA that signed the server\'s certificate as sslrootcert=<CA file>',
      });
    }
    if (hostBad && t.verifies === 'chain+host') out.push({ status: 'fail', summary: `Coder would refuse the server's certificate: ${hostMismatch(t, leaf)}`, remediation: NAME_FIX(t.host) });
  } else if (chainBad || hostBad) {
    const why = [chainBad ? chainWords(t.chainError) : '', hostBad ? `${t.host} is not one of its names (${namesOf(leaf)}${cnOf(leaf.subject) === t.host ? '; Go ignores the CN' : ''})` : ''].filter(Boolean).join(', and ');
    out.push({
      status: 'warn',
      summary: `Coder would accept the server's certificate, but nothing verifies the server (sslmode=${t.sslmodeRaw ?? 'require, the default'}): it would fail verification — ${why}`,
      remediation: `${VERIFY_FULL}${hostBad ? `, after you ${NAME_FIX(t.host)}` : ''}; until then anyone on the path can impersonate the database`,
    });
  }
  return out;
}

function passSummary(t: PostgresTlsFact): string {
  const leaf = t.chain[0]!;
  const days = daysLeft(firstToExpire(t.chain)!.cert, t.collectedAt);
  const verified =
    t.verifies === 'chain+host'
      ? `Coder verifies the chain and the host name (sslmode=${t.sslmode})`
      : t.verifies === 'chain'
        ? `Coder verifies the chain (sslmode=${t.sslmode}; the name is not checked${t.hostMatches ? '' : `, and ${t.host} is not one of its names`})`
        : `Coder does not verify it (sslmode=${t.sslmodeRaw ?? 'require, the default'}); it would pass verify-full against this machine's CAs`;
  const client = !t.clientCert
    ? ''
    : t.serverView?.clientDn
      ? `; client certificate accepted (${t.serverView.clientDn})`
      : t.serverView
        ? '; the server did not ask for the client certificate (no ssl_ca_file), so it was not used'
        : '; whether the server used the client certificate could not be seen';
  return `TLS ${t.protocol?.replace(/^TLSv/, '') ?? '?'} (${t.cipher ?? 'cipher unknown'}) to ${t.host}:${t.port}; certificate ${leaf.subject} from ${leaf.issuer}, valid ${days} more day${days === 1 ? '' : 's'}; ${verified}${client}`;
}

/** When Coder's connection failed on TLS: which part of TLS, from what a handshake that verifies nothing saw. */
function connectFindings(t: PostgresTlsFact, warnDays: number): Finding[] {
  const f = { ...t.connectFailure!, message: tidy(t.connectFailure!.message) };
  if (t.sslmode === 'disable') {
    return [{ status: 'fail', summary: `The server refuses unencrypted connections, and the URL says sslmode=disable: Coder cannot connect (${f.message})`, remediation: `drop sslmode=disable: ${VERIFY_FULL}` }];
  }
  if (t.serverOffersTls === false) {
    return [{ status: 'fail', summary: `The server does not offer TLS (it answers 'N' to the SSLRequest), and sslmode=${t.sslmode} needs it: Coder cannot connect`, remediation: 'enable TLS on the server (ssl=on), or add ?sslmode=disable to the URL if the network is trusted' }];
  }
  const certs = certificateFindings(t, warnDays).filter((x) => x.status === 'fail');
  if (certs.length) return certs;
  const alert = /alert|unknown ca|bad certificate|certificate required|handshake failure/i.test(`${f.message} ${f.code ?? ''}`);
  if (t.clientCert && t.chain.length && alert) {
    return [{
      status: 'fail',
      summary: `The server rejected the client certificate (sslcert=${t.clientCert}) during the TLS handshake: Coder cannot connect (${f.message})`,
      remediation: 'sign the client certificate with the CA in the server\'s ssl_ca_file (CN = the role name, or mapped in pg_ident.conf), and give its key as sslkey',
    }];
  }
  return [{ status: 'fail', summary: `Coder's TLS connection failed: ${f.message}`, remediation: 'check the server\'s TLS settings and sslmode; run with --debug for details' }];
}

export default defineCheck({
  id: 'postgres.tls',
  title: 'The database connection is encrypted and its certificate is valid',
  category: 'postgres',
  // postgres.server only for onFactFailure: with postgres.connect in the run, that check tells a
  // TLS failure of the connection (it comes first and judges failures itself) and this one points
  // to it; without it, this one tells it, with what its own handshake saw.
  facts: ['postgres.tls', 'postgres.server'],
  defaults: {
    baseline: { warnDays: 30, source: 'coder-preflight: warn 30 days before a certificate expires (when ACME clients renew 90-day certificates)' },
  },
  docs: 'https://coder.com/docs/tutorials/external-database',
  explain: {
    what:
      'Looks at the TLS of the connection Coder would make (lib/pq\'s rules, the settings postgres.connect uses): protocol, cipher, the server\'s certificate (subject, issuer, subjectAltNames, days to expiry), what Coder\'s driver verifies under the effective sslmode and whether that would pass, whether a configured client certificate (sslcert/sslkey) was accepted (pg_stat_ssl.client_dn), and the server\'s own view of the session (pg_stat_ssl). When the connection fails on TLS, a separate handshake that verifies nothing shows the certificate; with sslmode=disable it asks whether the server offers TLS and how it asks for the password.',
    why:
      'Everything Coder stores crosses this connection. lib/pq verifies nothing under sslmode=require (the default) unless an sslrootcert file exists (then verify-ca); verify-ca checks the chain — and, because lib/pq verifies against the SNI name it sends, the host name too when the host is a DNS name (sslsni=0 turns that off); verify-full checks chain and host. Go matches the host against subjectAltNames only, never the CN. ' +
      'So: fail when Coder\'s driver would refuse the certificate (expired or not yet valid, not from the CA, a name that does not match where the name is checked) or the server rejects the client certificate — Coder cannot connect. ' +
      'Warn when Coder connects but: the connection is unencrypted (sslmode=disable; also on loopback, since whether a local proxy encrypts onward cannot be seen from here); the certificate expires within warnDays; or sslmode=require accepts a certificate that would fail verification. An expired certificate under sslmode=require is such a warn, not a fail: Coder starts, because nothing checks the dates, but nothing verifies the server either. ' +
      'When postgres.connect runs too, a TLS failure of the connection is told there once and this check points to it.',
    fix:
      'Renew the certificate before it expires and automate renewal; issue it with a subjectAltName for the host Coder uses (DNS:<name> or IP:<address>); give Coder the CA and use sslmode=verify-full&sslrootcert=<file>; enable ssl on the server and drop sslmode=disable; for mTLS, sign the client certificate with the CA in the server\'s ssl_ca_file, CN = the role.',
  },
  onFactFailure({ 'postgres.tls': tf, 'postgres.server': sf }, { options }) {
    if (sf.ok) return undefined;
    // The handshake was fine, but cert authentication refused this role (pg_hba `cert`: CN ≠ role).
    if (sf.reason === 'unauthorized' && /certificate authentication failed/i.test(sf.message)) {
      return {
        status: 'fail',
        summary: `The server accepted the TLS handshake but refused the client certificate for this role: ${sf.message}`,
        remediation: 'use a client certificate whose CN is the role name (or map it in pg_ident.conf)',
        evidence: { reason: sf.reason, ...(sf.detail ?? {}) },
      };
    }
    if (sf.reason !== 'tls' || !tf.ok) return undefined;
    return combine(connectFindings(tf.value, options.warnDays), evidenceOf(tf.value));
  },
  evaluate({ 'postgres.tls': t }, { options }) {
    const evidence = evidenceOf(t);
    if (!t.encrypted) return combine([unencrypted(t)], evidence);
    const findings = certificateFindings(t, options.warnDays);
    if (t.serverView && !t.serverView.ssl) {
      findings.push({
        status: 'warn',
        summary: `TLS ends before PostgreSQL: the server sees this session unencrypted (pg_stat_ssl.ssl=false), so a proxy terminates TLS and the hop behind it is not encrypted`,
        remediation: 'enable TLS between the proxy and PostgreSQL (PgBouncer: server_tls_sslmode=verify-full), or connect Coder to PostgreSQL directly',
      });
    }
    if (!t.chain.length) {
      findings.push({ status: 'warn', summary: 'The connection is encrypted, but the server\'s certificate could not be read', remediation: 'run with --debug and report it' });
    }
    if (findings.length) return combine(findings, evidence);
    return { status: 'pass', summary: passSummary(t), evidence };
  },
});
