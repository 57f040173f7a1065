// The collector registry: one entry per fact id in FactMap.
import type { CollectorRegistry } from './store.ts';
import kubernetesVersion from './kubernetes/version.ts';
import postgresServer from './postgres/server.ts';

export const collectors: CollectorRegistry = {
  'kubernetes.version': kubernetesVersion,
  'postgres.server': postgresServer,
};
