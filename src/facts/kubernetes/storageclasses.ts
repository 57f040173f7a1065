import { defineCollector } from '../collector.ts';
import { loadK8s } from '../../kube/client.ts';
import { kubeConfig, kubeFactError } from './client.ts';

const DEFAULT_ANNOTATIONS = ['storageclass.kubernetes.io/is-default-class', 'storageclass.beta.kubernetes.io/is-default-class'];

export default defineCollector({
  id: 'kubernetes.storageclasses',
  timeoutMs: 10_000,
  async collect(ctx) {
    const kc = await kubeConfig(ctx);
    const k8s = await loadK8s();
    try {
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
    } catch (e) {
      throw kubeFactError(ctx, e, 'list storageclasses.storage.k8s.io');
    }
  },
});
