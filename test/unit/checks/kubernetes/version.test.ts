import check from '../../../../checks/kubernetes/version.ts';
import type { KubeVersionFact } from '../../../../src/facts/kubernetes/version.ts';
import { failed, testCheck } from '../../../helpers/check-tester.ts';

const server = (gitVersion: string, major: number, minor: number): { 'kubernetes.version': KubeVersionFact } => ({
  'kubernetes.version': { server: 'https://127.0.0.1:6443', context: 'admin', source: '--kubeconfig', gitVersion, major, minor, platform: 'linux/amd64', requestMs: 1 },
});

testCheck(check, {
  pass: [
    { name: 'a current release', facts: server('v1.35.4', 1, 35), summary: 'Kubernetes 1.35 (v1.35.4) meets the chart\'s minimum 1.19', threshold: { value: '>= 1.19, recommended >= 1.21', source: /kubeVersion >= 1\.19\.0-0/ } },
    { name: 'a managed platform\'s version string', facts: server('v1.31.2-gke.1000000', 1, 31), summary: 'v1.31.2-gke.1000000', evidence: { minor: 31 } },
    { name: 'Coder 2.x: 1.19 is enough', facts: server('v1.19.16', 1, 19), profile: 'v2', summary: 'meets the chart\'s minimum 1.19', threshold: { value: '>= 1.19', source: /helm\/coder\/Chart\.yaml/ } },
    { name: 'exactly the recommended 1.21', facts: server('v1.21.0', 1, 21), summary: 'Kubernetes 1.21' },
  ],
  warn: [
    { name: 'baseline: 1.20 is accepted but below what Coder v1 wants', facts: server('v1.20.15', 1, 20), summary: 'Coder v1 warns below 1.21', remediation: /upgrade the cluster to 1\.21/ },
    { name: 'Coder v1: 1.19 warns', facts: server('v1.19.16', 1, 19), profile: 'v1', summary: 'accepted by the chart' },
    { name: 'a stricter recommendation from the config file', facts: server('v1.30.1', 1, 30), options: { recommendedMinor: 32 }, summary: 'below 1.32', threshold: { source: /sets recommendedMinor=32/ } },
  ],
  fail: [
    { name: '1.18 is refused by the chart', facts: server('v1.18.20', 1, 18), summary: 'Kubernetes v1.18.20 is older than 1.19: helm install of Coder\'s chart refuses it', remediation: 'upgrade the cluster to 1.21 or newer' },
    { name: 'Coder 2.x: 1.18 fails too', facts: server('v1.18.0', 1, 18), profile: 'v2', summary: 'older than 1.19', remediation: 'upgrade the cluster to 1.19 or newer' },
  ],
  skip: [{ name: 'no cluster configured', facts: { 'kubernetes.version': failed('not-configured', 'No Kubernetes cluster configured', { hint: 'pass --kubeconfig' }) }, summary: 'No Kubernetes cluster configured', remediation: 'pass --kubeconfig' }],
  error: [
    { name: 'the API server did not answer', facts: { 'kubernetes.version': failed('unreachable', 'connection refused') }, summary: 'Could not gather kubernetes.version: connection refused' },
    { name: 'a version that is not major.minor', facts: server('v1.x-weird', 1, Number.NaN), summary: 'not major.minor', remediation: /kubectl version/ },
  ],
});
