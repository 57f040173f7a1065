// The collector registry: one entry per fact id in FactMap.
import type { CollectorRegistry } from './store.ts';
import kubernetesApiServices from './kubernetes/apiservices.ts';
import kubernetesCni from './kubernetes/cni.ts';
import kubernetesStorageClasses from './kubernetes/storageclasses.ts';
import kubernetesVersion from './kubernetes/version.ts';
import postgresConnections from './postgres/connections.ts';
import postgresListenNotify from './postgres/listen-notify.ts';
import postgresPrivileges from './postgres/privileges.ts';
import postgresServer from './postgres/server.ts';

export const collectors: CollectorRegistry = {
  'kubernetes.version': kubernetesVersion,
  'kubernetes.apiservices': kubernetesApiServices,
  'kubernetes.storageclasses': kubernetesStorageClasses,
  'kubernetes.cni': kubernetesCni,
  'postgres.server': postgresServer,
  'postgres.privileges': postgresPrivileges,
  'postgres.connections': postgresConnections,
  'postgres.listen-notify': postgresListenNotify,
};
