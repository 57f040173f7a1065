// Coder migrates its schema at start-up and keeps one LISTEN connection per replica: both need
// a writable primary. A standby (in recovery), a managed cluster's reader endpoint, or a role or
// database whose default_transaction_read_only is on refuses them (coder-install-failures.md).
import { defineCheck } from '../../src/engine/define.ts';
import { sqlIdent } from '../../src/postgres/sql.ts';

/** The statement that resets the setting where pg_settings.source says it is set. */
const RESET: Record<string, (role: string, db: string) => string> = {
  database: (_role, db) => `ALTER DATABASE ${sqlIdent(db)} RESET default_transaction_read_only`,
  user: (role) => `ALTER ROLE ${sqlIdent(role)} RESET default_transaction_read_only`,
  'database user': (role, db) => `ALTER ROLE ${sqlIdent(role)} IN DATABASE ${sqlIdent(db)} RESET default_transaction_read_only`,
  'configuration file': () => 'set default_transaction_read_only = off in postgresql.conf (or the parameter group) and reload',
};

export default defineCheck({
  id: 'postgres.primary',
  title: 'The database is a writable primary',
  category: 'postgres',
  facts: ['postgres.read-only', 'postgres.server'],
  docs: 'https://coder.com/docs/tutorials/external-database',
  explain: {
    what: 'As Coder\'s role, asks whether the server is in recovery (pg_is_in_recovery(): a standby or a reader endpoint) and whether new transactions are read-only (default_transaction_read_only, with where it is set, and transaction_read_only).',
    why: 'Coder creates and migrates its tables at start-up and holds a LISTEN connection per replica for its pubsub; on a standby or a read-only default both fail ("cannot execute CREATE TABLE in a read-only transaction"), and Coder does not start.',
    fix: 'Point the URL at the primary (for a managed cluster, the writer/cluster endpoint, not the reader); reset default_transaction_read_only where it is set (ALTER ROLE/ALTER DATABASE … RESET default_transaction_read_only, or the server configuration).',
  },
  evaluate({ 'postgres.read-only': f, 'postgres.server': s }) {
    const evidence = {
      server: `${s.host}:${s.port}`,
      inRecovery: f.inRecovery,
      defaultTransactionReadOnly: f.defaultTransactionReadOnly,
      setBy: f.defaultTransactionReadOnlySource,
      transactionReadOnly: f.transactionReadOnly,
    };
    if (f.inRecovery) {
      return {
        status: 'fail',
        summary: `${s.host}:${s.port} is a standby in recovery: Coder's migrations and LISTEN fail there`,
        remediation: 'point Coder at the primary (for a managed cluster, its writer endpoint, not a reader)',
        evidence,
      };
    }
    if (f.defaultTransactionReadOnly === 'on') {
      return {
        status: 'fail',
        // Seen with the real coder server v2.30.0 (test/integration/coder-fidelity.test.ts): lib/pq
        // begins every transaction READ WRITE, so the migrations run; what runs outside one fails later.
        summary: `New transactions are read-only for ${s.user} in ${s.database} (default_transaction_read_only=on, set by ${f.defaultTransactionReadOnlySource}): Coder starts, since lib/pq begins its own transactions READ WRITE, but every statement outside them fails at run time ("cannot execute … in a read-only transaction")`,
        remediation: RESET[f.defaultTransactionReadOnlySource]?.(s.user, s.database) ?? `reset default_transaction_read_only where it is set (${f.defaultTransactionReadOnlySource})`,
        evidence,
      };
    }
    if (f.transactionReadOnly === 'on') {
      return { status: 'fail', summary: `The session is read-only (transaction_read_only=on) at ${s.host}:${s.port}`, remediation: 'point Coder at the primary, and look for a proxy or option that makes sessions read-only', evidence };
    }
    return { status: 'pass', summary: `${s.host}:${s.port} is a primary that accepts writes (not in recovery, default_transaction_read_only=off)`, evidence };
  },
});
