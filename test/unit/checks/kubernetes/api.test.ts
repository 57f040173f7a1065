import { expect } from 'vitest';
import check from '../../../../checks/kubernetes/api.ts';
import type { KubeVersionFact } from '../../../../src/facts/kubernetes/version.ts';
import { failed, testCheck, type CheckCase } from '../../../helpers/check-tester.ts';

const version: KubeVersionFact = { server: 'https://127.0.0.1:6443', context: 'admin', source: '--kubeconfig', gitVersion: 'v1.35.2', major: 1, minor: 35, platform: 'linux/amd64', requestMs: 2.1 };

const noAnswer = (reason: Parameters<typeof failed>[0]): CheckCase => ({
  name: `the API server does not answer (${reason})`,
  facts: { 'kubernetes.version': failed(reason, 'no answer', { hint: 'do this' }) },
  summary: 'The API server does not answer: no answer',
  remediation: 'do this',
  evidence: { reason },
  check: (r) => expect(r.remediation).toBe('do this'),
});

const cannotDecide = (reason: Parameters<typeof failed>[0]): CheckCase => ({
  name: `it cannot decide (${reason})`,
  facts: { 'kubernetes.version': failed(reason, 'm', { hint: 'h' }) },
  summary: 'Could not gather kubernetes.version: m',
  remediation: 'h',
  evidence: { reason },
});

testCheck(check, {
  pass: [
    {
      name: 'the server version as evidence',
      facts: { 'kubernetes.version': version },
      vantage: 'this machine (t)',
      summary: 'v1.35.2',
      evidence: { version: 'v1.35.2', context: 'admin', server: 'https://127.0.0.1:6443' },
      check: (r) => expect(r.vantage).toBe('this machine (t)'), // requestMs was measured from here
    },
  ],
  fail: (['unauthorized', 'unreachable', 'dns', 'tls', 'timeout', 'protocol', 'invalid-config'] as const).map(noAnswer),
  skip: [
    {
      name: 'no cluster is configured',
      facts: { 'kubernetes.version': failed('not-configured', 'No Kubernetes cluster configured', { hint: 'pass --kubeconfig' }) },
      summary: 'No Kubernetes cluster configured',
      remediation: 'pass --kubeconfig',
      check: (r) => expect(r.remediation).toBe('pass --kubeconfig'),
    },
  ],
  // An error, not a pass or a fail, when it cannot decide.
  error: (['forbidden', 'bug', 'aborted'] as const).map(cannotDecide),
});
