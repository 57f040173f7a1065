// Whether the target accepts writes: a standby (in recovery) or a read-only default refuses
// Coder's migrations and its LISTEN connection.
import { defineCollector } from '../collector.ts';
import { withPostgres } from '../../postgres/session.ts';

export interface PostgresReadOnlyFact {
  /** pg_is_in_recovery(): a hot standby or a reader endpoint. */
  inRecovery: boolean;
  /** default_transaction_read_only for this role and database ("on"/"off"). */
  defaultTransactionReadOnly: string;
  /** Where that value comes from (pg_settings.source: default, configuration file, database, user, database user, …). */
  defaultTransactionReadOnlySource: string;
  /** transaction_read_only of this session. */
  transactionReadOnly: string;
}

declare module '../types.ts' {
  interface FactMap {
    'postgres.read-only': PostgresReadOnlyFact;
  }
}

const SQL = `
SELECT pg_is_in_recovery() AS "inRecovery",
       current_setting('default_transaction_read_only') AS "defaultTransactionReadOnly",
       (SELECT source FROM pg_settings WHERE name = 'default_transaction_read_only') AS "defaultTransactionReadOnlySource",
       current_setting('transaction_read_only') AS "transactionReadOnly"`;

export default defineCollector({
  id: 'postgres.read-only',
  timeoutMs: 10_000,
  collect: (ctx) => withPostgres(ctx, (s) => s.row<PostgresReadOnlyFact>(SQL, 'read-only settings')),
});
