// Coder migrates the database it is given at start-up and stops on what it cannot migrate: a dirty
// schema_migrations row (golang-migrate: "Dirty database version N. Fix and force version."), a
// Coder v1 database ("currently connected to a Coder v1 database, aborting database setup",
// coderd/database/migrations/migrate.go) and a schema newer than itself ("no migration found for
// version N"; Coder does not support downgrades without restoring the database:
// seeds/coder-validated-architecture.txt). coder-install-failures.md D1 ranks these second.
import { defineCheck } from '../../src/engine/define.ts';
import type { Profile } from '../../src/engine/types.ts';
import { CODER_MIGRATION_LOCK, type PostgresSchemaFact } from '../../src/facts/postgres/schema.ts';
import { CODER_MIGRATIONS_GENERATED, CODER_RELEASES, type CoderRelease } from '../../src/postgres/coder-migrations.ts';
import { sqlIdent } from '../../src/postgres/sql.ts';

/** Coder's well-known advisory lock ids (coderd/database/lock.go), besides the migration lock. */
const CODER_LOCKS: Record<string, string> = {
  [CODER_MIGRATION_LOCK]: 'migration',
  '1': 'DeploymentSetup',
  '2': 'EnterpriseDeploymentSetup',
  '3': 'DBRollup',
  '4': 'DBPurge',
  '5': 'NotificationsReportGenerator',
  '6': 'CryptoKeyRotation',
  '7': 'ReconcilePrebuilds',
  '8': 'ReconcileSystemRoles',
};

/** Coder numbers its migrations 1, 2, 3…; a version this large is another tool's (a timestamp). */
const NOT_CODER_NUMBERING = 1_000_000_000n;

interface Version {
  major: number;
  minor?: number;
  patch?: number;
  pre: boolean;
}

function parseVersion(v: string): Version | undefined {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(-[^+]*)?(?:\+.*)?$/.exec(v.trim());
  if (!m) return undefined;
  return { major: Number(m[1]), ...(m[2] !== undefined ? { minor: Number(m[2]) } : {}), ...(m[3] !== undefined ? { patch: Number(m[3]) } : {}), pre: m[4] !== undefined };
}

/** What the table says about the newest migration of the target: bounds, and whether it is exact. */
interface Judgement {
  /** The version in words ("Coder 2.30.0"). */
  name: string;
  /** Coder ships at least this migration (from a release at or before the target). */
  lo?: { n: number; from: string };
  /** And at most this one (from a release at or after the target). */
  hi?: { n: number; from: string };
  exact: boolean;
  /** Not a version the user named: the newest release of the table stands in for "2.x, latest". */
  assumedLatest: boolean;
}

function judgeTarget(profile: Profile, releases: readonly CoderRelease[]): Judgement | undefined {
  const newest = releases.at(-1);
  const target = profile.coderVersion ? parseVersion(profile.coderVersion) : undefined;
  if (!target || target.major !== 2 || target.minor === undefined) {
    if (!newest) return undefined;
    return { name: `Coder ${newest.version}`, lo: { n: newest.newestMigration, from: newest.version }, exact: false, assumedLatest: true };
  }
  const t = target;
  const cmp = (r: CoderRelease): { le: boolean; ge: boolean; eq: boolean } => {
    const v = parseVersion(r.version)!;
    const minor = v.minor ?? 0;
    const patch = v.patch ?? 0;
    if (minor !== t.minor!) return { le: minor < t.minor!, ge: minor > t.minor!, eq: false };
    // "2.18": the latest 2.18 patch, which every 2.18.x in the table is at or before.
    if (t.patch === undefined) return { le: true, ge: false, eq: false };
    // A pre-release comes before its release.
    if (patch === t.patch) return t.pre ? { le: false, ge: true, eq: false } : { le: true, ge: true, eq: true };
    return { le: patch < t.patch, ge: patch > t.patch, eq: false };
  };
  const j: Judgement = { name: `Coder ${profile.coderVersion!.replace(/^v/, '')}`, exact: false, assumedLatest: false };
  for (const r of releases) {
    const c = cmp(r);
    // Later releases never drop a migration: what an earlier release ships, the target has too.
    if (c.le && (!j.lo || r.newestMigration >= j.lo.n)) j.lo = { n: r.newestMigration, from: r.version };
    if (c.ge && (!j.hi || r.newestMigration < j.hi.n)) j.hi = { n: r.newestMigration, from: r.version };
    if (c.eq) j.exact = true;
  }
  return j;
}

type Finding = { status: 'fail' | 'warn'; summary: string; remediation: string };

