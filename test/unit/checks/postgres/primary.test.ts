import check from '../../../../checks/postgres/primary.ts';
import type { PostgresReadOnlyFact } from '../../../../src/facts/postgres/read-only.ts';
import type { PostgresServerFact } from '../../../../src/facts/postgres/server.ts';
import { failed, testCheck } from '../../../helpers/check-tester.ts';

const server: PostgresServerFact = { host: 'db', port: 5432, database: 'coder', user: 'coder', source: '--postgres-url', sslmode: 'require', tls: true, versionNum: 170002, version: '17.2', major: 17, versionString: 'PostgreSQL 17.2', connectMs: 1 };
const facts = (over: Partial<PostgresReadOnlyFact> = {}) => ({
  'postgres.server': server,
  'postgres.read-only': { inRecovery: false, defaultTransactionReadOnly: 'off', defaultTransactionReadOnlySource: 'default', transactionReadOnly: 'off', ...over },
});

testCheck(check, {
  pass: [{ name: 'a primary with the defaults', facts: facts(), summary: 'db:5432 is a primary that accepts writes', evidence: { inRecovery: false, setBy: 'default' } }],
  fail: [
    { name: 'a standby in recovery', facts: facts({ inRecovery: true, transactionReadOnly: 'on' }), summary: 'db:5432 is a standby in recovery', remediation: /writer endpoint/ },
    {
      name: 'read-only by a role setting names the statement that resets it',
      facts: facts({ defaultTransactionReadOnly: 'on', defaultTransactionReadOnlySource: 'user', transactionReadOnly: 'on' }),
      summary: 'New transactions are read-only for coder in coder (default_transaction_read_only=on, set by user)',
      remediation: 'ALTER ROLE coder RESET default_transaction_read_only',
    },
    { name: 'read-only by a database setting', facts: facts({ defaultTransactionReadOnly: 'on', defaultTransactionReadOnlySource: 'database', transactionReadOnly: 'on' }), summary: 'set by database', remediation: 'ALTER DATABASE coder RESET default_transaction_read_only' },
    { name: 'read-only from an unusual source', facts: facts({ defaultTransactionReadOnly: 'on', defaultTransactionReadOnlySource: 'command line', transactionReadOnly: 'on' }), summary: 'set by command line', remediation: 'reset default_transaction_read_only where it is set (command line)' },
    {
      name: 'a role and database whose names need quoting get statements that run as pasted',
      facts: { ...facts({ defaultTransactionReadOnly: 'on', defaultTransactionReadOnlySource: 'database user', transactionReadOnly: 'on' }), 'postgres.server': { ...server, user: 'Coder-App', database: 'coder"db' } },
      summary: 'set by database user',
      remediation: 'ALTER ROLE "Coder-App" IN DATABASE "coder""db" RESET default_transaction_read_only',
    },
    { name: 'a read-only session', facts: facts({ transactionReadOnly: 'on' }), summary: 'The session is read-only', remediation: /point Coder at the primary/ },
  ],
  skip: [{ name: 'no database', facts: { 'postgres.server': failed('not-configured', 'No database configured', { hint: 'pass --postgres-url' }), 'postgres.read-only': failed('not-configured', 'No database configured', { causedBy: 'postgres.server' }) }, summary: 'No database configured' }],
  error: [{ name: 'the settings could not be read', facts: { 'postgres.server': server, 'postgres.read-only': failed('timeout', 'no answer') }, summary: 'Could not gather postgres.read-only: no answer' }],
});

