import { expect } from 'vitest';
import check from '../../../../checks/postgres/contrib.ts';
import type { PostgresExtensionsFact } from '../../../../src/facts/postgres/extensions.ts';
import type { PostgresServerFact } from '../../../../src/facts/postgres/server.ts';
import { CONTRIB_EXTENSIONS } from '../../../../src/postgres/contrib.ts';
import { failed, testCheck } from '../../../helpers/check-tester.ts';

const server = (major = 17): PostgresServerFact => ({ host: 'db', port: 5432, database: 'coder', user: 'coder', source: '--postgres-url', sslmode: 'require', tls: true, versionNum: major * 10000 + 2, version: `${major}.2`, major, versionString: `PostgreSQL ${major}.2`, connectMs: 1 });
// What a PostgreSQL 17 with contrib offers (and plpgsql, which is core).
const PG17 = CONTRIB_EXTENSIONS.filter((x) => !['adminpack', 'chkpass', 'timetravel', 'old_snapshot', 'pg_logicalinspect'].includes(x));
const facts = (over: Partial<PostgresExtensionsFact> = {}, major = 17) => ({
  'postgres.server': server(major),
  'postgres.extensions': { method: 'pg_available_extensions', viewError: null, available: ['plpgsql', ...PG17], unreadable: [], installed: [{ name: 'plpgsql', version: '1.0' }], ...over } satisfies PostgresExtensionsFact,
});
const noContrib = (over: Partial<PostgresExtensionsFact> = {}, major = 17) => facts({ available: ['plpgsql'], ...over }, major);
const TRUSTED = 'unrecognized parameter "trusted" in file "/usr/share/postgresql/10/extension/jsonb_plperl.control" (SQLSTATE 42601)';

testCheck(check, {
  pass: [
    {
      name: 'a server with contrib, for the baseline',
      facts: facts(),
      summary: '44 contrib extensions are available (amcheck, autoinc, bloom, btree_gin, btree_gist, citext, … (44 in all)) on db:5432',
      evidence: { contribRequired: true, contribAvailable: PG17.length, commonMissing: [], otherAvailable: ['plpgsql'], installedInDatabase: ['plpgsql 1.0'], readFrom: 'pg_available_extensions' },
      threshold: { value: 'contrib required', source: /^Coder v1 requirements/ },
      check: (r) => expect(r.summary).not.toContain('missing'),
    },
    {
      name: 'Coder v1 with contrib',
      facts: facts({}, 11),
      profile: 'v1',
      summary: 'contrib extensions are available',
    },
    {
      name: 'Coder 2.x without contrib: it needs no extension, and says v1 would',
      facts: noContrib(),
      profile: 'v2',
      summary: 'Coder 2.x needs no PostgreSQL extension; no contrib extension is available (the server offers plpgsql) on db:5432 — fine for 2.x, Coder v1 would need contrib',
      evidence: { contribRequired: false, contribAvailable: 0 },
      threshold: { value: 'contrib not required', source: /^Coder 2\.x needs no extension/ },
    },
    { name: 'Coder 2.x with contrib', facts: facts(), profile: 'v2', summary: /^Coder 2\.x needs no PostgreSQL extension; 44 contrib extensions are available/ },
    {
      name: 'a partial contrib names the common extensions it lacks',
      facts: facts({ available: ['plpgsql', 'pg_stat_statements', 'hstore'] }),
      summary: '2 contrib extensions are available (hstore, pg_stat_statements) on db:5432; missing: pgcrypto, uuid-ossp, citext, pg_trgm, btree_gist',
      evidence: { commonMissing: ['pgcrypto', 'uuid-ossp', 'citext', 'pg_trgm', 'btree_gist'] },
    },
    {
      name: 'pg_available_extensions fails (PostgreSQL 10 with newer control files): decided from the probed control files',
      facts: facts({ method: 'probe', viewError: TRUSTED, available: ['citext', 'pgcrypto'] }, 10),
      summary: `2 contrib extensions are available (citext, pgcrypto) on db:5432; missing: uuid-ossp, pg_trgm, hstore, btree_gist, pg_stat_statements (pg_available_extensions fails here — ${TRUSTED} — so each contrib control file was probed)`,
      evidence: { pgAvailableExtensionsError: TRUSTED, readFrom: /probed with pg_extension_update_paths/ },
    },
    { name: 'a config file can waive it', facts: noContrib(), options: { required: false }, summary: 'Coder 2.x needs no PostgreSQL extension', threshold: { source: /test\.config\.yaml/ } },
  ],
  fail: [
    {
      name: 'only plpgsql (installed without the contrib package), for the baseline',
      facts: noContrib(),
      summary: 'PostgreSQL 17.2 at db:5432 has no contrib package: no contrib extension is available (the server offers plpgsql); Coder v1 requires PostgreSQL with contrib',
      remediation: /^install the contrib package for PostgreSQL 17 where the server runs \(RHEL\/PGDG: postgresql17-contrib; .*for Coder 2\.x pass --coder-version$/,
      evidence: { contribAvailable: 0, contribExtensions: [] },
    },
    { name: 'the same for Coder v1', facts: noContrib({}, 11), profile: 'v1', summary: 'PostgreSQL 11.2 at db:5432 has no contrib package', remediation: /postgresql11-contrib/ },
    {
      name: 'no extension at all',
      facts: noContrib({ available: [] }),
      summary: 'no contrib extension is available (the server offers nothing)',
    },
    {
      name: 'the view fails and no contrib control file is there',
      facts: noContrib({ method: 'probe', viewError: 'could not open extension directory (SQLSTATE 58P01)', available: [] }),
      summary: /has no contrib package: .*\(pg_available_extensions fails here — could not open extension directory/,
    },
    { name: 'a config file can require it for Coder 2.x', facts: noContrib(), profile: 'v2', options: { required: true }, summary: 'has no contrib package' },
  ],
  error: [
    {
      name: 'the view fails and the contrib control files found cannot be read either',
      facts: noContrib({ method: 'probe', viewError: TRUSTED, available: [], unreadable: [{ name: 'hstore', error: 'unrecognized parameter "trusted" in file "…/hstore.control"' }] }, 10),
      summary: `Could not tell whether contrib is installed on db:5432: pg_available_extensions fails (${TRUSTED}) and the contrib control files found cannot be read (hstore)`,
      remediation: /fix or remove the control files/,
      evidence: { unreadableControlFiles: ['hstore: unrecognized parameter "trusted" in file "…/hstore.control"'] },
    },
    { name: 'the extensions could not be read', facts: { 'postgres.server': server(), 'postgres.extensions': failed('timeout', 'no answer') }, summary: 'Could not gather postgres.extensions: no answer' },
  ],
  skip: [
    {
      name: 'no database',
      facts: { 'postgres.server': failed('not-configured', 'No database configured', { hint: 'pass --postgres-url' }), 'postgres.extensions': failed('not-configured', 'No database configured', { causedBy: 'postgres.server' }) },
      summary: 'No database configured',
    },
  ],
});
