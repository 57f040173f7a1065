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
    what: 'As the role in the connection string, finds the schema Coder\'s tables would go to (the first schema of the search_path that exists) and whether the role may USE and CREATE in it; reports database and schema owners and superuser status.',
    why: 'Coder creates and migrates its tables on start. On PostgreSQL 15 and newer the public schema no longer lets every role CREATE, so a role that does not own the database or schema fails its first migration ("permission denied for schema public"). A search_path naming a schema that does not exist leaves no current schema at all.',
    fix: 'Make the role own its database (ALTER DATABASE coder OWNER TO coder) or its schema (ALTER SCHEMA public OWNER TO coder), or GRANT USAGE, CREATE ON SCHEMA <schema> TO coder. For a custom search_path, create the schema first (CREATE SCHEMA <name> AUTHORIZATION coder).',
  },
  evaluate({ 'postgres.privileges': f, 'postgres.server': server }) {
    const version = server.version;
    // Where Coder's tables would go: current_schema(), else the first existing schema of the path.
    const target = f.searchPathSchemas.find((x) => x.name === f.currentSchema) ?? f.searchPathSchemas[0];
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
      serverVersion: version,
    };
    if (!target) {
      return {
        status: 'fail',
        summary: `No schema of the search_path "${f.searchPath}" exists in database ${f.database}: Coder would have nowhere to create its tables`,
        remediation: `create the schema (CREATE SCHEMA <name> AUTHORIZATION ${sqlIdent(f.user)}) or fix search_path in the connection URL`,
        evidence,
      };
    }
    if (!target.usage || !target.create) {
      const missing = [!target.usage && 'USAGE', !target.create && 'CREATE'].filter(Boolean).join(' and ');
      const pg15Public = target.name === 'public' && target.usage && server.major >= 15;
      return {
        status: 'fail',
        summary: `Role ${f.user} lacks ${missing} on schema ${target.name} (owner ${target.owner}) in database ${f.database}: Coder's migrations would fail${pg15Public ? ' (PostgreSQL 15+ no longer lets every role create in public)' : ''}`,
        remediation: `as an admin: ALTER SCHEMA ${sqlIdent(target.name)} OWNER TO ${sqlIdent(f.user)}; or GRANT USAGE, CREATE ON SCHEMA ${sqlIdent(target.name)} TO ${sqlIdent(f.user)}; or make ${f.user} the owner of database ${f.database}`,
        evidence,
      };
    }
    const why = f.superuser ? 'superuser' : target.owner === f.user ? `owner of schema ${target.name}` : f.databaseOwner === f.user ? `owner of database ${f.database}` : 'granted CREATE';
    return { status: 'pass', summary: `Role ${f.user} can create tables in schema ${target.name} of database ${f.database} (${why})`, evidence };
  },
});
