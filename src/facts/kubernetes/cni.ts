import { defineCollector, type CollectContext } from '../collector.ts';
import { classifyKubeError } from '../../kubernetes/client.ts';
import { listAll, withKube } from '../../kubernetes/with-kube.ts';

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
    /**
     * Settings whose ConfigMap exists or may exist but could not be read (a 403, a timeout): the
     * check cannot assume the default, since the setting may switch enforcement off.
     */
    unreadable?: { configMap: string; key: string; reason: string; message: string }[];
  };
  /** What the network-policy probe proved in this run (--probe network-policy / --active), beside the detection. */
  probe?: { verdict: 'enforced' | 'not-enforced' | 'inconclusive'; node?: string; reason?: string };
}

declare module '../types.ts' {
  interface FactMap {
    'kubernetes.cni': CniFact;
  }
}

export default defineCollector({
  id: 'kubernetes.cni',
  timeoutMs: 15_000,
  async collect(ctx) {
    const detected = await detect(ctx);
    // Beside the detection, what the probe proved when it ran (its own check judges it in full).
    const p = await ctx.fact('probe.network-policy');
    if (!p.ok || p.value.state !== 'ran') return detected;
    const v = p.value;
    return { ...detected, probe: { verdict: v.verdict, ...(v.node ? { node: v.node } : {}), ...(v.reason ? { reason: v.reason } : {}) } };
  },
});

function detect(ctx: CollectContext): Promise<CniFact> {
  return withKube(ctx, 'list daemonsets in all namespaces', async (k8s, kc) => {
      const apps = kc.makeApiClient(k8s.AppsV1Api);
      const core = kc.makeApiClient(k8s.CoreV1Api);
      // Paginated: a large cluster has many DaemonSets, and only their shape matters here.
      const daemonSets: DaemonSetFact[] = [];
      await listAll(
        (o) => apps.listDaemonSetForAllNamespaces(o),
        (ds) =>
          daemonSets.push({
            namespace: ds.metadata?.namespace ?? '',
            name: ds.metadata?.name ?? '',
            labels: ds.metadata?.labels ?? {},
            containers: (ds.spec?.template.spec?.containers ?? []).map((c) => ({ name: c.name, image: c.image ?? '', args: [...(c.command ?? []), ...(c.args ?? [])] })),
            desired: ds.status?.desiredNumberScheduled ?? 0,
            ready: ds.status?.numberReady ?? 0,
          }),
      );

      const config: CniFact['config'] = {};
      // Absent (404) means the default applies; anything else means we do not know.
      const configValue = async (name: string, key: string): Promise<string | undefined> => {
        try {
          return (await core.readNamespacedConfigMap({ name, namespace: 'kube-system' })).data?.[key];
        } catch (e) {
          const c = classifyKubeError(e);
          if (c.status === 404) return undefined;
          (config.unreadable ??= []).push({ configMap: `kube-system/${name}`, key, reason: c.reason, message: c.message });
          return undefined;
        }
      };
      if (daemonSets.some((d) => d.name === 'cilium')) {
        const v = await configValue('cilium-config', 'enable-policy');
        if (v !== undefined) config.ciliumEnablePolicy = v;
      }
      if (daemonSets.some((d) => d.name === 'aws-node')) {
        const v = await configValue('amazon-vpc-cni', 'enable-network-policy-controller');
        if (v !== undefined) config.awsNetworkPolicyController = v;
      }
      return { daemonSets, config };
    });
}
