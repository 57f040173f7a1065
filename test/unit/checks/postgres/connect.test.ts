import { describe, expect, it } from 'vitest';
import check from '../../../../checks/postgres/connect.ts';
import type { PostgresServerFact } from '../../../../src/facts/postgres/server.ts';
import { failed, testCheck, type CheckCase } from '../../../helpers/check-tester.ts';

const server: PostgresServerFact = { host: 'db', port: 5432, database: 'coder', user: 'coder', source: '--postgres-url', sslmode: 'require', tls: true, versionNum: 170002, version: '17.2', major: 17, versionString: 'PostgreSQL 17.2', connectMs: 4.2 };

const definite = (reason: Parameters<typeof failed>[0]): CheckCase => ({
  name: `a definite configuration problem (${reason})`,
  facts: { 'postgres.server': failed(reason, 'password authentication failed', { hint: 'fix the password' }) },
  summary: 'Coder could not connect: password authentication failed',
  remediation: 'fix the password',
  check: (r) => expect(r.remediation).toBe('fix the password'),
});

const unreachable = (reason: Parameters<typeof failed>[0]): CheckCase => ({
  name: `unreachable from here, naming the vantage point (${reason})`,
  facts: { 'postgres.server': failed(reason, 'connection refused', { hint: 'h' }) },
  summary: 'from this machine',
  remediation: /run coder-preflight from there/,
});

testCheck(check, {
  pass: [
    {
      name: 'version, TLS and where it was measured from',
      facts: { 'postgres.server': server },
      vantage: 'this machine (t)',
      summary: 'Connected to PostgreSQL 17.2 at db:5432/coder as coder (TLS, sslmode=require)',
      evidence: { serverVersionNum: 170002, tls: true, sslmode: 'require' },
      check: (r) => {
        expect(r.summary).toBe('Connected to PostgreSQL 17.2 at db:5432/coder as coder (TLS, sslmode=require)');
        expect(r.vantage).toBe('this machine (t)');
      },
    },
  ],
  fail: [
    ...(['unauthorized', 'tls', 'invalid-config'] as const).map(definite),
    {
      // The server answered: it is full, not out of reach (53300 "sorry, too many clients already").
      name: 'the server is out of connection slots',
      facts: { 'postgres.server': failed('capacity', 'PostgreSQL at db:5432 is out of connection slots: sorry, too many clients already', { hint: 'raise max_connections, or close idle clients' }) },
      summary: 'Coder could not connect: PostgreSQL at db:5432 is out of connection slots: sorry, too many clients already',
      remediation: 'raise max_connections, or close idle clients',
      check: (r) => {
        expect(r.summary).not.toMatch(/could not reach/i);
        expect(r.remediation).not.toMatch(/run coder-preflight from there/);
      },
    },
  ],
  error: (['unreachable', 'dns', 'timeout', 'protocol'] as const).map(unreachable),
  skip: [
    {
      name: 'no database is configured',
      facts: { 'postgres.server': failed('not-configured', 'No database configured', { hint: 'pass --postgres-url' }) },
      summary: 'No database configured',
      remediation: 'pass --postgres-url',
      check: (r) => expect(r.remediation).toBe('pass --postgres-url'),
    },
  ],
});

describe('every cause the connection can fail with gets the status its explain text gives', async () => {
  const { CAUSE_REASON } = await import('../../../../src/postgres/connect.ts');
  const { runCase } = await import('../../../helpers/check-tester.ts');
  // Refusals that do not depend on where we connect from are fails; not reaching the server is an error.
  const ERRORS = new Set(['dns', 'refused', 'timeout', 'connection-closed', 'server-starting', 'server-error', 'other']);
  for (const [cause, reason] of Object.entries(CAUSE_REASON)) {
    it(`${cause} → ${ERRORS.has(cause) ? 'error' : 'fail'}`, async () => {
      const r = await runCase(check, { facts: { 'postgres.server': failed(reason, `the ${cause} message`, { hint: `the ${cause} hint`, detail: { cause } }) } });
      expect(r.status).toBe(ERRORS.has(cause) ? 'error' : 'fail');
      expect(r.summary).toContain(`the ${cause} message`);
      expect(r.remediation).toContain(`the ${cause} hint`);
      expect(r.evidence).toMatchObject({ cause });
    });
  }
});
