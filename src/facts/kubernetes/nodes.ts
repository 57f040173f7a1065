// Every node's labels, taints, readiness and allocatable resources (paginated: a cluster of
// thousands of nodes is read once, 500 at a time, keeping only what scheduling decisions need).
import { cpuMillis, mebibytes } from '../../kubernetes/quantity.ts';
import type { Taint } from '../../kubernetes/scheduling.ts';
import { listAll, withKube } from '../../kubernetes/with-kube.ts';
import { defineCollector } from '../collector.ts';

export interface NodeFact {
  name: string;
  labels: Record<string, string>;
  taints: Taint[];
  unschedulable: boolean;
  /** The Ready condition is True. */
  ready: boolean;
  allocatable: { cpuMillis: number; memoryMi: number; pods: number };
  /** spec.providerID's scheme (aws, gce, azure, kwok…), or "" when none. */
  provider: string;
}

export interface NodesFact {
  items: NodeFact[];
}

declare module '../types.ts' {
  interface FactMap {
    'kubernetes.nodes': NodesFact;
  }
}

export default defineCollector({
  id: 'kubernetes.nodes',
  timeoutMs: 20_000,
  collect: (ctx) =>
    withKube(ctx, 'list nodes (cluster-scoped)', async (k8s, kc) => {
      const core = kc.makeApiClient(k8s.CoreV1Api);
      const items: NodeFact[] = [];
      await listAll(
        (o) => core.listNode(o),
        (n) => {
          const a = n.status?.allocatable ?? {};
          items.push({
            name: n.metadata?.name ?? '',
            labels: n.metadata?.labels ?? {},
            taints: (n.spec?.taints ?? []).map((t) => ({ key: t.key, ...(t.value ? { value: t.value } : {}), effect: t.effect })),
            unschedulable: n.spec?.unschedulable === true,
            ready: (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
            allocatable: { cpuMillis: cpuMillis(a.cpu), memoryMi: mebibytes(a.memory), pods: Number(a.pods ?? 0) },
            provider: (n.spec?.providerID ?? '').split(':')[0] ?? '',
          });
        },
      );
      return { items: items.sort((x, y) => x.name.localeCompare(y.name)) };
    }),
});
