// Coder cannot start without its database: it connects with lib/pq, so sslmode defaults to
// "require" and only disable/require/verify-ca/verify-full are valid (coder-requirements.md §3c).
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
    what: 'Connects to the database with the settings Coder will use (URL, values file or Secret), the way Coder\'s Go driver lib/pq would: no sslmode means sslmode=require. Reports the server version, TLS and connect time.',
    why: 'Coder refuses to start without its database. The usual first-install failures are a wrong or un-encoded password, a server without TLS while the URL (by default) requires it, a database that was never created, and a host that only resolves inside the cluster.',
    fix: 'Fix the credentials (URL-encode special characters), create the database and role, and match sslmode to the server: enable TLS or add ?sslmode=disable on a trusted network. If the database is reachable only from the cluster, run coder-preflight from inside it.',
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
    return {
      status: 'pass',
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
      },
      vantage,
    };
  },
});
