// PostgreSQL part of the local test world: real servers (10..18) on loopback, their TLS/mTLS,
// no-contrib and small-max_connections variants, and PgBouncer in transaction-pooling mode.
// Implementation in test/world/postgres/*.ts; this is the entry point the world CLI and tests import.
export { PG_MAJORS, isPgMajor, pgPackageDir, pgInstallDir, pgInstallDirWithoutContrib, type PgMajor } from './postgres/binaries.ts';
export type { PgTlsFiles } from './postgres/tls.ts';
export {
  startPostgres,
  stopPostgres,
  stopPostgresDaemon,
  withClient,
  stopWorldDaemon,
  isPostmaster,
  type PgInstance,
  type PgRole,
  type PgAuthMethod,
  type PgPublicSchema,
  type PgTlsMode,
  type StartPostgresOptions,
  type StopPostgresOptions,
} from './postgres/server.ts';
export {
  startPgBouncer,
  stopPgBouncer,
  pgbouncerAvailable,
  PGBOUNCER_BIN,
  type PgBouncerInstance,
  type StartPgBouncerOptions,
} from './postgres/pgbouncer.ts';