export default defineCheck({
  id: 'postgres.existing-schema',
  title: 'The database holds no schema that Coder cannot start on',
  category: 'postgres',
  facts: ['postgres.schema'],
  docs: 'https://coder.com/docs/install/upgrade',
  explain: {
    what: 'As Coder\'s role, looks at what is already in the database: Coder 2.x\'s migration table (schema_migrations: version and dirty flag), Coder v1\'s (migration_cursor), other tables in the schema Coder would use, and other sessions and advisory locks on the database. The schema version is compared with the newest migration of the Coder you install (--coder-version), from a table derived from Coder\'s repository (src/postgres/coder-migrations.ts).',
    why: 'Coder migrates its database at start-up and exits on a dirty migration ("Dirty database version N. Fix and force version."), on a Coder v1 database ("currently connected to a Coder v1 database, aborting database setup") and on a schema newer than itself ("no migration found for version N": Coder does not support downgrades without restoring the database). A second Coder already running on the database is either the old version of an upgrade or a mistake.',
    fix: 'Dirty: restore the backup taken before the failed upgrade, or, once migration N is known not to have applied, UPDATE schema_migrations SET version = N-1, dirty = false (set only dirty = false if it applied completely). Coder v1 database: give Coder 2.x a new, empty database. Newer schema: install that Coder version or newer, or restore the backup from before the upgrade. Another Coder on it: stop it before an upgrade, or give this installation its own database.',
  },
  evaluate({ 'postgres.schema': f }, { profile }) {
    const releases = CODER_RELEASES;
    const sm = f.schemaMigrations;
    const schema = f.currentSchema;
    const table = sm ? `${sqlIdent(sm.schema)}.schema_migrations` : 'schema_migrations';
    const isV1Profile = profile.name === 'v1';
    const coderish = f.coderTables.length > 0;
    const version = sm?.version !== null && sm?.version !== undefined && /^-?\d+$/.test(sm.version) ? BigInt(sm.version) : undefined;
    const coderNumbered = version !== undefined && version >= 0n && version < NOT_CODER_NUMBERING;
    const coderSchema = coderish || (coderNumbered && (sm?.rows ?? 0) > 0);

    const otherLocks = f.advisoryLocks.filter((l) => l.pid !== null);
    const migrationLock = otherLocks.filter((l) => l.key === CODER_MIGRATION_LOCK);
    // Coder's small lock ids (1…8) are common; they point to Coder only on a Coder schema.
    const coderLocks = otherLocks.filter((l) => l.key === CODER_MIGRATION_LOCK || (coderSchema && l.key in CODER_LOCKS));
    const listening = f.sessions.filter((s) => s.lastQuery === 'listen').length;
    const hidden = f.sessions.filter((s) => s.lastQuery === 'hidden').length;
    const appNames = [...new Set(f.sessions.map((s) => s.applicationName))];
    const lockWords = (ls: typeof otherLocks) =>
      [...new Set(ls.map((l) => `${CODER_LOCKS[l.key] ?? l.key} lock ${l.granted ? 'held' : 'awaited'} by pid ${l.pid}${l.user ? ` (role ${l.user})` : ''}`))].slice(0, 3).join(', ');

    const judgement = isV1Profile ? undefined : judgeTarget(profile, releases);
    const evidence = {
      database: f.database,
      user: f.user,
      schema,
      relations: f.relationCount,
      relationSample: f.relationSample,
      coderTables: f.coderTables,
      v1MigrationCursor: f.v1MigrationCursor,
      schemaMigrations: sm ? `${sm.schema}.schema_migrations` : null,
      schemaVersion: sm?.version ?? null,
      dirty: sm?.dirty ?? null,
      schemaMigrationsRows: sm?.rows ?? null,
      otherSessions: f.sessionCount,
      listeningSessions: listening,
      sessionsHiddenFromThisRole: hidden,
      sessionApplicationNames: appNames.map((a) => (a === '' ? '(none)' : a)),
      otherAdvisoryLocks: [...new Set(otherLocks.map((l) => CODER_LOCKS[l.key] ? `${l.key} (Coder ${CODER_LOCKS[l.key]})` : l.key))].slice(0, 10),
      targetCoder: judgement?.name.replace(/^Coder /, '') ?? (isV1Profile ? profile.coderVersion ?? '1.x' : null),
      ...(judgement?.assumedLatest ? { verdictFor: `${judgement.name} (the newest release in the migration table; no --coder-version given)` } : {}),
      targetNewestMigration: judgement?.exact ? judgement.lo?.n ?? null : null,
      migrationTable: `${releases.map((r) => `${r.version}→${r.newestMigration}`).join(', ')} (derived ${CODER_MIGRATIONS_GENERATED})`,
      profile: profile.name,
    };

    if (schema === null) {
      return { status: 'skip', summary: `No schema of the search_path exists for role ${f.user} in database ${f.database}: nothing to look at (postgres.privileges tells what to do)`, remediation: 'fix the schema first (coder-preflight explain postgres.privileges)', evidence };
    }

    const findings: Finding[] = [];
    const add = (status: Finding['status'], summary: string, remediation: string) => findings.push({ status, summary, remediation });
    const newDb = `give Coder 2.x a new, empty database (as an admin: CREATE DATABASE coder_v2 OWNER ${sqlIdent(f.user)}) and point its URL there`;

    // Coder v1's database: Coder 2.x aborts on it before touching anything.
    if (f.v1MigrationCursor) {
      if (profile.name === 'v2') {
        add('fail', `Database ${f.database} is a Coder v1 database (migration_cursor in schema ${schema}): Coder 2.x refuses it ("currently connected to a Coder v1 database, aborting database setup")`, `Coder 2.x cannot use or convert a Coder v1 database: ${newDb}; keep this one for Coder v1`);
      } else if (profile.name === 'baseline') {
        add('warn', `Database ${f.database} is a Coder v1 database (migration_cursor in schema ${schema}): Coder 2.x refuses it; Coder v1 would upgrade it in place`, `installing Coder 2.x? ${newDb}. Installing Coder v1? pass --coder-version 1.x to judge for it`);
      }
    }

    if (sm && isV1Profile && coderSchema) {
      add('fail', `Database ${f.database} holds a Coder 2.x schema (${table}, version ${sm.version ?? 'unread'}): Coder v1 cannot use it`, 'give Coder v1 its own, empty database, or install Coder 2.x (pass --coder-version 2.x)');
    } else if (sm && !isV1Profile) {
      if (sm.notRead === 'not-golang-migrate') {
        add('fail', `${table} in database ${f.database} is not golang-migrate's (columns ${sm.columns.map((c) => `${c.name} ${c.type}`).join(', ')}): Coder's migrations read version and dirty from it and would fail`, 'another application owns this schema: give Coder its own database (or its own schema, with search_path in the URL)');
      } else if (sm.notRead === 'unreadable') {
        add('fail', `Role ${f.user} may not read ${table} in database ${f.database}: Coder's migrations read and rewrite it as this role and would fail`, `connect as the role that owns Coder's tables, or as an admin: ALTER TABLE ${table} OWNER TO ${sqlIdent(f.user)}; (and the same for Coder's other tables)`);
      } else if (sm.notRead === 'locked') {
        // Reported below when Coder's migration lock is the reason; here another session locks the table itself.
        if (!migrationLock.length) add('warn', `Another session locks ${table} in database ${f.database} (${sm.locks.map((l) => `${l.mode} ${l.granted ? 'held' : 'awaited'} by pid ${l.pid}`).slice(0, 3).join(', ')}): its version cannot be read now`, 'let that session finish (a migration in progress holds this lock until it commits), then run coder-preflight again');
      } else if (sm.dirty) {
        const n = version ?? 0n;
        add(
          'fail',
          `${table} is dirty at version ${sm.version} in database ${f.database}: a migration did not finish, and Coder stops at start-up ("Dirty database version ${sm.version}. Fix and force version.")`,
          `restore the backup taken before the failed upgrade (Coder: downgrades and failed upgrades need a restore); or, once you know migration ${sm.version} did not apply, as an admin: UPDATE ${table} SET version = ${n - 1n}, dirty = false; (Coder's maintainers' fix in coder/coder#4836) — if it did apply completely: UPDATE ${table} SET dirty = false;`,
        );
      } else if (version !== undefined && !coderNumbered) {
        add('fail', `${table} in database ${f.database} is at version ${sm.version}, which is not a Coder migration number (Coder's run 1 to ${releases.at(-1)?.newestMigration ?? '…'}): another application's migrations live here, and Coder would stop ("no migration found for version ${sm.version}")`, 'give Coder its own database (or its own schema, with search_path in the URL)');
      } else if (sm.rows === 0 && coderish) {
        add('warn', `${table} in database ${f.database} is empty, but Coder's tables exist (${f.coderTables.join(', ')}): Coder would run every migration again over them`, 'restore the database from a backup, or give Coder a new, empty database');
      } else if (version !== undefined && judgement) {
        const d = Number(version);
        const j = judgement;
        if (j.assumedLatest) {
          if (d > j.lo!.n) {
            add('warn', `Schema version ${d} in database ${f.database} is newer than ${j.name} (newest migration ${j.lo!.n}), the newest release this tool knows: installing ${j.name} or older on it would be a downgrade`, `pass --coder-version with the version you install; install the Coder that last migrated this database or newer, or restore the backup from before that upgrade`);
          }
        } else if (j.hi && d > j.hi.n) {
          const of = j.exact ? `${j.name} (newest migration ${j.hi.n})` : `${j.name} (at most migration ${j.hi.n}, the newest of Coder ${j.hi.from})`;
          add('fail', `Schema version ${d} in database ${f.database} is newer than ${of}: installing it is a downgrade, and Coder stops ("no migration found for version ${d}")`, `install the Coder version that last migrated this database or a newer one; to go back to ${j.name}, restore the backup taken before the upgrade (Coder does not support downgrades without restoring the database)`);
        } else if (!j.lo || d > j.lo.n) {
          const known = releases.map((r) => `${r.version}: ${r.newestMigration}`).join(', ');
          add('warn', `Cannot tell whether schema version ${d} in database ${f.database} is newer than ${j.name}: the migration table knows ${known}${j.lo ? ` (${j.name} has at least ${j.lo.n})` : ''}`, `check with the Coder ${j.name.replace(/^Coder /, '')} release that it ships migration ${d} (coderd/database/migrations/${String(d).padStart(6, '0')}_*.up.sql), or regenerate the table (scripts/coder-migrations.sh)`);
        }
      }
    }

    // A Coder starting or migrating right now holds its migration lock (txnmigrator.go) for the whole transaction.
    if (migrationLock.length) {
      add('warn', `A Coder is migrating database ${f.database} right now (${lockWords(migrationLock)}): another Coder already uses it, and its schema version cannot be read until the migration ends`, 'an upgrade in progress: let it finish, then run coder-preflight again; not yours: stop that Coder, or give this installation its own database');
    }

    // Another Coder on this database: its locks, or sessions connected to a Coder schema.
    const otherCoder = coderLocks.length > 0;
    if (!migrationLock.length && (otherCoder || (coderSchema && f.sessionCount > 0))) {
      const how = [
        f.sessionCount > 0 ? `${f.sessionCount} other session(s) connected${listening ? `, ${listening} LISTENing as Coder's pubsub does` : ''}${hidden ? `, ${hidden} of another role (details hidden)` : ''}` : '',
        otherCoder ? lockWords(coderLocks) : '',
      ].filter(Boolean).join('; ');
      add('warn', `Another Coder seems to use database ${f.database} already (${how}): installing a second one on it is either an upgrade or a mistake`, 'an upgrade: expected — the new Coder migrates the schema when it starts, so back the database up and stop the old replicas first; not an upgrade: give this installation its own database');
    }

    // Tables that are not Coder's, in the schema Coder would create its ~80 tables in.
    if (!coderSchema && !f.v1MigrationCursor && !sm?.notRead) {
      const foreign = f.relationSample.filter((r) => r !== 'schema_migrations');
      const count = f.relationCount - (sm && sm.schema === schema ? 1 : 0);
      if (count > 0) {
        add('warn', `Schema ${schema} of database ${f.database} already has ${count} table(s) or view(s) that are not Coder's (${foreign.slice(0, 5).join(', ')}${count > 5 ? ', …' : ''}): Coder creates its tables there, and a name in common stops its migrations`, 'give Coder its own database (or its own schema, with search_path in the URL)');
      }
    }

    const worst = findings.find((x) => x.status === 'fail') ?? findings[0];
    if (worst) {
      const rest = findings.filter((x) => x !== worst);
      return {
        status: worst.status,
        summary: rest.length ? `${worst.summary} (also: ${rest.map((x) => x.summary.split(':')[0]).join('; ')})` : worst.summary,
        remediation: [worst, ...rest].map((x) => x.remediation).join('. Also: '),
        evidence,
      };
    }

    // Nothing in the way.
    if (!sm && !f.v1MigrationCursor) {
      const sessions = f.sessionCount ? ` (${f.sessionCount} other session(s) connected, none holding Coder's locks)` : '';
      return { status: 'pass', summary: `Schema ${schema} of database ${f.database} is empty: Coder will create its schema${sessions}`, evidence };
    }
    if (isV1Profile) {
      return { status: 'pass', summary: `Database ${f.database} is a Coder v1 database (migration_cursor): Coder v1 upgrades it in place`, evidence };
    }
    if (!coderSchema || version === undefined || !judgement) {
      return { status: 'pass', summary: `${table} in database ${f.database} has no version yet and no Coder tables: Coder will create its schema`, evidence };
    }
    const d = Number(version);
    const j = judgement;
    const lo = j.lo!.n;
    const upgrade = d === lo && (j.exact || j.assumedLatest) ? `at ${j.name}'s newest migration (same schema)` : d < lo && (j.exact || j.assumedLatest) ? `${j.name} will migrate it from ${d} to ${lo} (an upgrade in place)` : `${j.name} ships migration ${d} (it has at least ${lo}, the newest of Coder ${j.lo!.from}): an upgrade in place`;
    const forWhich = j.assumedLatest ? ` — judged for ${j.name}, the newest release this tool knows; pass --coder-version for yours` : '';
    return { status: 'pass', summary: `Coder schema at version ${d}, clean, in database ${f.database}: ${upgrade}${forWhich}`, evidence };
  },
});
