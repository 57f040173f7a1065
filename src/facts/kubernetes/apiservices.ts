import { defineCollector } from '../collector.ts';
import { loadK8s } from '../../kube/client.ts';
import { kubeConfig, kubeFactError } from './client.ts';
import type { ApiServiceFact } from '../types.ts';

export default defineCollector({
  id: 'kubernetes.apiservices',
  timeoutMs: 10_000,
  async collect(ctx) {
    const kc = await kubeConfig(ctx);
    const k8s = await loadK8s();
    try {
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
    } catch (e) {
      throw kubeFactError(ctx, e, 'list apiservices.apiregistration.k8s.io');
    }
  },
});
