// Which Coder the user is about to install decides the thresholds (design.md, "Profiles").
import { ConfigError } from '../errors.ts';
import type { Thresholds } from '../engine/types.ts';

export type ProfileName = 'baseline' | 'v1' | 'v2';

export interface Profile {
  name: ProfileName;
  /** The Coder version given, if any. */
  coderVersion?: string;
  /** Where the profile came from, for the report. */
  source: string;
}

/** Thresholds per profile; each result says which profile (and so which row) applied. */
const V1_CONNECTIONS = {
  poolPerReplica: 30,
  extraPerReplica: 0,
  factor: 1,
  strictlyBelow: true,
  source: 'Coder v1 docs (guides/deployments/postgres): replicas × 30 (CODER_MAX_DB_CONNECTIONS) must be below max_connections less reserved slots',
};

/** Thresholds per profile; each result says which profile (and so which row) applied. */
export const THRESHOLDS: Record<ProfileName, Thresholds> = {
  // The seeds (Coder v1 requirements): PostgreSQL ≥ 11 with contrib; Coder 2.x refuses < 13, so warn below 13.
  baseline: { postgresMinMajor: 11, postgresRecommendedMajor: 13, connections: V1_CONNECTIONS },
  v1: { postgresMinMajor: 11, postgresRecommendedMajor: 11, connections: V1_CONNECTIONS },
  // Coder 2.x: cli/server.go refuses server_version_num < 130000.
  v2: {
    postgresMinMajor: 13,
    postgresRecommendedMajor: 13,
    connections: {
      poolPerReplica: 10,
      extraPerReplica: 1,
      factor: 1.2,
      strictlyBelow: false,
      source: 'Coder 2.x scale docs: max_connections ≥ replicas × CODER_PG_CONN_MAX_OPEN (10) + ~20 %; plus one LISTEN connection per replica (coderd/database/pubsub)',
    },
  },
};

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
