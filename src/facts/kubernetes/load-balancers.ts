// What would give a LoadBalancer Service an address: the LoadBalancer Services that exist (with
// their addresses, or still pending), and the load-balancer controllers that run in the cluster.
import { listAll, withKube } from '../../kubernetes/with-kube.ts';
import { defineCollector } from '../collector.ts';

export interface LoadBalancerServiceFact {
  namespace: string;
  name: string;
  /** status.loadBalancer.ingress IPs and host names; empty while pending. */
  addresses: string[];
  loadBalancerClass: string | null;
}

export interface LoadBalancerControllerFact {
  /** What it is, e.g. "MetalLB". */
  kind: string;
  /** "Deployment ns/name" or "DaemonSet ns/name". */
  workload: string;
  ready: boolean;
}

export interface LoadBalancersFact {
  services: LoadBalancerServiceFact[];
  controllers: LoadBalancerControllerFact[];
}

declare module '../types.ts' {
  interface FactMap {
    'kubernetes.load-balancers': LoadBalancersFact;
  }
}

/** Workloads that implement LoadBalancer Services, by their usual names. */
const CONTROLLERS: { kind: string; match: RegExp }[] = [
  { kind: 'AWS Load Balancer Controller', match: /^aws-load-balancer-controller$/ },
  { kind: 'MetalLB', match: /^(metallb-)?(controller|speaker)$/ },
  { kind: 'kube-vip', match: /^kube-vip(-ds|-cloud-provider)?$/ },
  { kind: 'k3s ServiceLB (klipper-lb)', match: /^svclb-/ },
  { kind: 'OpenELB', match: /^openelb-(manager|controller)$/ },
  { kind: 'PureLB', match: /^(purelb-)?allocator$|^lbnodeagent$/ },
  { kind: 'LoxiLB', match: /^kube-loxilb$/ },
  { kind: 'a cloud controller manager', match: /cloud-controller-manager$/ },
];
/** Names shared with other software: only count them in these namespaces. */
const NAMESPACED: Record<string, RegExp> = { MetalLB: /metallb/, PureLB: /purelb/ };

export default defineCollector({
  id: 'kubernetes.load-balancers',
  timeoutMs: 15_000,
  collect: (ctx) =>
    withKube(ctx, 'list services, deployments and daemonsets in all namespaces', async (k8s, kc) => {
      const core = kc.makeApiClient(k8s.CoreV1Api);
      const apps = kc.makeApiClient(k8s.AppsV1Api);
      const services: LoadBalancerServiceFact[] = [];
      const controllers: LoadBalancerControllerFact[] = [];
      const consider = (what: string, namespace: string, name: string, ready: boolean) => {
        const c = CONTROLLERS.find((x) => x.match.test(name) && (!NAMESPACED[x.kind] || NAMESPACED[x.kind]!.test(namespace)));
        if (c) controllers.push({ kind: c.kind, workload: `${what} ${namespace}/${name}`, ready });
      };
      await listAll(
        (o) => core.listServiceForAllNamespaces(o),
        (s) => {
          if (s.spec?.type !== 'LoadBalancer') return;
          const addresses = (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? i.hostname ?? '').filter(Boolean);
          services.push({ namespace: s.metadata?.namespace ?? '', name: s.metadata?.name ?? '', addresses, loadBalancerClass: s.spec?.loadBalancerClass ?? null });
        },
      );
      await listAll((o) => apps.listDeploymentForAllNamespaces(o), (d) => consider('Deployment', d.metadata?.namespace ?? '', d.metadata?.name ?? '', (d.status?.readyReplicas ?? 0) > 0));
      // Every DaemonSet is already read for kubernetes.cni: use that list when there is one.
      const cni = await ctx.fact('kubernetes.cni');
      if (cni.ok) for (const d of cni.value.daemonSets) consider('DaemonSet', d.namespace, d.name, d.ready > 0);
      else await listAll((o) => apps.listDaemonSetForAllNamespaces(o), (d) => consider('DaemonSet', d.metadata?.namespace ?? '', d.metadata?.name ?? '', (d.status?.numberReady ?? 0) > 0));
      return { services, controllers };
    }),
});
