import { defineCollector } from '../collector.ts';
import { withKube } from '../../kubernetes/with-kube.ts';

export interface StorageClassFact {
  name: string;
  provisioner: string;
  /** storageclass.kubernetes.io/is-default-class (or the beta annotation) is "true". */
  isDefault: boolean;
  volumeBindingMode: string;
  reclaimPolicy: string;
  allowVolumeExpansion: boolean;
}

declare module '../types.ts' {
  interface FactMap {
    'kubernetes.storageclasses': { items: StorageClassFact[] };
  }
}

const DEFAULT_ANNOTATIONS = ['storageclass.kubernetes.io/is-default-class', 'storageclass.beta.kubernetes.io/is-default-class'];

export default defineCollector({
  id: 'kubernetes.storageclasses',
  timeoutMs: 10_000,
  collect: (ctx) =>
    withKube(ctx, 'list storageclasses.storage.k8s.io', async (k8s, kc) => {
      const list = await kc.makeApiClient(k8s.StorageV1Api).listStorageClass();
      const items = list.items.map((sc) => ({
        name: sc.metadata?.name ?? '',
        provisioner: sc.provisioner,
        isDefault: DEFAULT_ANNOTATIONS.some((a) => sc.metadata?.annotations?.[a] === 'true'),
        volumeBindingMode: sc.volumeBindingMode ?? 'Immediate',
        reclaimPolicy: sc.reclaimPolicy ?? 'Delete',
        allowVolumeExpansion: sc.allowVolumeExpansion ?? false,
      }));
      return { items: items.sort((a, b) => a.name.localeCompare(b.name)) };
    }),
});
