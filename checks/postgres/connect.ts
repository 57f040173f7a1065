// Coder cannot start without its database: it connects with lib/pq, so sslmode defaults to
// "require" and only disable/require/verify-ca/verify-full are valid (coder-requirements.md §3c).
// Each cause of a refusal (src/postgres/connect.ts, PgCause) has its own summary and remediation;
// test/integration/driver-oracle.test.ts holds them against Coder's own driver.
import { defineCheck } from '../../src/engine/define.ts';

/** Failures that are facts about the configuration, not about where we stand. */
const DEFINITE = new Set(['unauthorized', 'tls', 'invalid-config', 'capacity']);
/** Failures that say nothing answered from here. */
const REACHABILITY = new Set(['unreachable', 'dns', 'timeout', 'protocol']);

export default defineCheck({
  id: 'postgres.connect',
  title: 'PostgreSQL accepts Coder\'s connection',
  category: 'postgres',
  facts: ['postgres.server'],
  docs: 'https://coder.com/docs/tutorials/external-database',
  explain: {
    what: 'Connects to the database with the settings Coder will use (URL, values file or Secret), the way Coder\'s Go driver lib/pq would: no sslmode means sslmode=require; require with an sslrootcert file that exists verifies like verify-ca; verify-ca checks the host name too when it is a DNS name; the certificate is checked in Go\'s order (dates, host name, chain); every parameter lib/pq does not keep goes to the server. Reports the server version, TLS and connect time. A string Coder would refuse is postgres.url-syntax\'s finding: this check then points there.',
    why: 'Coder refuses to start without its database. Each cause has its own result. These fail (the server or the settings refuse Coder, wherever it connects from): wrong password (or, on a server that asks for a password, a role that does not exist), no pg_hba.conf entry for this host/user/database/encryption, a role that does not exist (servers that do not ask for a password say so), a client certificate the server wants, a database that does not exist, the server requiring TLS while the URL says sslmode=disable, TLS required by the URL but not offered by the server, a certificate signed by an unknown CA, issued for another host, or expired, a run-time parameter the server rejects, no free connection slot (max_connections), a settings file (sslrootcert, sslcert, sslkey) that cannot be read or is readable by others. These are errors (nothing answered from here, which says little about Coder\'s pods): a host name that does not resolve, a refused connection, no answer in time, a server that hangs up or is still starting.',
    fix: 'Fix the credentials (URL-encode special characters), create the database and role, add a pg_hba.conf line for the address Coder connects from, match sslmode to the server (enable TLS, or add ?sslmode=disable on a trusted network), give the CA with sslrootcert (mounted in Coder\'s pod at that path) and a certificate for the host name in the URL, raise max_connections or close idle clients. If the database is reachable only from the cluster, run coder-preflight from inside it.',
  },
  // A refused login or a TLS mismatch is a finding about the configuration; unreachable from
  // here is not (Coder connects from its pods), so it is an error that names the vantage point.
  onFactFailure({ 'postgres.server': pg }, { vantage }) {
    if (pg.ok) return undefined;
    if (DEFINITE.has(pg.reason)) {
      return {
        status: 'fail',
        summary: `Coder could not connect: ${pg.message}`,
        remediation: pg.hint ?? 'fix the connection settings',
        evidence: { reason: pg.reason, ...(pg.detail ?? {}) },
      };
    }
    if (!REACHABILITY.has(pg.reason)) return undefined;
    return {
      status: 'error',
      summary: `Could not reach the database from this machine: ${pg.message}`,
      remediation: `${pg.hint ?? 'check the network path'}. Coder connects from its pods; if the database is only reachable from the cluster, run coder-preflight from there.`,
      evidence: { reason: pg.reason, ...(pg.detail ?? {}) },
      vantage,
    };
  },
  evaluate({ 'postgres.server': s }, { profile, vantage }) {
    const loopback = s.host === 'localhost' || s.host === '::1' || s.host.startsWith('127.') || s.host.startsWith('/');
    return {
      status: 'pass',
      // (A loopback host is this machine's here, the pod's in Coder: postgres.url-syntax says so; the evidence marks it.)
      summary: `Connected to PostgreSQL ${s.version} at ${s.host}:${s.port}/${s.database} as ${s.user} (${s.tls ? 'TLS' : 'no TLS'}, sslmode=${s.sslmode})`,
      evidence: {
        server: `${s.host}:${s.port}`,
        database: s.database,
        user: s.user,
        settingsFrom: s.source,
        serverVersion: s.version,
        serverVersionNum: s.versionNum,
        sslmode: s.sslmode,
        tls: s.tls,
        connectMs: s.connectMs,
        profile: profile.name,
        loopback,
      },
      vantage,
    };
  },
});
