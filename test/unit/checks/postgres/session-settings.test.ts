import { describe, expect, it } from 'vitest';
import check, { formatMs, parseMs } from '../../../../checks/postgres/session-settings.ts';
import { optionsSettings, urlTimeouts, type PostgresSessionSettingsFact, type SessionTimeoutName, type SessionTimeoutSetting } from '../../../../src/facts/postgres/session-settings.ts';
import { failed, testCheck } from '../../../helpers/check-tester.ts';

type Over = Partial<Record<SessionTimeoutName, Partial<SessionTimeoutSetting>>>;
const NAMES: SessionTimeoutName[] = ['statement_timeout', 'lock_timeout', 'idle_in_transaction_session_timeout', 'idle_session_timeout'];
const fact = (over: Over = {}, rest: Partial<PostgresSessionSettingsFact> = {}) => ({
  'postgres.session-settings': {
    user: 'coder',
    database: 'coder',
    settings: NAMES.map((name) => ({ name, exists: true, ms: 0, source: 'default', sourceFile: null, ...over[name] })),
    stored: [],
    storedError: null,
    fromUrl: [],
    ...rest,
  } satisfies PostgresSessionSettingsFact,
});
const DENIED = 'pg_db_role_setting: permission denied for table pg_db_role_setting (SQLSTATE 42501)';

