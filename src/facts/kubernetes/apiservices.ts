import { defineCollector } from '../collector.ts';
import { withKube } from '../../kubernetes/with-kube.ts';

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

declare module '../types.ts' {
  interface FactMap {
    'kubernetes.apiservices': ApiServicesFact;
  }
}

export default defineCollector({
  id: 'kubernetes.apiservices',
  timeoutMs: 10_000,
  collect: (ctx) =>
    withKube(ctx, 'list apiservices.apiregistration.k8s.io', async (k8s, kc) => {
      const list = await kc.makeApiClient(k8s.ApiregistrationV1Api).listAPIService();
      const items: ApiServiceFact[] = list.items.map((a) => {
        const cond = a.status?.conditions?.find((c) => c.type === 'Available');
        const svc = a.spec?.service;
        return {
          name: a.metadata?.name ?? '',
          group: a.spec?.group ?? '',
          version: a.spec?.version ?? '',
          local: !svc,
          service: svc ? `${svc.namespace}/${svc.name}` : null,
          available: cond?.status === 'True' ? 'True' : cond?.status === 'False' ? 'False' : 'Unknown',
          reason: cond?.reason ?? null,
          message: cond?.message ?? null,
        };
      });
      return { items: items.sort((a, b) => a.name.localeCompare(b.name)) };
    }),
});
