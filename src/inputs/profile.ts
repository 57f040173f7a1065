// Which Coder the user is about to install: from --coder-version, else the values file's shape,
// else the baseline. The thresholds themselves live with their checks (`defaults` per profile).
import { ConfigError } from '../errors.ts';
import type { Profile } from '../engine/types.ts';

export type { Profile, ProfileName } from '../engine/types.ts';

export function profileFromVersion(version: string): Profile {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:[-+].*)?$/.exec(version.trim());
  if (!m) {
    throw new ConfigError(
      `--coder-version "${version}" is not a version`,
      'give the Coder version you will install, e.g. --coder-version 2.18.0 (or 1.44 for Coder v1)',
    );
  }
  const major = Number(m[1]);
  if (major !== 1 && major !== 2) {
    throw new ConfigError(`--coder-version ${version}: only Coder 1.x and 2.x are known`, 'use e.g. --coder-version 2.18.0');
  }
  return { name: major === 1 ? 'v1' : 'v2', coderVersion: version.trim(), source: `--coder-version ${version.trim()}` };
}

export const BASELINE_PROFILE: Profile = {
  name: 'baseline',
  source: 'default (no --coder-version and no values file): the strictest reading of Coder v1 and v2 docs',
};
