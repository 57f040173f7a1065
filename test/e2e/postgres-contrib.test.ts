// postgres.contrib against real servers: a normal install (contrib) passes; the world's no-contrib
// install (only plpgsql in share/extension) fails for the baseline and Coder v1 but not for Coder
// 2.x; and a PostgreSQL 10 run from its package as shipped — where pg_available_extensions itself
// throws `unrecognized parameter "trusted"` — is still decided, from its control files one by one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck } from '../helpers/cli.ts';
import { startPostgres, stopPostgres, withClient, type PgInstance } from '../world/postgres.ts';

let normal: PgInstance;
let bare: PgInstance;
let pg10: PgInstance;
let pg10fixed: PgInstance;
beforeAll(async () => {
  [normal, bare, pg10, pg10fixed] = await Promise.all([
    startPostgres({ major: 18 }),
    startPostgres({ major: 16, contrib: false }),
    startPostgres({ major: 10, asPackaged: true }),
    startPostgres({ major: 10 }),
  ]);
});
afterAll(async () => {
  await Promise.all([normal, bare, pg10, pg10fixed].filter(Boolean).map((s) => stopPostgres(s)));
});
const run = (pg: PgInstance, ...args: string[]) => runCheck('postgres.contrib', ['--postgres-url', pg.urls.coder, ...args]);

describe('postgres.contrib against real servers', () => {
  it('a normal install passes for every profile, from pg_available_extensions', async () => {
    for (const args of [[], ['--coder-version', '1.44.3'], ['--coder-version', '2.18.0']]) {
      const { code, res } = await run(normal, ...args);
      expect(code).toBe(0);
      expect(res).toMatchObject({ status: 'pass', evidence: { readFrom: 'pg_available_extensions', commonMissing: [], otherAvailable: expect.arrayContaining(['plpgsql']) } });
      expect(res.evidence['contribAvailable']).toBeGreaterThan(40);
      expect(res.evidence['contribExtensions']).toEqual(expect.arrayContaining(['pgcrypto', 'uuid-ossp', 'citext', 'pg_trgm']));
    }
  });

  it('the no-contrib install fails for the baseline and Coder v1 (exit 3), naming what the server offers', async () => {
    for (const args of [[], ['--coder-version', '1.44.3']]) {
      const { code, res } = await run(bare, ...args);
      expect(code).toBe(3);
      expect(res).toMatchObject({
        status: 'fail',
        summary: `PostgreSQL ${bare.serverVersion} at 127.0.0.1:${bare.port} has no contrib package: no contrib extension is available (the server offers plpgsql); Coder v1 requires PostgreSQL with contrib`,
        remediation: /postgresql16-contrib/,
        evidence: { contribAvailable: 0, otherAvailable: ['plpgsql'], installedInDatabase: ['plpgsql 1.0'] },
      });
    }
  });

  it('the no-contrib install does not fail for Coder 2.x, which needs no extension', async () => {
    const { code, res } = await run(bare, '--coder-version', '2.18.0');
    expect(code).toBe(0);
    expect(res).toMatchObject({ status: 'pass', summary: /^Coder 2\.x needs no PostgreSQL extension; no contrib extension is available .* Coder v1 would need contrib$/, evidence: { contribRequired: false, profile: 'v2' } });
  });

  it('PostgreSQL 10 as packaged: pg_available_extensions throws, and the check still decides from the control files', async () => {
    // The condition itself, as the role Coder uses sees it.
    await expect(withClient(pg10.urls.coder, (c) => c.query('SELECT name FROM pg_available_extensions'))).rejects.toThrow(/unrecognized parameter "trusted"/);
    const { code, res } = await run(pg10);
    expect(code).toBe(0);
    expect(res).toMatchObject({
      status: 'pass',
      summary: /contrib extensions are available \(.*\) on 127\.0\.0\.1:\d+ \(pg_available_extensions fails here — unrecognized parameter "trusted" in file ".*\.control" \(SQLSTATE 42601\) — so each contrib control file was probed\)$/,
      evidence: { readFrom: /control files probed with pg_extension_update_paths\(\)/, pgAvailableExtensionsError: /unrecognized parameter "trusted"/, commonMissing: [] },
    });
    // The probe finds what the view finds on the same build without the unparsable files.
    const fixed = await run(pg10fixed);
    expect(fixed.res).toMatchObject({ status: 'pass', evidence: { readFrom: 'pg_available_extensions' } });
    expect(res.evidence['contribExtensions']).toEqual(fixed.res.evidence['contribExtensions']);
  });
});
