// How the connection Coder would make is protected: what the TLS socket of the shared session saw
// (protocol, cipher, the server's certificate chain, OpenSSL's verdict on it), what Coder's driver
// would verify of it under the effective sslmode (certificates.ts), and the server's own view of
// the session (pg_stat_ssl). When that connection failed on TLS, a separate handshake that
// verifies nothing (tls-probe.ts) still shows the certificate (an expired one's dates, a wrong
// host's names); with TLS off, whether the server offers TLS and how it asks for the password.
import { TLSSocket } from 'node:tls';
import { ClassifiedError } from '../../errors.ts';
import { tlsOptions } from '../../postgres/connect.ts';
import { coderVerification, describeChain, goHostnameMatches, type CoderVerification, type TlsCertificate } from '../../postgres/certificates.ts';
import { CONNECT_FACT, pgSession, pgSettings, type PgSession } from '../../postgres/session.ts';
import { probeAuthMethod, probeTls, type AuthMethod } from '../../postgres/tls-probe.ts';
import type { SslMode } from '../../inputs/pgurl.ts';
import { defineCollector } from '../collector.ts';

export type { TlsCertificate } from '../../postgres/certificates.ts';

/** pg_stat_ssl for this session, as the server sees it. */
export interface PgStatSsl {
  ssl: boolean;
  version: string | null;
  cipher: string | null;
  bits: number | null;
  /** The client certificate's subject DN as the server accepted it (client_dn; clientdn before 12), or null. */
  clientDn: string | null;
}

export interface PostgresTlsFact {
  host: string;
  port: number;
  /** The sslmode as written (null: absent, which lib/pq reads as require). */
  sslmodeRaw: string | null;
  /** The sslmode lib/pq applies: require with an sslrootcert file that exists is verify-ca. */
  sslmode: SslMode;
  /** What Coder's driver verifies of the certificate under that mode, for this host. */
  verifies: CoderVerification;
  verifiesWhy: string;
  /** The sslrootcert file verification uses, or null (Go's system roots; we compare with Node's bundled roots). */
  rootCert: string | null;
  /** The sslcert Coder would present (mTLS), or null. */
  clientCert: string | null;
  /** When this was gathered: days to expiry count from here, so a replay judges the same. */
  collectedAt: string;
  /** null when Coder's connection (postgres.server) was made; else its TLS failure. */
  connectFailure: { reason: string; message: string; code: string | null } | null;
  /** Where the TLS details come from: the shared session, a separate handshake, or nowhere. */
  observedBy: 'session' | 'probe' | 'none';
  /** The connection Coder would make is encrypted (false with sslmode=disable). */
  encrypted: boolean;
  /** The answer to PostgreSQL's SSLRequest: true 'S', false 'N'; null when not asked (the session showed TLS). */
  serverOffersTls: boolean | null;
  protocol: string | null;
  cipher: string | null;
  /** The server's certificate first, then its issuers as far as the handshake showed them. */
  chain: TlsCertificate[];
  /** OpenSSL's verdict on the chain (dates included) against rootCert, or Node's bundled roots without one. */
  chainVerified: boolean | null;
  /** Its error code when not verified (CERT_HAS_EXPIRED, UNABLE_TO_VERIFY_LEAF_SIGNATURE, …). */
  chainError: string | null;
  /** The host is one of the certificate's subjectAltNames by Go's rules (the CN never counts). */
  hostMatches: boolean | null;
  serverView: PgStatSsl | null;
  serverViewError: string | null;
  /** With TLS off: how the server asks this role for its password (its first AuthenticationRequest). */
  authMethod: AuthMethod | null;
  /** What a separate look found wrong (the other fields still hold what was seen). */
  probeError: string | null;
}

declare module '../types.ts' {
  interface FactMap {
    'postgres.tls': PostgresTlsFact;
  }
}

/** Each separate look (TLS handshake, authentication request): loopback answers in milliseconds. */
const PROBE_MS = 4000;
const errText = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0]!;

async function serverView(s: PgSession): Promise<{ serverView: PgStatSsl | null; serverViewError: string | null }> {
  try {
    // The columns differ by major (clientdn before 12, client_dn after): read the row as JSON.
    const rows = await s.query<{ r: Record<string, unknown> }>('SELECT to_jsonb(s) AS r FROM pg_stat_ssl s WHERE pid = pg_backend_pid()');
    const r = rows[0]?.r;
    if (!r) return { serverView: null, serverViewError: 'pg_stat_ssl has no row for this session' };
    const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
    return {
      serverView: {
        ssl: r['ssl'] === true,
        version: str(r['version']),
        cipher: str(r['cipher']),
        bits: typeof r['bits'] === 'number' ? r['bits'] : null,
        clientDn: str(r['client_dn'] ?? r['clientdn']),
      },
      serverViewError: null,
    };
  } catch (e) {
    return { serverView: null, serverViewError: errText(e) };
  }
}

