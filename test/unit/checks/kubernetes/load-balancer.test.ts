import check from '../../../../checks/kubernetes/load-balancer.ts';
import type { Deployment, ServiceSettings } from '../../../../src/engine/types.ts';
import type { LoadBalancersFact } from '../../../../src/facts/kubernetes/load-balancers.ts';
import type { NodeFact } from '../../../../src/facts/kubernetes/nodes.ts';
import { failed, testCheck } from '../../../helpers/check-tester.ts';

const node = (name: string, provider: string): NodeFact => ({ name, labels: {}, taints: [], unschedulable: false, ready: true, allocatable: { cpuMillis: 4000, memoryMi: 16000, pods: 110 }, provider });
const facts = (lb: Partial<LoadBalancersFact> = {}, providers: string[] = ['']) => ({
  'kubernetes.load-balancers': { services: [], controllers: [], ...lb },
  'kubernetes.nodes': { items: providers.map((p, i) => node(`n${i}`, p)) },
});
const service = (over: Partial<ServiceSettings> = {}): Deployment => ({
  replicas: 1,
  replicasSource: 'values',
  service: { enabled: true, type: 'LoadBalancer', sessionAffinity: 'None', loadBalancerClass: '', annotations: [], where: 'values coder.service', ...over },
});

testCheck(check, {
  pass: [
    { name: 'nodes on a cloud provider', facts: facts({}, ['aws', 'aws']), summary: 'the nodes run on AWS (its cloud controller provisions load balancers)', evidence: { cloudProviders: ['AWS'] } },
    { name: 'MetalLB runs on bare metal', facts: facts({ controllers: [{ kind: 'MetalLB', workload: 'Deployment metallb-system/controller', ready: true }] }), summary: 'MetalLB runs (Deployment metallb-system/controller)' },
    { name: 'a LoadBalancer Service already has an address', facts: facts({ services: [{ namespace: 'ingress', name: 'nginx', addresses: ['192.0.2.10'], loadBalancerClass: null }] }), summary: '1 LoadBalancer Service has an address (ingress/nginx)', evidence: { withAddress: ['ingress/nginx: 192.0.2.10'] } },
    { name: 'ClientIP on AWS with the AWS Load Balancer Controller', facts: facts({ controllers: [{ kind: 'AWS Load Balancer Controller', workload: 'Deployment kube-system/aws-load-balancer-controller', ready: true }] }, ['aws']), deployment: service({ sessionAffinity: 'ClientIP' }), summary: 'AWS Load Balancer Controller runs' },
  ],
  warn: [
    {
      name: 'bare metal with nothing to implement LoadBalancer',
      facts: facts({ services: [{ namespace: 'default', name: 'web', addresses: [], loadBalancerClass: null }] }),
      summary: "Nothing here gives a LoadBalancer Service an address (no cloud provider on the nodes, no load-balancer controller, and 1 LoadBalancer Service is already pending: default/web): Coder's EXTERNAL-IP would stay <pending>",
      remediation: /install MetalLB or kube-vip, or set coder\.service\.type: NodePort/,
    },
    { name: 'a controller that is not ready', facts: facts({ controllers: [{ kind: 'kube-vip', workload: 'DaemonSet kube-system/kube-vip-ds', ready: false }] }), summary: 'kube-vip (DaemonSet kube-system/kube-vip-ds) is installed but not ready', remediation: 'look at its pods: kubectl -n kube-system get pods' },
  ],
  fail: [
    {
      name: 'sessionAffinity ClientIP on AWS\'s classic ELB',
      facts: facts({}, ['aws']),
      deployment: service({ sessionAffinity: 'ClientIP' }),
      summary: 'Unsupported load balancer affinity: ClientIP',
      remediation: /coder\.service\.sessionAffinity: None/,
    },
  ],
  skip: [
    { name: 'a NodePort Service needs no load balancer', facts: facts(), deployment: service({ type: 'NodePort' }), summary: "Coder's Service is type NodePort (values coder.service): no load balancer is needed" },
    { name: 'the Service is turned off', facts: facts(), deployment: service({ enabled: false }), summary: 'coder.service.enable: false' },
    { name: 'no cluster', facts: { 'kubernetes.load-balancers': failed('not-configured', 'No Kubernetes cluster configured', { hint: 'pass --kubeconfig' }), 'kubernetes.nodes': failed('not-configured', 'No Kubernetes cluster configured') }, summary: 'No Kubernetes cluster configured' },
  ],
  error: [{ name: 'services may not be listed', facts: { 'kubernetes.load-balancers': failed('forbidden', 'forbidden (403)'), 'kubernetes.nodes': { items: [] } }, summary: 'Could not gather kubernetes.load-balancers: forbidden (403)' }],
});
