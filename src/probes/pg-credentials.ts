// The database login a probe pod needs, without ever putting a secret in a pod spec, an argument,
// an event or a log: the password and the TLS files go into one short-lived Secret in the scratch
// namespace (gone with it), mounted read-only at /probe-pg; the pod's args carry the settings
// without them and say which file holds what (src/probes/agent/pg-login.ts reads them back).
// A TLS file the settings name but this machine does not have is left as the path it is: Coder's
// pod may have it mounted there; the probe pod does not, and says so.
import { existsSync, readFileSync } from 'node:fs';
import type { V1Secret } from '@kubernetes/client-node';
import type { PgSettings } from '../inputs/pgurl.ts';
import type { AccessQuestion } from '../kubernetes/access.ts';
import type { PgFileKey, PodPgSettings } from './agent/pg-login.ts';
import type { ProbePodOptions } from './pods.ts';
import type { ProbeSession } from './session.ts';

export const PG_SECRET = 'coder-preflight-pg-login';
export const PG_MOUNT = '/probe-pg';
const FILE_KEYS: PgFileKey[] = ['sslrootcert', 'sslcert', 'sslkey'];

export interface PgLogin {
  login: PodPgSettings;
  /** The pod's volume and mount for the Secret. */
  pod: Pick<ProbePodOptions, 'volumes' | 'mounts'>;
  /** TLS files the settings name that this machine does not have (the probe pod has them neither). */
  missingFiles: string[];
}

/** What creating the login Secret takes. */
export const pgLoginNeeds = (namespace: string): AccessQuestion[] => [{ verb: 'create', group: '', resource: 'secrets', namespace }];

/** The Secret's data and the pod's view of the settings (pure: the test reads it). */
export function pgLoginSecret(s: PgSettings): { data: Record<string, string>; login: PodPgSettings; missingFiles: string[] } {
  const { password, sslrootcert, sslcert, sslkey, ...rest } = s;
  const data: Record<string, string> = {};
  const files: PodPgSettings['files'] = {};
  const missingFiles: string[] = [];
  const given = { sslrootcert, sslcert, sslkey };
  for (const k of FILE_KEYS) {
    const v = given[k];
    if (!v) continue;
    if (s.sslinline) data[k] = v;
    else if (existsSync(v)) data[k] = readFileSync(v, 'utf8');
    else {
      files[k] = v;
      missingFiles.push(`${k} ${v}`);
      continue;
    }
    files[k] = `${PG_MOUNT}/${k}`;
  }
  if (password !== undefined) data['password'] = password;
  const login: PodPgSettings = { settings: rest, files, ...(password !== undefined ? { passwordFile: `${PG_MOUNT}/password` } : {}), ...(s.sslinline ? { inline: true } : {}) };
  return { data, login, missingFiles };
}

const made = new WeakMap<ProbeSession, Promise<void>>();

/** The login for a probe pod: the Secret is created once per run, whichever probe asks first. */
export async function pgLogin(session: ProbeSession, s: PgSettings): Promise<PgLogin> {
  const { data, login, missingFiles } = pgLoginSecret(s);
  let p = made.get(session);
  if (!p) {
    const secret: V1Secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: PG_SECRET }, type: 'Opaque', stringData: data };
    p = session.create(secret).then(() => undefined);
    made.set(session, p);
  }
  await p;
  // 0400, root-owned (the kubelet writes it; fsGroup adds group read): lib/pq accepts a key file
  // of at most 0640 that root owns, and the probe's user reads it through its group.
  return { login, missingFiles, pod: { volumes: [{ name: 'pg-login', secret: { secretName: PG_SECRET, defaultMode: 0o400 } }], mounts: [{ name: 'pg-login', mountPath: PG_MOUNT }] } };
}