testCheck(check, {
  pass: [
    {
      name: 'a stock server: every timeout off, from the defaults',
      facts: fact(),
      summary: "No timeout would cut Coder's sessions as role coder in database coder: statement_timeout=0, lock_timeout=0, idle_in_transaction_session_timeout=0, idle_session_timeout=0",
      evidence: { statementTimeout: '0', statementTimeoutSetBy: 'default', idleSessionTimeout: '0', storedSettings: [] },
      threshold: { value: 'warns on: statement_timeout, lock_timeout, idle_session_timeout ≠ 0; idle_in_transaction_session_timeout < 1min', source: /^Coder's source/ },
    },
    {
      name: 'PostgreSQL 13 has no idle_session_timeout',
      facts: fact({ idle_session_timeout: { exists: false, ms: null, source: null } }),
      summary: 'idle_session_timeout absent',
      evidence: { idleSessionTimeout: 'absent (before PostgreSQL 14)' },
    },
    {
      name: 'an idle_in_transaction_session_timeout of 5 minutes is accepted',
      facts: fact({ idle_in_transaction_session_timeout: { ms: 300_000, source: 'configuration file' } }),
      summary: 'idle_in_transaction_session_timeout=5min (accepted: at least 1min, acceptIdleInTransactionTimeoutFromMs)',
      evidence: { idleInTransactionSessionTimeout: '5min', idleInTransactionSessionTimeoutSetBy: 'configuration file' },
    },
    {
      name: 'a config file accepts a statement_timeout of an hour or more',
      facts: fact({ statement_timeout: { ms: 7_200_000, source: 'user' } }, { stored: [{ scope: 'user', name: 'statement_timeout', value: '2h' }] }),
      options: { acceptStatementTimeoutFromMs: 3_600_000 },
      summary: 'statement_timeout=2h (accepted: at least 1h, acceptStatementTimeoutFromMs)',
      threshold: { value: /statement_timeout < 1h/, source: /test\.config\.yaml/ },
    },
    {
      name: 'a lower level sets lock_timeout but a higher one turns it off',
      facts: fact({ lock_timeout: { ms: 0, source: 'database' } }, { stored: [{ scope: 'database', name: 'lock_timeout', value: '0' }, { scope: 'global', name: 'lock_timeout', value: '9s' }] }),
      summary: 'lock_timeout=0',
      evidence: { storedSettings: ['database: lock_timeout=0', 'global: lock_timeout=9s'] },
    },
    {
      name: 'the role and database settings could not be read: says so',
      facts: fact({}, { stored: null, storedError: DENIED }),
      summary: `(role and database settings not read: ${DENIED})`,
      evidence: { storedSettings: null, notRead: DENIED },
    },
    {
      name: 'the URL turns a role-level statement_timeout off',
      facts: fact({ statement_timeout: { ms: 5000, source: 'user' } }, { stored: [{ scope: 'user', name: 'statement_timeout', value: '5s' }], fromUrl: [{ name: 'statement_timeout', value: '0' }] }),
      summary: 'statement_timeout=0',
      evidence: { statementTimeoutSetBy: 'the connection URL', inUrl: ['statement_timeout=0'] },
    },
  ],
  fail: [
    {
      name: 'a statement_timeout so short that Coder does not start (the real coder server refused at 10 ms)',
      facts: fact({ statement_timeout: { ms: 1, source: 'user' } }, { stored: [{ scope: 'user', name: 'statement_timeout', value: '1ms' }] }),
      summary: "Coder's sessions as role coder in database coder would run with statement_timeout=1ms, set by user (role coder): so short that Coder's migrations are cancelled at start-up",
      remediation: 'ALTER ROLE coder RESET statement_timeout',
      threshold: { value: /^fails under 20ms; warns on/ },
    },
  ],
  warn: [
    {
      name: 'ALTER ROLE coder SET statement_timeout names the role and the statement that resets it',
      facts: fact({ statement_timeout: { ms: 5000, source: 'user' } }, { stored: [{ scope: 'user', name: 'statement_timeout', value: '5s' }] }),
      summary: "Coder's sessions as role coder in database coder would run with statement_timeout=5s, set by user (role coder): a migration that runs longer",
      remediation: 'ALTER ROLE coder RESET statement_timeout',
      evidence: { statementTimeout: '5s', statementTimeoutSetBy: 'user' },
      check: (r) => expect(r.remediation).not.toMatch(/SET statement_timeout = 0/),
    },
    {
      name: 'ALTER DATABASE coder SET idle_session_timeout names the database',
      facts: fact({ idle_session_timeout: { ms: 60_000, source: 'database' } }, { stored: [{ scope: 'database', name: 'idle_session_timeout', value: '1min' }] }),
      summary: 'idle_session_timeout=1min, set by database (database coder): idle pooled connections and the pubsub LISTEN connection are closed',
      remediation: 'ALTER DATABASE coder RESET idle_session_timeout',
    },
    {
      name: 'a role-in-database lock_timeout',
      facts: fact({ lock_timeout: { ms: 10_000, source: 'database user' } }, { stored: [{ scope: 'database user', name: 'lock_timeout', value: '10s' }] }),
      summary: 'lock_timeout=10s, set by database user (role coder in database coder)',
      remediation: 'ALTER ROLE coder IN DATABASE coder RESET lock_timeout',
    },
    {
      name: 'set at two levels: both must go, the one in effect first',
      facts: fact({ statement_timeout: { ms: 5000, source: 'user' } }, { stored: [{ scope: 'user', name: 'statement_timeout', value: '5s' }, { scope: 'global', name: 'statement_timeout', value: '30s' }] }),
      summary: 'statement_timeout=5s, set by user (role coder) and global (ALTER ROLE ALL)',
      remediation: 'ALTER ROLE coder RESET statement_timeout; ALTER ROLE ALL RESET statement_timeout',
    },
    {
      name: 'the server configuration, with the file visible, and how to override it for the role',
      facts: fact({ statement_timeout: { ms: 30_000, source: 'configuration file', sourceFile: '/etc/postgresql/17/main/postgresql.conf:812' } }),
      summary: 'statement_timeout=30s, set by configuration file (/etc/postgresql/17/main/postgresql.conf:812)',
      remediation: /parameter group\) and reload it; or, for Coder's role alone: ALTER ROLE coder SET statement_timeout = 0$/,
      evidence: { statementTimeoutFile: '/etc/postgresql/17/main/postgresql.conf:812' },
    },
    {
      name: 'the server configuration, file not visible to this role',
      facts: fact({ lock_timeout: { ms: 1000, source: 'configuration file' } }),
      summary: 'lock_timeout=1s, set by configuration file (which file is not visible to this role)',
      remediation: /ALTER SYSTEM RESET lock_timeout/,
    },
    {
      name: 'the role settings are unreadable, pg_settings.source still names the level',
      facts: fact({ statement_timeout: { ms: 5000, source: 'user' } }, { stored: null, storedError: DENIED }),
      summary: /set by user \(role coder\).*\(role and database settings not read: pg_db_role_setting: permission denied/,
      remediation: 'ALTER ROLE coder RESET statement_timeout',
    },
    {
      name: 'the connection URL sets it (our session does not, Coder\'s driver would)',
      facts: fact({}, { fromUrl: [{ name: 'statement_timeout', value: '5s' }] }),
      summary: 'statement_timeout=5s, set by the connection URL',
      remediation: 'remove statement_timeout from the connection URL',
      evidence: { statementTimeout: '5s', statementTimeoutSetBy: 'the connection URL' },
    },
    {
      name: 'a short idle_in_transaction_session_timeout',
      facts: fact({ idle_in_transaction_session_timeout: { ms: 10_000, source: 'global' } }, { stored: [{ scope: 'global', name: 'idle_in_transaction_session_timeout', value: '10s' }] }),
      summary: 'idle_in_transaction_session_timeout=10s, set by global (ALTER ROLE ALL): a transaction paused that long',
      remediation: "ALTER ROLE ALL RESET idle_in_transaction_session_timeout; or, for Coder's role alone: ALTER ROLE coder SET idle_in_transaction_session_timeout = 0",
    },
    {
      name: 'a config file that accepts no idle_in_transaction_session_timeout at all',
      facts: fact({ idle_in_transaction_session_timeout: { ms: 300_000, source: 'database' } }, { stored: [{ scope: 'database', name: 'idle_in_transaction_session_timeout', value: '5min' }] }),
      options: { acceptIdleInTransactionTimeoutFromMs: 0 },
      summary: 'idle_in_transaction_session_timeout=5min, set by database',
      threshold: { value: 'warns on: statement_timeout, lock_timeout, idle_session_timeout, idle_in_transaction_session_timeout ≠ 0' },
    },
    {
      name: 'several at once, each with its reset; names that need quoting are quoted',
      facts: fact(
        { statement_timeout: { ms: 5000, source: 'user' }, idle_session_timeout: { ms: 60_000, source: 'database' } },
        { user: 'Coder-App', database: 'coder db', stored: [{ scope: 'user', name: 'statement_timeout', value: '5s' }, { scope: 'database', name: 'idle_session_timeout', value: '1min' }] },
      ),
      summary: 'statement_timeout=5s, set by user (role Coder-App); idle_session_timeout=1min, set by database (database coder db)',
      remediation: 'ALTER ROLE "Coder-App" RESET statement_timeout; ALTER DATABASE "coder db" RESET idle_session_timeout',
    },
  ],
  error: [{ name: 'the settings could not be read', facts: { 'postgres.session-settings': failed('timeout', 'no answer') }, summary: 'Could not gather postgres.session-settings: no answer' }],
  skip: [{ name: 'no database', facts: { 'postgres.session-settings': failed('not-configured', 'No database configured', { hint: 'pass --postgres-url' }) }, summary: 'No database configured' }],
});

describe('postgres.session-settings: reading values the way PostgreSQL does', () => {
  it('parses stored and URL values (no unit: ms) and formats ms in PostgreSQL\'s units', () => {
    expect([parseMs('5s'), parseMs('1min'), parseMs('5000'), parseMs('0'), parseMs("'2h'"), parseMs('1.5s'), parseMs('soon')]).toEqual([5000, 60_000, 5000, 0, 7_200_000, 1500, null]);
    expect([formatMs(0), formatMs(5000), formatMs(60_000), formatMs(90_000), formatMs(1500), formatMs(86_400_000)]).toEqual(['0', '5s', '1min', '90s', '1500ms', '1d']);
  });
  it('finds the timeouts in a URL: parameters and -c in options, the parameter winning', () => {
    expect(optionsSettings('-c statement_timeout=5s -clock_timeout=1s --idle-session-timeout=1min -c search_path=x')).toEqual({ statement_timeout: '5s', lock_timeout: '1s', idle_session_timeout: '1min', search_path: 'x' });
    expect(urlTimeouts({ options: '-c statement_timeout=5s -c lock_timeout=2s', lock_timeout: '3s', search_path: 'x' })).toEqual([
      { name: 'statement_timeout', value: '5s' },
      { name: 'lock_timeout', value: '3s' },
    ]);
  });
});
