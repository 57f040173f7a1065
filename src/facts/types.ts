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

export interface PostgresPrivilegesFact {
  user: string;
  superuser: boolean;
  database: string;
  databaseOwner: string;
  /** current_schema(): null when no schema of the search_path exists or the role may not use any. */
  currentSchema: string | null;
  searchPath: string;
  /** The schemas of the search_path that exist, in order, with the role's rights on each. */
  searchPathSchemas: { name: string; owner: string; usage: boolean; create: boolean }[];
  /** CREATE on the database (create schemas). */
  databaseCreate: boolean;
}

export interface ListenNotifyFact {
  channel: string;
  /** NOTIFY arrived at the listening connection. */
  delivered: boolean;
  /** Time from pg_notify() to delivery, ms (null when not delivered). */
  deliveryMs: number | null;
  waitedMs: number;
  /** pg_listening_channels() on the listener, right after LISTEN: empty means a pooler switched connections. */
  listeningChannels: string[];
  /** pg_is_in_recovery(): a standby cannot LISTEN. */
  inRecovery: boolean;
}

export interface PostgresConnectionsFact {
  maxConnections: number;
  superuserReserved: number;
  /** reserved_connections (PostgreSQL 16+; 0 before). */
  reservedConnections: number;
  /** Client backends connected right now, all roles (pg_stat_activity). */
  inUse: number;
  /** Of those, coder-preflight's own. */
  ours: number;
}

export interface StorageClassFact {
  name: string;
  provisioner: string;
  /** storageclass.kubernetes.io/is-default-class (or the beta annotation) is "true". */
  isDefault: boolean;
  volumeBindingMode: string;
  reclaimPolicy: string;
  allowVolumeExpansion: boolean;
}

export interface DaemonSetFact {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  containers: { name: string; image: string; args: string[] }[];
  desired: number;
  ready: number;
}

export interface CniFact {
  /** Every DaemonSet in the cluster (CNIs run as DaemonSets), without env or volumes. */
  daemonSets: DaemonSetFact[];
  /** Settings that switch enforcement on or off, from well-known ConfigMaps (absent: not there). */
  config: {
    /** kube-system/cilium-config enable-policy: default | always | never. */
    ciliumEnablePolicy?: string;
    /** kube-system/amazon-vpc-cni enable-network-policy-controller. */
    awsNetworkPolicyController?: string;
  };
}

export interface FactMap {
  'kubernetes.version': KubeVersionFact;
  'kubernetes.apiservices': ApiServicesFact;
  'kubernetes.storageclasses': { items: StorageClassFact[] };
  'kubernetes.cni': CniFact;
  'postgres.server': PostgresServerFact;
  'postgres.privileges': PostgresPrivilegesFact;
  'postgres.connections': PostgresConnectionsFact;
  'postgres.listen-notify': ListenNotifyFact;
}
