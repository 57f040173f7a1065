// Coder v1 "requires, at minimum, PostgreSQL 11 with the contrib package installed" (v1 docs,
// setup/requirements.md; the v1 chart's values.yaml says the same); which contrib extensions it
// uses is not public. Coder 2.x creates no extension: its schema (coderd/database/dump.sql, as
// pg_dump writes it) has no CREATE EXTENSION, and its docs ask only for PostgreSQL 13+
// (coder-requirements.md §1f, §6).
import { defineCheck } from '../../src/engine/define.ts';
import { COMMON_CONTRIB, CONTRIB_EXTENSIONS, isContrib } from '../../src/postgres/contrib.ts';

const list = (xs: readonly string[], max = 6) => (xs.length <= max ? xs.join(', ') : `${xs.slice(0, max).join(', ')}, … (${xs.length} in all)`);

export default defineCheck({
  id: 'postgres.contrib',
  title: 'PostgreSQL offers the contrib extensions',
  category: 'postgres',
  facts: ['postgres.extensions', 'postgres.server'],
  docs: 'https://coder.com/docs/v1/setup/requirements',
  defaults: {
    baseline: { required: true, source: 'Coder v1 requirements: "at minimum, PostgreSQL 11 with the contrib package installed"' },
    v1: { required: true, source: 'Coder v1 requirements: "at minimum, PostgreSQL 11 with the contrib package installed"' },
    v2: { required: false, source: 'Coder 2.x needs no extension: coderd/database/dump.sql creates none; docs/install ask only for PostgreSQL 13+' },
  },
  explain: {
    what: 'As Coder\'s role, lists the extensions the server offers (pg_available_extensions) and those installed in Coder\'s database (pg_extension), and counts the contrib ones (pgcrypto, uuid-ossp, citext, pg_trgm, hstore, …). When that view cannot be read — one unparsable control file breaks it, e.g. `unrecognized parameter "trusted"` on a PostgreSQL 10 with newer control files — it probes each contrib extension\'s control file with pg_extension_update_paths(). Creates nothing. Required for Coder v1 (and without a Coder version); for Coder 2.x it only reports.',
    why: 'Coder v1 requires "PostgreSQL 11 with the contrib package installed"; a server installed from the bare server package (RHEL/PGDG postgresqlNN-server without postgresqlNN-contrib, a minimal build) offers only plpgsql, and Coder v1\'s migrations cannot create the extensions they need. Coder 2.x creates no extension, so contrib does not matter to it.',
    fix: 'Install the contrib package where the server runs (RHEL/PGDG: postgresql<major>-contrib; Alpine: postgresql-contrib; Debian/Ubuntu and the official Docker image ship contrib with the server); no restart is needed, the server reads control files when asked. Managed services (RDS, Cloud SQL, Azure) offer contrib already. For Coder 2.x, nothing to do.',
  },
  evaluate({ 'postgres.extensions': f, 'postgres.server': s }, { options, profile }) {
    const contrib = f.available.filter(isContrib).sort();
    const commonMissing = COMMON_CONTRIB.filter((x) => !contrib.includes(x));
    const at = `${s.host}:${s.port}`;
    const probed = f.method === 'probe';
    const evidence = {
      server: at,
      serverVersion: s.version,
      profile: profile.name,
      contribRequired: options.required,
      readFrom: probed ? `${CONTRIB_EXTENSIONS.length} control files probed with pg_extension_update_paths() (pg_available_extensions failed)` : 'pg_available_extensions',
      contribAvailable: contrib.length,
      contribExtensions: contrib,
      commonMissing,
      // A probe looks at contrib only: what else the server offers is unknown then.
      ...(probed ? {} : { otherAvailable: f.available.filter((x) => !isContrib(x)) }),
      installedInDatabase: f.installed.map((x) => `${x.name} ${x.version}`),
      ...(f.viewError ? { pgAvailableExtensionsError: f.viewError } : {}),
      ...(f.unreadable.length ? { unreadableControlFiles: f.unreadable.map((x) => `${x.name}: ${x.error}`) } : {}),
    };
    const how = probed ? ` (pg_available_extensions fails here — ${f.viewError} — so each contrib control file was probed)` : '';
    const found = contrib.length > 0 ? `${contrib.length} contrib extensions are available (${list(contrib)})` : `no contrib extension is available (the server offers ${f.available.length ? list(f.available) : 'nothing'})`;
    const threshold = { value: options.required ? 'contrib required' : 'contrib not required' };

    if (!options.required) {
      return { status: 'pass', summary: `Coder 2.x needs no PostgreSQL extension; ${found} on ${at}${contrib.length ? '' : ' — fine for 2.x, Coder v1 would need contrib'}${how}`, evidence, threshold };
    }
    if (contrib.length === 0 && f.unreadable.length > 0) {
      return {
        status: 'error',
        summary: `Could not tell whether contrib is installed on ${at}: pg_available_extensions fails (${f.viewError}) and the contrib control files found cannot be read (${list(f.unreadable.map((x) => x.name))})`,
        remediation: 'fix or remove the control files the server cannot parse (the error names them), then run again',
        evidence,
        threshold,
      };
    }
    if (contrib.length === 0) {
      return {
        status: 'fail',
        summary: `PostgreSQL ${s.version} at ${at} has no contrib package: ${found}; Coder v1 requires PostgreSQL with contrib${how}`,
        remediation: `install the contrib package for PostgreSQL ${Math.floor(s.major)} where the server runs (RHEL/PGDG: postgresql${Math.floor(s.major)}-contrib; Alpine: postgresql-contrib), or use a server that ships it (Debian/Ubuntu packages, the official image, managed services); for Coder 2.x pass --coder-version`,
        evidence,
        threshold,
      };
    }
    return { status: 'pass', summary: `${found} on ${at}${commonMissing.length ? `; missing: ${commonMissing.join(', ')}` : ''}${how}`, evidence, threshold };
  },
});
