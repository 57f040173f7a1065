// Which extensions the server offers (pg_available_extensions) and which are installed in Coder's
// database (pg_extension). Coder v1 asks for "PostgreSQL 11 with the contrib package".
//
// pg_available_extensions parses every control file in the server's extension directory, and one
// file it cannot parse makes the whole view fail (a PostgreSQL 10 with control files from a newer
// build: `unrecognized parameter "trusted" in file ".../jsonb_plperl.control"`). Then each contrib
// extension is probed on its own with pg_extension_update_paths(name), which reads only that
// extension's control file, needs no privilege and changes nothing.
import { CONTRIB_EXTENSIONS } from '../../postgres/contrib.ts';
import { serverError } from '../../postgres/server-error.ts';
import { withPostgres, type PgSession } from '../../postgres/session.ts';
import { defineCollector } from '../collector.ts';

export interface PostgresExtensionsFact {
  /**
   * How `available` was read: 'pg_available_extensions' (every extension the server offers), or
   * 'probe' when that view failed (only the contrib extensions, one control file each).
   */
  method: 'pg_available_extensions' | 'probe';
  /** The error pg_available_extensions gave, when it failed; else null. */
  viewError: string | null;
  /** Extension names the server offers (with 'probe': the contrib ones it has a readable control file for). */
  available: string[];
  /** With 'probe': contrib extensions whose control file exists but cannot be read, with the server's error. */
  unreadable: { name: string; error: string }[];
  /** Extensions installed in this database. */
  installed: { name: string; version: string }[];
}

declare module '../types.ts' {
  interface FactMap {
    'postgres.extensions': PostgresExtensionsFact;
  }
}

/** 58P01 (no such control file, PostgreSQL ≤ 16) or 0A000 ("extension … is not available", 17+). */
const NOT_THERE = new Set(['58P01', '0A000']);

async function probe(s: PgSession): Promise<Pick<PostgresExtensionsFact, 'available' | 'unreadable'>> {
  const available: string[] = [];
  const unreadable: { name: string; error: string }[] = [];
  for (const name of CONTRIB_EXTENSIONS) {
    try {
      await s.query('SELECT count(*) FROM pg_extension_update_paths($1::name)', [name]);
      available.push(name);
    } catch (e) {
      const err = serverError(e);
      if (!err) throw e;
      if (!NOT_THERE.has(err.code)) unreadable.push({ name, error: err.message });
    }
  }
  return { available, unreadable };
}

export default defineCollector({
  id: 'postgres.extensions',
  // The probe is one short query per contrib extension (about 50), on the shared session.
  timeoutMs: 20_000,
  collect: (ctx) =>
    withPostgres(ctx, async (s) => {
      const installed = await s.query<{ name: string; version: string }>('SELECT extname AS name, extversion AS version FROM pg_extension ORDER BY extname');
      try {
        const rows = await s.query<{ name: string }>('SELECT name FROM pg_available_extensions ORDER BY name');
        return { method: 'pg_available_extensions', viewError: null, available: rows.map((r) => r.name), unreadable: [], installed };
      } catch (e) {
        const err = serverError(e);
        if (!err) throw e;
        return { method: 'probe', viewError: `${err.message} (SQLSTATE ${err.code})`, ...(await probe(s)), installed };
      }
    }),
});
