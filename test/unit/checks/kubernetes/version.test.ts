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
    { name: 'Coder 2.x: one of the three minors upstream supports', facts: server('v1.35.4', 1, 35), profile: 'v2', summary: 'meets the chart\'s minimum 1.19', threshold: { value: '>= 1.19, recommended >= 1.35', source: /helm\/coder\/Chart\.yaml.*1\.35-1\.37 on 2026-12-02/ } },
    { name: 'Coder 1.31: inside its published window', facts: server('v1.23.17', 1, 23), profile: { name: 'v1', coderVersion: '1.31.2', source: '--coder-version 1.31.2' }, summary: 'Kubernetes 1.23 (v1.23.17) is one Coder 1.31 supports (1.22-1.24)', evidence: { supportedByCoder: '1.22-1.24' } },
    { name: 'exactly the recommended 1.21', facts: server('v1.21.0', 1, 21), summary: 'Kubernetes 1.21' },
  ],
  warn: [
    { name: 'baseline: 1.20 is accepted but below what Coder v1 wants', facts: server('v1.20.15', 1, 20), summary: 'Coder v1 warns below 1.21', remediation: /upgrade the cluster to 1\.21/ },
    { name: 'Coder v1: 1.19 warns', facts: server('v1.19.16', 1, 19), profile: 'v1', summary: 'accepted by the chart' },
    { name: 'Coder 2.x: 1.19 is accepted, but out of upstream support', facts: server('v1.19.16', 1, 19), profile: 'v2', summary: 'older than the three minors upstream Kubernetes still supports (1.35 and newer)', remediation: /no security fixes/ },
    { name: 'Coder 1.31 on a newer cluster than it supports', facts: server('v1.30.1', 1, 30), profile: { name: 'v1', coderVersion: '1.31.2', source: 't' }, summary: 'Kubernetes 1.30 is outside what Coder 1.31 supports (1.22-1.24)', remediation: /move to Coder v2/ },
    { name: 'Coder 1.26 on an older one', facts: server('v1.19.16', 1, 19), profile: { name: 'v1', coderVersion: '1.26.0', source: 't' }, summary: 'Kubernetes 1.19 is outside what Coder 1.26 supports (1.20-1.22)', remediation: 'upgrade the cluster into 1.20-1.22' },
    { name: 'a stricter recommendation from the config file', facts: server('v1.30.1', 1, 30), options: { recommendedMinor: 32 }, summary: 'below 1.32', threshold: { source: /sets recommendedMinor=32/ } },
  ],
  fail: [
    { name: '1.18 is refused by the chart', facts: server('v1.18.20', 1, 18), summary: 'Kubernetes v1.18.20 is older than 1.19: helm install of Coder\'s chart refuses it', remediation: 'upgrade the cluster to 1.21 or newer' },
    { name: 'Coder 2.x: 1.18 fails too', facts: server('v1.18.0', 1, 18), profile: 'v2', summary: 'older than 1.19', remediation: 'upgrade the cluster to 1.35 or newer' },
    { name: 'Coder 1.28+ requires 1.21', facts: server('v1.20.15', 1, 20), profile: { name: 'v1', coderVersion: '1.29.0', source: 't' }, summary: 'Coder 1.29 requires Kubernetes 1.21 or later; this cluster runs v1.20.15' },
  ],
  skip: [{ name: 'no cluster configured', facts: { 'kubernetes.version': failed('not-configured', 'No Kubernetes cluster configured', { hint: 'pass --kubeconfig' }) }, summary: 'No Kubernetes cluster configured', remediation: 'pass --kubeconfig' }],
  error: [
    { name: 'the API server did not answer', facts: { 'kubernetes.version': failed('unreachable', 'connection refused') }, summary: 'Could not gather kubernetes.version: connection refused' },
    { name: 'a version that is not major.minor', facts: server('v1.x-weird', 1, Number.NaN), summary: 'not major.minor', remediation: /kubectl version/ },
  ],
});
