// Everything else — helm install, the checks that follow — needs an API server that answers with
// these credentials. Coder's Helm chart needs Kubernetes ≥ 1.19 (coder-requirements.md §6).
import { defineCheck } from '../../src/engine/define.ts';

/** Failures that are facts about the kubeconfig or the server: the same from anywhere. */
const FINDINGS: Record<string, string> = {
  'invalid-config': 'The kubeconfig cannot be used',
  unauthorized: 'The credentials are not accepted',
  tls: 'The API server\'s certificate does not check out',
  protocol: 'The server does not answer like a Kubernetes API server',
};
/** Failures that say nothing answered from here (it may from the cluster's network). */
const REACHABILITY = new Set(['unreachable', 'dns', 'timeout']);

export default defineCheck({
  id: 'kubernetes.api',
  title: 'Kubernetes API server answers',
  category: 'kubernetes',
  facts: ['kubernetes.version'],
  docs: 'https://coder.com/docs/install/kubernetes',
  explain: {
    what: 'Calls /version on the API server of the selected kubeconfig context and reports the server version and round-trip time.',
    why: 'helm install and every other check need an API server that answers with these credentials. A stale token, a wrong CA or a VPN that is down shows up here first, with the reason. A kubeconfig that cannot work (a credential plugin that is not installed or fails, an expired token or client certificate, a CA that did not sign the server\'s certificate) fails; a server that does not answer from here is an error, since it may answer from where you run helm.',
    fix: 'Point --kubeconfig/--context at the cluster you will install Coder into; refresh expired credentials (e.g. your cloud CLI\'s get-credentials); check VPN, DNS and firewalls for the server URL.',
  },
  // A kubeconfig or credential that is wrong is a finding; nothing answering from here is not (as
  // for PostgreSQL): the API server may be reachable only from a VPN or from inside the network.
  onFactFailure({ 'kubernetes.version': v }, { vantage }) {
    if (v.ok) return undefined;
    const evidence = { reason: v.reason, ...(v.detail ?? {}) };
    if (FINDINGS[v.reason]) return { status: 'fail', summary: `${FINDINGS[v.reason]}: ${v.message}`, remediation: v.hint ?? 'check the kubeconfig', evidence };
    if (!REACHABILITY.has(v.reason)) return undefined;
    return {
      status: 'error',
      summary: `Could not reach the API server from this machine: ${v.message}`,
      remediation: `${v.hint ?? 'check the network path to the API server'}. Run coder-preflight where you will run helm install.`,
      evidence,
      vantage,
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
