// postgres.version against real servers of the majors that matter: 10 (below every minimum),
// 12 (works for v1, refused by Coder 2.x), 13 (the 2.x floor) — judged per profile.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, stopPostgres, type PgInstance } from '../world/postgres.ts';
import { runCheck } from '../helpers/cli.ts';

const servers = new Map<number, PgInstance>();
beforeAll(async () => {
  for (const pg of await Promise.all([10, 12, 13].map((major) => startPostgres({ major })))) servers.set(pg.major, pg);
});
afterAll(async () => {
  await Promise.all([...servers.values()].map((s) => stopPostgres(s)));
});

async function version(major: number, ...args: string[]) {
  const pg = servers.get(major)!;
  return { ...(await runCheck('postgres.version', ['--postgres-url', pg.urls.coder, ...args])), pg };
}

describe('postgres.version against real servers', () => {
  it('PostgreSQL 10 fails for every profile (exit 3), with the real version as evidence', async () => {
    for (const args of [[], ['--coder-version', '1.44.3'], ['--coder-version', '2.18.0']]) {
      const { code, res, pg } = await version(10, ...args);
      expect(code).toBe(3);
      expect(res).toMatchObject({ status: 'fail', evidence: { serverVersionNum: pg.serverVersionNum } });
    }
  });
  it('PostgreSQL 12 warns by default, passes for Coder v1 and fails for Coder 2.x', async () => {
    expect((await version(12)).res.status).toBe('warn');
    expect((await version(12, '--coder-version', '1.44.3')).res.status).toBe('pass');
    const v2 = await version(12, '--coder-version', '2.18.0');
    expect(v2.code).toBe(3);
    expect(v2.res.status).toBe('fail');
  });
  it('a warning fails the run only with --fail-on warn (exit 4)', async () => {
    expect((await version(12)).code).toBe(0);
    expect((await version(12, '--fail-on', 'warn')).code).toBe(4);
  });
  it('PostgreSQL 13 passes for Coder 2.x', async () => {
    const { code, res } = await version(13, '--coder-version', '2.18.0');
    expect(code).toBe(0);
    expect(res).toMatchObject({ status: 'pass', threshold: { value: '>= 13' } });
  });
});
