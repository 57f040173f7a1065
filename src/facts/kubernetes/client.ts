// Shared by the kubernetes.* collectors: one KubeConfig per run, and failures mapped to FactErrors
// with a remediation.
import type { KubeConfig } from '@kubernetes/client-node';
import { classifyKubeError, kubeConfigFor, loadK8s, type K8sModule } from '../../kube/client.ts';
import { FactError, type CollectContext } from '../collector.ts';

const KUBE_HINTS: Record<string, string> = {
  unauthorized: "the credentials in the kubeconfig were rejected: refresh them (e.g. re-run your cloud CLI's get-credentials) and try again",
  dns: 'the API server host name does not resolve from here: check the kubeconfig server URL and DNS/VPN',
  unreachable: 'nothing answers at the API server address from here: check the server URL, VPN and firewalls',
  timeout: 'the API server did not answer in time: check the network path, or raise --timeout',
  tls: 'the API server certificate does not match the kubeconfig CA or host name: fetch a fresh kubeconfig',
  protocol: 'the server answered, but not like a Kubernetes API server: check the server URL',
  aborted: 'the run was interrupted',
};

/** The run's KubeConfig for the selected context, or a not-configured/invalid-config failure. */
async function kubeConfig(ctx: CollectContext): Promise<KubeConfig> {
  const kube = ctx.target.kube;
  if (!kube.configured) throw new FactError('not-configured', 'No Kubernetes cluster configured', kube.hint);
  try {
    return await ctx.resources.use('kube.config', () => kubeConfigFor(kube.target));
  } catch (e) {
    throw new FactError('invalid-config', `cannot load kubeconfig: ${(e as Error).message}`, 'fix or regenerate the kubeconfig');
  }
}

/** A client error as a FactError; `forbidden` names what to grant. */
function kubeFactError(ctx: CollectContext, e: unknown, needs?: string): FactError {
  const c = classifyKubeError(e);
  const kube = ctx.target.kube;
  const detail = kube.configured ? { server: kube.target.server, context: kube.target.context } : undefined;
  const hint = c.reason === 'forbidden' && needs ? `the user may not ${needs}: run with a kubeconfig that can, or grant it` : KUBE_HINTS[c.reason];
  return new FactError(c.reason, `${kube.configured ? `${kube.target.server}: ` : ''}${c.message}`, hint, detail);
}

/**
 * Run API requests with the run's KubeConfig; any client error becomes a FactError whose
 * `forbidden` hint says what the user would need (`needs`, e.g. "list daemonsets in all namespaces").
 */
export async function withKube<T>(ctx: CollectContext, needs: string, fn: (k8s: K8sModule, kc: KubeConfig) => Promise<T>): Promise<T> {
  const kc = await kubeConfig(ctx);
  const k8s = await loadK8s();
  try {
    return await fn(k8s, kc);
  } catch (e) {
    throw kubeFactError(ctx, e, needs);
  }
}
