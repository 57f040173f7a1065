// The chart's default Service is type LoadBalancer: on a cluster where nothing implements that
// (bare metal without MetalLB, kube-vip or k3s ServiceLB), its EXTERNAL-IP stays <pending> and
// nobody can reach Coder; AWS's classic ELB refuses sessionAffinity ClientIP
// (coder-install-failures.md K7, rank 17; the chart's values.yaml coder.service).
import { defineCheck } from '../../src/engine/define.ts';

/** spec.providerID schemes of clouds whose controller manager provisions load balancers. */
const CLOUDS: Record<string, string> = {
  aws: 'AWS',
  gce: 'Google Cloud',
  azure: 'Azure',
  oci: 'Oracle Cloud',
  digitalocean: 'DigitalOcean',
  linode: 'Akamai (Linode)',
  ibm: 'IBM Cloud',
  openstack: 'OpenStack',
  hcloud: 'Hetzner Cloud',
  exoscale: 'Exoscale',
  scaleway: 'Scaleway',
  vsphere: 'vSphere (with its cloud provider)',
  alicloud: 'Alibaba Cloud',
  huaweicloud: 'Huawei Cloud',
  tencentcloud: 'Tencent Cloud',
};
const NLB_ANNOTATION = /^service\.beta\.kubernetes\.io\/aws-load-balancer-type$/;

export default defineCheck({
  id: 'kubernetes.load-balancer',
  title: 'Something will give Coder\'s LoadBalancer Service an address',
  category: 'kubernetes',
  facts: ['kubernetes.load-balancers', 'kubernetes.nodes'],
  docs: 'https://coder.com/docs/install/kubernetes#load-balancing-considerations',
  defaults: {
    baseline: { serviceType: 'LoadBalancer', source: 'Coder Helm chart default: coder.service.type LoadBalancer (v1: coderd.serviceSpec.type LoadBalancer)' },
  },
  explain: {
    what: 'With a Service of type LoadBalancer (the chart\'s default), looks for what would give it an address: a cloud provider on the nodes (spec.providerID), a load-balancer controller (MetalLB, kube-vip, k3s ServiceLB, the AWS Load Balancer Controller, OpenELB, PureLB, LoxiLB), or LoadBalancer Services that already have an address. Names known bad combinations: sessionAffinity ClientIP on AWS without the AWS Load Balancer Controller (the classic ELB refuses it).',
    why: 'Users and workspaces reach Coder through that Service. Without an implementation its EXTERNAL-IP stays <pending> forever and the install looks healthy while nobody can connect; on AWS a classic ELB fails with "Unsupported load balancer affinity: ClientIP".',
    fix: 'Install a load-balancer implementation (MetalLB or kube-vip on bare metal), or expose Coder another way: coder.service.type NodePort, or ClusterIP behind an Ingress (coder.ingress). On AWS keep coder.service.sessionAffinity None, or use the AWS Load Balancer Controller (NLB).',
  },
  evaluate({ 'kubernetes.load-balancers': lb, 'kubernetes.nodes': nodes }, { deployment, options }) {
    const svc = deployment.service;
    const type = svc?.type ?? options.serviceType;
    const clouds = [...new Set(nodes.items.map((n) => n.provider).filter((p) => CLOUDS[p]))];
    const withAddress = lb.services.filter((s) => s.addresses.length > 0);
    const pending = lb.services.filter((s) => s.addresses.length === 0);
    const readyControllers = lb.controllers.filter((c) => c.ready);
    const evidence = {
      serviceType: type,
      serviceFrom: svc?.where ?? options.source,
      sessionAffinity: svc?.sessionAffinity ?? 'None',
      cloudProviders: clouds.map((p) => CLOUDS[p]!),
      controllers: lb.controllers.map((c) => `${c.kind} (${c.workload}${c.ready ? '' : ', not ready'})`),
      loadBalancerServices: lb.services.length,
      withAddress: withAddress.slice(0, 5).map((s) => `${s.namespace}/${s.name}: ${s.addresses.join(', ')}`),
      pending: pending.slice(0, 5).map((s) => `${s.namespace}/${s.name}`),
    };
    if (svc && !svc.enabled) return { status: 'skip', summary: `The values turn Coder's Service off (coder.service.enable: false): no load balancer is needed`, remediation: 'expose Coder yourself (an Ingress or a Service of your own)', evidence };
    if (type !== 'LoadBalancer') return { status: 'skip', summary: `Coder's Service is type ${type} (${evidence.serviceFrom}): no load balancer is needed`, remediation: 'nothing to do here; make sure users can reach that Service (NodePort, or an Ingress)', evidence };
    const aws = clouds.includes('aws');
    const awsController = readyControllers.some((c) => c.kind === 'AWS Load Balancer Controller');
    const nlb = (svc?.annotations ?? []).some((a) => NLB_ANNOTATION.test(a));
    if (aws && svc?.sessionAffinity === 'ClientIP' && !awsController && !nlb) {
      return {
        status: 'fail',
        summary: 'sessionAffinity ClientIP on AWS without the AWS Load Balancer Controller: the classic ELB refuses it ("Unsupported load balancer affinity: ClientIP") and the Service stays <pending>',
        remediation: 'set coder.service.sessionAffinity: None (the chart\'s default), or install the AWS Load Balancer Controller and use an NLB',
        evidence,
      };
    }
    const reasons = [
      ...clouds.map((p) => `the nodes run on ${CLOUDS[p]} (its cloud controller provisions load balancers)`),
      ...readyControllers.map((c) => `${c.kind} runs (${c.workload})`),
      ...(withAddress.length ? [`${withAddress.length} LoadBalancer Service${withAddress.length > 1 ? 's have' : ' has'} an address (${withAddress[0]!.namespace}/${withAddress[0]!.name})`] : []),
    ];
    if (reasons.length) return { status: 'pass', summary: `A LoadBalancer Service will get an address: ${reasons.join('; ')}`, evidence };
    if (lb.controllers.length) {
      return {
        status: 'warn',
        summary: `${lb.controllers.map((c) => `${c.kind} (${c.workload})`).join(', ')} is installed but not ready: LoadBalancer Services get no address until it is`,
        remediation: `look at its pods: kubectl -n ${lb.controllers[0]!.workload.split(' ')[1]!.split('/')[0]} get pods`,
        evidence,
      };
    }
    return {
      status: 'warn',
      summary: `Nothing here gives a LoadBalancer Service an address (no cloud provider on the nodes, no load-balancer controller${pending.length ? `, and ${pending.length} LoadBalancer Service${pending.length > 1 ? 's are' : ' is'} already pending: ${pending.slice(0, 3).map((s) => `${s.namespace}/${s.name}`).join(', ')}` : ''}): Coder's EXTERNAL-IP would stay <pending>`,
      remediation: 'install MetalLB or kube-vip, or set coder.service.type: NodePort (or ClusterIP with coder.ingress)',
      evidence,
    };
  },
});
