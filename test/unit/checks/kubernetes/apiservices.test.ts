import check from '../../../../checks/kubernetes/apiservices.ts';
import type { ApiServiceFact, ApiServicesFact } from '../../../../src/facts/kubernetes/apiservices.ts';
import { failed, testCheck } from '../../../helpers/check-tester.ts';

const local = (name: string, available: ApiServiceFact['available'] = 'True'): ApiServiceFact => {
  const [version = '', ...g] = name.split('.');
  return { name, group: g.join('.'), version, local: true, service: null, available, reason: null, message: null };
};
const builtins = ['v1.', 'v1.apps', 'v1.rbac.authorization.k8s.io', 'v1.networking.k8s.io', 'v1.storage.k8s.io', 'v1.batch', 'v2.autoscaling'].map((n) => local(n));
const metrics = (available: ApiServiceFact['available']): ApiServiceFact => ({
  name: 'v1beta1.metrics.k8s.io', group: 'metrics.k8s.io', version: 'v1beta1', local: false, service: 'kube-system/metrics-server', available,
  reason: available === 'False' ? 'ServiceNotFound' : 'Passed', message: null,
});
const apiservices = (items: ApiServiceFact[]): { 'kubernetes.apiservices': ApiServicesFact } => ({ 'kubernetes.apiservices': { items } });

testCheck(check, {
  pass: [
    {
      name: 'the built-in groups and an Available metrics API',
      facts: apiservices([...builtins, metrics('True')]),
      summary: 'All 8 APIServices are Available, including the groups Coder uses and metrics.k8s.io',
      evidence: { metricsApi: 'Available (kube-system/metrics-server)', missing: [], notAvailable: [] },
    },
    { name: 'Coder 2.x: no metrics.k8s.io is fine', facts: apiservices(builtins), profile: 'v2', summary: 'All 7 APIServices are Available, including the groups Coder uses' },
  ],
  warn: [
    {
      name: 'a registered but unavailable aggregated API (a broken metrics-server), named',
      facts: apiservices([...builtins, metrics('False')]),
      profile: 'v2',
      summary: /v1beta1\.metrics\.k8s\.io \(Available=False: ServiceNotFound, service kube-system\/metrics-server\)/,
      remediation: /metrics-server/,
    },
    { name: 'the default profile: no metrics.k8s.io', facts: apiservices(builtins), summary: 'metrics.k8s.io is not installed' },
    { name: 'Coder v1: no metrics.k8s.io', facts: apiservices(builtins), profile: 'v1', summary: 'metrics.k8s.io is not installed' },
  ],
  fail: [
    {
      name: 'a built-in group Coder uses is missing',
      facts: apiservices([...builtins.filter((a) => a.name !== 'v1.networking.k8s.io'), metrics('True')]),
      summary: 'v1.networking.k8s.io missing',
    },
    {
      name: 'a built-in group Coder uses is not Available',
      facts: apiservices([...builtins.filter((a) => a.name !== 'v1.apps'), local('v1.apps', 'False'), metrics('True')]),
      summary: 'Required API groups v1.apps (Available=False: no reason)',
    },
  ],
  skip: [{ name: 'no cluster', facts: { 'kubernetes.apiservices': failed('not-configured', 'none', { hint: 'h' }) }, summary: 'none', remediation: 'h' }],
  error: [{ name: 'APIServices may not be listed', facts: { 'kubernetes.apiservices': failed('forbidden', 'forbidden') }, summary: 'Could not gather kubernetes.apiservices: forbidden' }],
});
