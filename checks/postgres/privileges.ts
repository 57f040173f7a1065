// Coder runs its own migrations at start-up, so its role must be able to create tables in its
// schema. Since PostgreSQL 15, `public` no longer grants CREATE to everyone: a role that does not
// own the database or schema fails there (coder-requirements.md §3b; install-failures #10, #22).
import { defineCheck } from '../../src/engine/define.ts';
import { sqlIdent } from '../../src/postgres/sql.ts';

export default defineCheck({
  id: 'postgres.privileges',
  title: 'Coder\'s database role can create its tables',
  category: 'postgres',
  facts: ['postgres.privileges', 'postgres.server'],
  docs: 'https://coder.com/docs/tutorials/external-database',
  explain: {
    what: 'As the role in the connection string, finds the schema Coder\'s tables would go to (the first schema of the search_path that exists) and whether the role may USE and CREATE in it, whether it may call the advisory-lock functions Coder\'s migrations and replicas use (pg_advisory_xact_lock, pg_try_advisory_xact_lock; it takes one with a key of its own), and reports database and schema owners and superuser status (informational: Coder needs no superuser).',
    why: 'Coder creates and migrates its tables on start, inside a transaction that holds pg_advisory_xact_lock(1037453835920848937) (coderd/database/migrations/txnmigrator.go). On PostgreSQL 15 and newer the public schema no longer lets every role CREATE, so a role that does not own the database or schema fails its first migration ("permission denied for schema public"). A search_path naming a schema that does not exist leaves no current schema at all.',
    fix: 'Make the role own its database (ALTER DATABASE coder OWNER TO coder; enough on PostgreSQL 15+, where public belongs to the database owner) or its schema (ALTER SCHEMA public OWNER TO coder), or GRANT USAGE, CREATE ON SCHEMA <schema> TO coder. For a custom search_path, create the schema first (CREATE SCHEMA <name> AUTHORIZATION coder). Where EXECUTE on the advisory-lock functions was revoked: GRANT EXECUTE ON FUNCTION pg_catalog.pg_advisory_xact_lock(bigint), pg_catalog.pg_try_advisory_xact_lock(bigint) TO coder.',
  },
  evaluate({ 'postgres.privileges': f, 'postgres.server': server }) {
    const version = server.version;
    const user = sqlIdent(f.user);
    const db = sqlIdent(f.database);
    // Where Coder's tables would go: current_schema(), else the first existing schema of the path.
    const target = f.searchPathSchemas.find((x) => x.name === f.currentSchema) ?? f.searchPathSchemas[0];
    const locks = f.advisoryLocks;
    const evidence = {
      user: f.user,
      superuser: f.superuser,
      database: f.database,
      databaseOwner: f.databaseOwner,
      searchPath: f.searchPath,
      schema: target?.name ?? null,
      schemaOwner: target?.owner ?? null,
      schemaUsage: target?.usage ?? null,
      schemaCreate: target?.create ?? null,
      advisoryXactLock: locks.xactLock,
      tryAdvisoryXactLock: locks.tryXactLock,
      advisoryLockAcquired: locks.acquired,
      ...(locks.error ? { advisoryLockError: locks.error } : {}),
      serverVersion: version,
    };
    const problems: { summary: string; remediation: string }[] = [];

    if (!target) {
      // The schema Coder would use: the search_path's first entry ("$user" is the role's own name).
      const first = f.searchPath.split(',')[0]?.trim().replace(/^"(.*)"$/, '$1').replace('$user', f.user) || f.user;
      problems.push({
        summary: `No schema of the search_path "${f.searchPath}" exists in database ${f.database}: Coder would have nowhere to create its tables`,
        remediation: `as an admin: CREATE SCHEMA ${sqlIdent(first)} AUTHORIZATION ${user}; (or fix search_path in the connection URL)`,
      });
    } else if (!target.usage || !target.create) {
      const missing = [!target.usage && 'USAGE', !target.create && 'CREATE'].filter(Boolean).join(' and ');
      const pg15Public = target.name === 'public' && target.usage && server.major >= 15;
      const schema = sqlIdent(target.name);
      // On PostgreSQL 15+ public belongs to pg_database_owner: owning the database is enough there.
      const viaDatabase = target.owner === 'pg_database_owner' ? `; or ALTER DATABASE ${db} OWNER TO ${user};` : ';';
      problems.push({
        summary: `Role ${f.user} lacks ${missing} on schema ${target.name} (owner ${target.owner}) in database ${f.database}: Coder's migrations would fail${pg15Public ? ' (PostgreSQL 15+ no longer lets every role create in public)' : ''}`,
        remediation: `as an admin: GRANT USAGE, CREATE ON SCHEMA ${schema} TO ${user}; or ALTER SCHEMA ${schema} OWNER TO ${user}${viaDatabase}`,
      });
    }

    // Coder's migrations lock with pg_advisory_xact_lock (coderd/database/migrations/txnmigrator.go);
    // its replicas coordinate with pg_try_advisory_xact_lock (coderd/database/queries/lock.sql).
    const noExecute = [!locks.xactLock && 'pg_advisory_xact_lock(bigint)', !locks.tryXactLock && 'pg_try_advisory_xact_lock(bigint)'].filter((x): x is string => Boolean(x));
    if (noExecute.length) {
      problems.push({
        summary: `Role ${f.user} may not EXECUTE ${noExecute.join(' or ')}: Coder takes its migration lock with pg_advisory_xact_lock and would fail at start-up`,
        remediation: `as an admin: GRANT EXECUTE ON FUNCTION ${noExecute.map((fn) => `pg_catalog.${fn}`).join(', ')} TO ${user};`,
      });
    }
    if (problems.length) {
      return { status: 'fail', summary: problems.map((p) => p.summary).join('; and '), remediation: problems.map((p) => p.remediation).join(' Also: '), evidence };
    }
    if (locks.acquired !== true) {
      return {
        status: 'warn',
        summary: `Role ${f.user} may call Coder's advisory-lock functions, but pg_try_advisory_xact_lock did not take a lock (${locks.error ?? `it returned ${locks.acquired}`}): Coder's migration lock may not work here`,
        remediation: 'connect directly to the PostgreSQL server (not through a proxy that rewrites or blocks advisory locks), and run coder-preflight again',
        evidence,
      };
    }
    const why = f.superuser
      ? 'superuser: Coder does not need it, and managed services do not give it'
      : target!.owner === f.user ? `owner of schema ${target!.name}` : f.databaseOwner === f.user ? `owner of database ${f.database}` : 'granted CREATE';
    return { status: 'pass', summary: `Role ${f.user} can create tables in schema ${target!.name} of database ${f.database} and take Coder's advisory locks (${why})`, evidence };
  },
});
