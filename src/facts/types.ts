// Every fact family the collectors can gather, by id. Checks declare ids from this map and get
// exactly these shapes. Facts are plain data (they go into support bundles and are replayed).

export interface KubeVersionFact {
  server: string;
  context: string;
  source: string;
  gitVersion: string;
  major: number;
  minor: number;
  platform: string;
  /** Round-trip of the /version request from this process, ms. */
  requestMs: number;
}

export interface PostgresServerFact {
  host: string;
  port: number;
  database: string;
  user: string;
  /** Where the settings came from (flag, env, values file). */
  source: string;
  /** lib/pq's effective sslmode. */
  sslmode: string;
  tls: boolean;
  /** `SHOW server_version_num`, e.g. 170002. */
  versionNum: number;
  /** `SHOW server_version`, e.g. "17.2". */
  version: string;
  major: number;
  /** `SELECT version()`: build string. */
  versionString: string;
  connectMs: number;
}

export interface ApiServiceFact {
  /** e.g. "v1beta1.metrics.k8s.io"; the core group is "v1." */
  name: string;
  group: string;
  version: string;
  /** Served by the apiserver itself (no backing Service). */
  local: boolean;
  /** "namespace/name" of the backing Service for aggregated APIs. */
  service: string | null;
  available: 'True' | 'False' | 'Unknown';
  reason: string | null;
  message: string | null;
}

export interface ApiServicesFact {
  items: ApiServiceFact[];
}

export interface FactMap {
  'kubernetes.version': KubeVersionFact;
  'kubernetes.apiservices': ApiServicesFact;
  'postgres.server': PostgresServerFact;
}