export default defineCollector({
  id: 'postgres.tls',
  // postgres.server's own 10 s, then at most two probes.
  timeoutMs: 20_000,
  async collect(ctx) {
    const connected = await ctx.fact(CONNECT_FACT);
    // Anything but a TLS failure (no database, wrong password, unreachable) is postgres.connect's to tell.
    if (!connected.ok && connected.reason !== 'tls') await ctx.need(CONNECT_FACT);
    const settings = pgSettings(ctx);
    const { sslmode, ssl } = tlsOptions(settings);
    // lib/pq's sslsni (its own field, or a parameter where the parser keeps it as one).
    const { verifies, why } = coderVerification(sslmode as SslMode, settings.host, settings.sslsni ?? settings.params['sslsni']);
    // sslinline=true: the settings hold PEM text, not paths; report that, not the text.
    const fileOrInline = (v: string | undefined) => (v === undefined ? null : settings.sslinline ? '(inline PEM: sslinline=true)' : v);
    const fact: PostgresTlsFact = {
      host: settings.host,
      port: settings.port,
      sslmodeRaw: settings.sslmodeRaw ?? null,
      sslmode: sslmode as SslMode,
      verifies,
      verifiesWhy: why,
      rootCert: ssl && ssl.ca ? fileOrInline(settings.sslrootcert) : null,
      clientCert: fileOrInline(settings.sslcert),
      collectedAt: new Date().toISOString(),
      connectFailure: connected.ok ? null : { reason: connected.reason, message: connected.message, code: typeof connected.detail?.['code'] === 'string' ? connected.detail['code'] : null },
      observedBy: 'none',
      encrypted: false,
      serverOffersTls: null,
      protocol: null,
      cipher: null,
      chain: [],
      chainVerified: null,
      chainError: null,
      hostMatches: null,
      serverView: null,
      serverViewError: null,
      authMethod: null,
      probeError: null,
    };
    const target = { host: settings.host, port: settings.port };
    const probeMs = Math.min(PROBE_MS, ctx.timeoutMs);
    const probe = async () => {
      try {
        const p = await probeTls(target, ssl && ssl.ca ? { ca: ssl.ca } : {}, probeMs, ctx.signal);
        fact.serverOffersTls = p.offered;
        if (!p.offered) return;
        Object.assign(fact, { protocol: p.protocol, cipher: p.cipher, chain: p.chain, chainVerified: p.authorized, chainError: p.authorizationError });
        if (fact.observedBy === 'none') fact.observedBy = 'probe';
      } catch (e) {
        fact.probeError = `TLS probe: ${errText(e)}`;
      }
    };

    if (connected.ok) {
      const session = await pgSession(ctx);
      const stream = (session.client as unknown as { connection?: { stream?: unknown } }).connection?.stream;
      if (stream instanceof TLSSocket) {
        const cipher = stream.getCipher();
        fact.observedBy = 'session';
        fact.encrypted = true;
        fact.protocol = stream.getProtocol();
        fact.cipher = cipher?.standardName ?? cipher?.name ?? null;
        fact.chain = describeChain(stream.getPeerCertificate(true));
        fact.chainVerified = stream.authorized;
        fact.chainError = stream.authorizationError ? String(stream.authorizationError) : null;
      }
      Object.assign(fact, await serverView(session));
      if (!fact.encrypted) {
        // Unencrypted: does the server offer TLS (the fix then is only the URL), and how does the password travel?
        await probe();
        try {
          const a = await probeAuthMethod({ ...target, user: settings.user, database: settings.database }, probeMs, ctx.signal);
          if ('method' in a) fact.authMethod = a.method;
          else fact.probeError = [fact.probeError, `authentication probe: ${a.error}`].filter(Boolean).join('; ');
        } catch (e) {
          fact.probeError = [fact.probeError, `authentication probe: ${errText(e)}`].filter(Boolean).join('; ');
        }
      }
    } else {
      // Coder's connection failed on TLS: look at the certificate without verifying it.
      await probe();
    }
    const leaf = fact.chain[0];
    if (leaf) fact.hostMatches = goHostnameMatches(settings.host, leaf);
    if (ctx.signal.aborted) throw new ClassifiedError('aborted', 'the run was interrupted before the TLS details were gathered');
    return fact;
  },
});
