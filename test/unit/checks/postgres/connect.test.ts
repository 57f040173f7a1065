import { ONE_REPLICA } from '../../../helpers/context.ts';
import { describe, expect, it } from 'vitest';
import check from '../../../../checks/postgres/connect.ts';
import type { FactFailure } from '../../../../src/engine/types.ts';
import { BASELINE_PROFILE, THRESHOLDS } from '../../../../src/target/profile.ts';

const ctx = { profile: BASELINE_PROFILE, thresholds: THRESHOLDS.baseline, vantage: 'this machine (t)', deployment: ONE_REPLICA };
const fail = (reason: FactFailure['reason'], message = 'm', hint = 'h'): FactFailure => ({ ok: false, reason, message, hint, durationMs: 1 });

describe('postgres.connect', () => {
  it('passes with version, TLS and where it was measured from', async () => {
    const r = await check.evaluate(
      {
        'postgres.server': {
          ok: true,
          durationMs: 5,
          value: { host: 'db', port: 5432, database: 'coder', user: 'coder', source: '--postgres-url', sslmode: 'require', tls: true, versionNum: 170002, version: '17.2', major: 17, versionString: 'PostgreSQL 17.2', connectMs: 4.2 },
        },
      },
      ctx,
    );
    expect(r.status).toBe('pass');
    expect(r.summary).toBe('Connected to PostgreSQL 17.2 at db:5432/coder as coder (TLS, sslmode=require)');
    expect(r.evidence).toMatchObject({ serverVersionNum: 170002, tls: true, sslmode: 'require' });
    expect(r.vantage).toBe('this machine (t)');
  });

  it.each(['unauthorized', 'tls', 'invalid-config'] as const)('fails on a definite configuration problem (%s)', async (reason) => {
    const r = await check.evaluate({ 'postgres.server': fail(reason, 'password authentication failed', 'fix the password') }, ctx);
    expect(r.status).toBe('fail');
    expect(r.remediation).toBe('fix the password');
  });

  it.each(['unreachable', 'dns', 'timeout', 'protocol'] as const)('is an error naming the vantage point when unreachable from here (%s)', async (reason) => {
    const r = await check.evaluate({ 'postgres.server': fail(reason, 'connection refused') }, ctx);
    expect(r.status).toBe('error');
    expect(r.summary).toContain('from this machine');
    expect(r.remediation).toMatch(/run coder-preflight from there/);
  });

  it('skips with a hint when no database is configured', async () => {
    const r = await check.evaluate({ 'postgres.server': fail('not-configured', 'No database configured', 'pass --postgres-url') }, ctx);
    expect(r).toMatchObject({ status: 'skip', remediation: 'pass --postgres-url' });
  });
});
