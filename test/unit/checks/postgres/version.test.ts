import { ONE_REPLICA } from '../../../helpers/context.ts';
import { describe, expect, it } from 'vitest';
import check from '../../../../checks/postgres/version.ts';
import type { PostgresServerFact } from '../../../../src/facts/types.ts';
import { BASELINE_PROFILE, THRESHOLDS, type Profile } from '../../../../src/target/profile.ts';

const server = (versionNum: number): PostgresServerFact => {
  const major = Math.floor(versionNum / 10000);
  return { host: 'db', port: 5432, database: 'coder', user: 'coder', source: 'x', sslmode: 'require', tls: true, versionNum, version: `${major}.${versionNum % 100}`, major, versionString: '', connectMs: 1 };
};
const run = (versionNum: number, profile: Profile) =>
  check.evaluate({ 'postgres.server': { ok: true, value: server(versionNum), durationMs: 1 } }, { profile, thresholds: THRESHOLDS[profile.name], vantage: 'here', deployment: ONE_REPLICA });
const v1: Profile = { name: 'v1', source: 'test' };
const v2: Profile = { name: 'v2', source: 'test' };

describe('postgres.version', () => {
  it('baseline: fail below 11, warn on 11 and 12, pass from 13', async () => {
    expect((await run(100023, BASELINE_PROFILE)).status).toBe('fail');
    expect((await run(110022, BASELINE_PROFILE)).status).toBe('warn');
    expect((await run(120022, BASELINE_PROFILE)).status).toBe('warn');
    expect((await run(130023, BASELINE_PROFILE)).status).toBe('pass');
  });
  it('Coder 2.x: anything below 13 fails, exactly at 130000', async () => {
    const r = await run(120022, v2);
    expect(r).toMatchObject({ status: 'fail', threshold: { value: '>= 13' } });
    expect(r.summary).toMatch(/older than 13, the minimum for Coder 2\.x/);
    expect(r.remediation).toBeTruthy();
    expect((await run(130000, v2)).status).toBe('pass');
  });
  it('Coder v1: 11 and newer pass, 10 fails', async () => {
    expect((await run(110022, v1)).status).toBe('pass');
    expect((await run(100023, v1)).status).toBe('fail');
  });
  it('says where the threshold came from and when community support ends', async () => {
    const r = await run(170010, v2);
    expect(r.threshold?.source).toMatch(/cli\/server\.go/);
    expect(r.evidence).toMatchObject({ serverVersionNum: 170010, minimumMajor: 13, communitySupportEnds: '2029-11' });
  });
  it('skips without a database and errors when the version could not be read', async () => {
    const ctx = { profile: BASELINE_PROFILE, thresholds: THRESHOLDS.baseline, vantage: 'here', deployment: ONE_REPLICA };
    expect((await check.evaluate({ 'postgres.server': { ok: false, reason: 'not-configured', message: 'none', hint: 'pass --postgres-url', durationMs: 0 } }, ctx)).status).toBe('skip');
    expect((await check.evaluate({ 'postgres.server': { ok: false, reason: 'unreachable', message: 'refused', durationMs: 0 } }, ctx)).status).toBe('error');
  });
});
