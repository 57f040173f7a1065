// Everything else — helm install, the checks that follow — needs an API server that answers with
// these credentials. Coder's Helm chart needs Kubernetes ≥ 1.19 (coder-requirements.md §6).
import { defineCheck } from '../../src/engine/define.ts';

/** Failures that say the API server does not answer these credentials (the rest: could not decide). */
const FINDINGS = new Set(['unauthorized', 'unreachable', 'dns', 'tls', 'timeout', 'protocol', 'invalid-config']);

export default defineCheck({
  id: 'kubernetes.api',
  title: 'Kubernetes API server answers',
  category: 'kubernetes',
  facts: ['kubernetes.version'],
  docs: 'https://coder.com/docs/install/kubernetes',
  explain: {
    what: 'Calls /version on the API server of the selected kubeconfig context and reports the server version and round-trip time.',
    why: 'helm install and every other check need an API server that answers with these credentials. A stale token, a wrong CA or a VPN that is down shows up here first, with the reason.',
    fix: 'Point --kubeconfig/--context at the cluster you will install Coder into; refresh expired credentials (e.g. your cloud CLI\'s get-credentials); check VPN, DNS and firewalls for the server URL.',
  },
  // The server not answering with these credentials is a finding, not "could not look".
  onFactFailure({ 'kubernetes.version': v }) {
    if (v.ok || !FINDINGS.has(v.reason)) return undefined;
    return {
      status: 'fail',
      summary: `The API server does not answer: ${v.message}`,
      remediation: v.hint ?? 'check the kubeconfig and the network path to the API server',
      evidence: { reason: v.reason, ...(v.detail ?? {}) },
    };
  },
  evaluate({ 'kubernetes.version': f }, { vantage }) {
    return {
      status: 'pass',
      summary: `API server ${f.server} answers: Kubernetes ${f.gitVersion} (context ${f.context})`,
      evidence: {
        server: f.server,
        context: f.context,
        kubeconfig: f.source,
        version: f.gitVersion,
        platform: f.platform,
        requestMs: f.requestMs,
      },
      vantage,
    };
  },
});
