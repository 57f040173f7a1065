import { expect } from 'vitest';
import check from '../../../../checks/kubernetes/api.ts';
import type { KubeVersionFact } from '../../../../src/facts/kubernetes/version.ts';
import { failed, testCheck, type CheckCase } from '../../../helpers/check-tester.ts';

const version: KubeVersionFact = { server: 'https://127.0.0.1:6443', context: 'admin', source: '--kubeconfig', gitVersion: 'v1.35.2', major: 1, minor: 35, platform: 'linux/amd64', requestMs: 2.1 };

const WORDS = {
  'invalid-config': 'The kubeconfig cannot be used',
  unauthorized: 'The credentials are not accepted',
  tls: "The API server's certificate does not check out",
  protocol: 'The server does not answer like a Kubernetes API server',
} as const;

const finding = (reason: keyof typeof WORDS): CheckCase => ({
  name: `the kubeconfig or the server is wrong (${reason})`,
  facts: { 'kubernetes.version': failed(reason, 'why', { hint: 'do this' }) },
  summary: `${WORDS[reason]}: why`,
  remediation: 'do this',
  evidence: { reason },
});

// Nothing answered from here: an error naming where it was tried, as for PostgreSQL.
const noAnswer = (reason: Parameters<typeof failed>[0]): CheckCase => ({
  name: `nothing answers from here (${reason})`,
  facts: { 'kubernetes.version': failed(reason, 'no answer', { hint: 'do this' }) },
  vantage: 'this machine (t)',
  summary: 'Could not reach the API server from this machine: no answer',
  remediation: 'do this. Run coder-preflight where you will run helm install.',
  evidence: { reason },
  check: (r) => expect(r.vantage).toBe('this machine (t)'),
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
  fail: (['unauthorized', 'tls', 'protocol', 'invalid-config'] as const).map(finding),
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
  error: [...(['unreachable', 'dns', 'timeout'] as const).map(noAnswer), ...(['forbidden', 'bug', 'aborted'] as const).map(cannotDecide)],
});
