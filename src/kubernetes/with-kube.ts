// Shared by the kubernetes.* collectors: one KubeConfig per run, and failures mapped to
// classified errors with a remediation.
import type { KubeConfig } from '@kubernetes/client-node';
import { ClassifiedError } from '../errors.ts';
import type { CollectContext } from '../facts/collector.ts';
import { classifyKubeError, kubeConfigFor, loadK8s, type K8sModule } from './client.ts';

const KUBE_HINTS: Record<string, string> = {
  unauthorized: "the credentials in the kubeconfig were rejected: refresh them (e.g. re-run your cloud CLI's get-credentials) and try again",
  dns: 'the API server host name does not resolve from here: check the kubeconfig server URL and DNS/VPN',
  unreachable: 'nothing answers at the API server address from here: check the server URL, VPN and firewalls',
  timeout: 'the API server did not answer in time: check the network path, or raise --timeout',
  tls: 'the API server certificate does not match the kubeconfig CA or host name: fetch a fresh kubeconfig',
  protocol: 'the server answered, but not like a Kubernetes API server: check the server URL',
  aborted: 'the run was interrupted',
};

/** The fact that proves the API server answers with these credentials; the others build on it. */
export const API_FACT = 'kubernetes.version';

/** The run's KubeConfig for the selected context, or a not-configured/invalid-config failure. */
async function kubeConfig(ctx: CollectContext): Promise<KubeConfig> {
  const kube = ctx.target.kube;
  if (!kube.configured) throw new ClassifiedError('not-configured', 'No Kubernetes cluster configured', kube.hint);
  try {
    return await ctx.resources.use('kube.config', () => kubeConfigFor(kube.target));
  } catch (e) {
    throw new ClassifiedError('invalid-config', `cannot load kubeconfig: ${(e as Error).message}`, 'fix or regenerate the kubeconfig');
  }
}

/** A client error as a classified error; `forbidden` names what to grant. */
function kubeError(ctx: CollectContext, e: unknown, needs: string): ClassifiedError {
  if (e instanceof ClassifiedError) return e;
  const c = classifyKubeError(e);
  const kube = ctx.target.kube;
  const detail = kube.configured ? { server: kube.target.server, context: kube.target.context } : undefined;
  const hint = c.reason === 'forbidden' ? `the user may not ${needs}: run with a kubeconfig that can, or grant it` : KUBE_HINTS[c.reason];
  return new ClassifiedError(c.reason, `${kube.configured ? `${kube.target.server}: ` : ''}${c.message}`, hint, detail);
}

/**
 * Run API requests with the run's KubeConfig; any client error becomes a classified error whose
 * `forbidden` hint says what the user would need (`needs`, e.g. "list daemonsets in all namespaces").
 * Every fact but the API server's own waits for it: when the server does not answer (or the
 * kubeconfig is wrong), that one cause is told once, by kubernetes.api.
 */
export async function withKube<T>(ctx: CollectContext, needs: string, fn: (k8s: K8sModule, kc: KubeConfig) => Promise<T>, opts: { isApiFact?: boolean } = {}): Promise<T> {
  if (!opts.isApiFact) {
    const api = await ctx.fact(API_FACT);
    // A 403 on /version says nothing about other resources: go on and ask.
    if (!api.ok && api.reason !== 'forbidden') await ctx.need(API_FACT);
  }
  const kc = await kubeConfig(ctx);
  const k8s = await loadK8s();
  try {
    return await fn(k8s, kc);
  } catch (e) {
    throw kubeError(ctx, e, needs);
  }
}

/**
 * Every item of a paginated list call (`limit`/`continue`), a page at a time, so a cluster of
 * thousands of objects is read once without holding more than a page of API objects.
 */
export async function listAll<T>(page: (opts: { limit: number; _continue?: string }) => Promise<{ items: T[]; metadata?: { _continue?: string } }>, each: (item: T) => void, limit = 500): Promise<void> {
  let token: string | undefined;
  do {
    const p = await page({ limit, ...(token ? { _continue: token } : {}) });
    for (const item of p.items) each(item);
    token = p.metadata?._continue || undefined;
  } while (token);
}
