// The extensions PostgreSQL's contrib package ships (contrib/ of the PostgreSQL source, 10–18),
// without the procedural languages (plperl, plpython, pltcl: src/pl, packaged on their own) and
// the transforms that need them (hstore_plperl, jsonb_plpython3u, …). A server "with contrib"
// offers these; one installed without the contrib package offers only plpgsql.
// Shared by the postgres.extensions collector (which probes them one by one when
// pg_available_extensions cannot be read) and the postgres.contrib check.

export const CONTRIB_EXTENSIONS: readonly string[] = [
  'adminpack', 'amcheck', 'autoinc', 'bloom', 'btree_gin', 'btree_gist', 'chkpass', 'citext', 'cube', 'dblink',
  'dict_int', 'dict_xsyn', 'earthdistance', 'file_fdw', 'fuzzystrmatch', 'hstore', 'insert_username', 'intagg',
  'intarray', 'isn', 'lo', 'ltree', 'moddatetime', 'old_snapshot', 'pageinspect', 'pg_buffercache',
  'pg_freespacemap', 'pg_logicalinspect', 'pg_prewarm', 'pg_stat_statements', 'pg_surgery', 'pg_trgm',
  'pg_visibility', 'pg_walinspect', 'pgcrypto', 'pgrowlocks', 'pgstattuple', 'postgres_fdw', 'refint', 'seg',
  'sslinfo', 'tablefunc', 'tcn', 'timetravel', 'tsm_system_rows', 'tsm_system_time', 'unaccent', 'uuid-ossp', 'xml2',
];

/** The contrib extensions applications ask for most; named in the evidence when one is missing. */
export const COMMON_CONTRIB: readonly string[] = ['pgcrypto', 'uuid-ossp', 'citext', 'pg_trgm', 'hstore', 'btree_gist', 'pg_stat_statements'];

export const isContrib = (name: string): boolean => CONTRIB_EXTENSIONS.includes(name);
