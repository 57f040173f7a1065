// How the agent logs in to the database from inside a probe pod, the way Coder's lib/pq would
// (src/postgres/connect.ts, bundled into the agent): the settings come in the pod's args without
// the password or any TLS file; those are files of a short-lived Secret mounted at /probe-pg
// (src/probes/pg-credentials.ts), read here and put back where the settings had them.
import { readFileSync } from 'node:fs';
import type { PgSettings } from '../../inputs/pgurl.ts';

export type PgFileKey = 'sslrootcert' | 'sslcert' | 'sslkey';

/** The settings as they travel in the pod's args: no secret in them, only where to read it. */
export interface PodPgSettings {
  /** PgSettings without password, sslrootcert, sslcert and sslkey. */
  settings: Omit<PgSettings, 'password' | PgFileKey>;
  /** The password's file (in the mounted Secret), when the settings have one. */
  passwordFile?: string;
  /** A TLS file's path in the mounted Secret, or the path as given when this machine had no such file. */
  files: Partial<Record<PgFileKey, string>>;
  /** sslinline: the files hold PEM text that goes back into the settings as text. */
  inline?: boolean;
}

/** The settings the agent connects with. */
export function podSettings(p: PodPgSettings): PgSettings {
  const s: PgSettings = { ...(p.settings as PgSettings) };
  if (p.passwordFile) s.password = readFileSync(p.passwordFile, 'utf8');
  for (const [k, path] of Object.entries(p.files) as [PgFileKey, string][]) s[k] = p.inline ? readFileSync(path, 'utf8') : path;
  return s;
}
