import { defineCollector } from '../collector.ts';
import { classifyKubeError } from '../../kubernetes/client.ts';
import { withKube } from '../../kubernetes/with-kube.ts';

export interface StorageClassFact {
  name: string;
  provisioner: string;
  /** storageclass.kubernetes.io/is-default-class (or the beta annotation) is "true". */
  isDefault: boolean;
  volumeBindingMode: string;
  reclaimPolicy: string;
  allowVolumeExpansion: boolean;
  /** allowedTopologies[].matchLabelExpressions: where its volumes may be provisioned (empty: anywhere). */
  allowedTopologies: { key: string; values: string[] }[][];
}

export interface StorageClassesFact {
  items: StorageClassFact[];
  /** Names of the CSIDriver objects (registered CSI drivers); null when they could not be listed. */
  csiDrivers: string[] | null;
  /** Why csiDrivers is null. */
  csiDriversError?: string;
}

declare module '../types.ts' {
  interface FactMap {
    'kubernetes.storageclasses': StorageClassesFact;
  }
}

const DEFAULT_ANNOTATIONS = ['storageclass.kubernetes.io/is-default-class', 'storageclass.beta.kubernetes.io/is-default-class'];

export default defineCollector({
  id: 'kubernetes.storageclasses',
  timeoutMs: 10_000,
  collect: (ctx) =>
    withKube(ctx, 'list storageclasses.storage.k8s.io', async (k8s, kc) => {
      const storage = kc.makeApiClient(k8s.StorageV1Api);
      const [list, drivers] = await Promise.all([storage.listStorageClass(), storage.listCSIDriver().then((d) => ({ ok: d }), (e: unknown) => ({ err: e }))]);
      const items = list.items.map((sc) => ({
        name: sc.metadata?.name ?? '',
        provisioner: sc.provisioner,
        isDefault: DEFAULT_ANNOTATIONS.some((a) => sc.metadata?.annotations?.[a] === 'true'),
        volumeBindingMode: sc.volumeBindingMode ?? 'Immediate',
        reclaimPolicy: sc.reclaimPolicy ?? 'Delete',
        allowVolumeExpansion: sc.allowVolumeExpansion ?? false,
        allowedTopologies: (sc.allowedTopologies ?? []).map((t) => (t.matchLabelExpressions ?? []).map((e) => ({ key: e.key, values: e.values ?? [] }))).filter((t) => t.length > 0),
      }));
      const csi = 'ok' in drivers ? { csiDrivers: drivers.ok.items.map((d) => d.metadata?.name ?? '').sort() } : { csiDrivers: null, csiDriversError: classifyKubeError(drivers.err).message };
      return { items: items.sort((a, b) => a.name.localeCompare(b.name)), ...csi };
    }),
});
