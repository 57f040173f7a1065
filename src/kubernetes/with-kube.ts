// Shared by the kubernetes.* collectors: one KubeConfig per run, and failures mapped to
// classified errors with a remediation.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { KubeConfig } from '@kubernetes/client-node';
import { ClassifiedError } from '../errors.ts';
import type { CollectContext } from '../facts/collector.ts';
import { classifyKubeError, closeConnections, kubeConfigFor, loadK8s, loadK8sFull, type K8sFullModule, type K8sModule } from './client.ts';
import { watchKubeCredentials } from '../inputs/secrets.ts';

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

/** The run's KubeConfig for the selected context (made with the whole client for plugins), or a not-configured/invalid-config failure. */
async function kubeConfig(ctx: CollectContext, forPlugins = false): Promise<KubeConfig> {
  const kube = ctx.target.kube;
  if (!kube.configured) throw new ClassifiedError('not-configured', 'No Kubernetes cluster configured', kube.hint);
  try {
    return await ctx.resources.use(forPlugins ? 'kube.config.plugins' : 'kube.config', async () => watchKubeCredentials(await kubeConfigFor(kube.target, forPlugins ? await loadK8sFull() : await loadK8s()), ctx.redactor), closeConnections);
  } catch (e) {
    throw new ClassifiedError('invalid-config', `cannot load kubeconfig: ${(e as Error).message}`, 'fix or regenerate the kubeconfig');
  }
}

/** A client error as a classified error; `forbidden` names what to grant. */
function kubeError(ctx: CollectContext, e: unknown, needs: string, kc?: KubeConfig): ClassifiedError {
  if (e instanceof ClassifiedError) return e;
  const c = classifyKubeError(e);
  const kube = ctx.target.kube;
  const detail = kube.configured ? { server: kube.target.server, context: kube.target.context } : undefined;
  const hint = c.reason === 'forbidden' ? `the user may not ${needs}: run with a kubeconfig that can, or grant it` : KUBE_HINTS[c.reason];
  const why = c.reason === 'unauthorized' && kc ? rejectedCredential(kc) : undefined;
  return new ClassifiedError(c.reason, `${kube.configured ? `${kube.target.server}: ` : ''}${why ? `${c.message}: ${why.message}` : c.message}`, why?.hint ?? hint, detail);
}

/** The current user's credential in words: what the API server refused, and why when it shows. */
function rejectedCredential(kc: KubeConfig): { message: string; hint?: string } | undefined {
  const u = kc.getCurrentUser();
  if (!u) return undefined;
  const refresh = "fetch fresh credentials (e.g. re-run your cloud CLI's get-credentials / update-kubeconfig)";
  if (u.exec) return { message: `the token from the credential plugin "${u.exec.command}" (user ${u.name}) was refused`, hint: `check that the plugin logs you in to this cluster's account and role; ${refresh}` };
  if (u.token) {
    const exp = jwtExpiry(u.token);
    if (exp !== undefined && exp < Date.now()) return { message: `the token of user ${u.name} expired at ${new Date(exp).toISOString()}`, hint: refresh };
    return { message: `the token of user ${u.name} is not valid for this cluster (revoked, from another cluster, or mistyped)`, hint: refresh };
  }
  const pem = u.certData ? Buffer.from(u.certData, 'base64').toString('utf8') : u.certFile ? safeRead(u.certFile) : undefined;
  if (pem) {
    try {
      const cert = new X509Certificate(pem);
      if (Date.parse(cert.validTo) < Date.now()) return { message: `the client certificate of user ${u.name} (${cert.subject.replace(/\n/g, ', ')}) expired at ${new Date(cert.validTo).toISOString()}`, hint: refresh };
      return { message: `the client certificate of user ${u.name} (${cert.subject.replace(/\n/g, ', ')}, issued by ${cert.issuer.replace(/\n/g, ', ')}) is not signed by a CA the API server trusts`, hint: refresh };
    } catch {
      return undefined;
    }
  }
  if (!u.authProvider && !u.username) return { message: `user ${u.name} has no credentials in the kubeconfig, and the API server refuses anonymous requests`, hint: 'add a token, a client certificate or an exec credential plugin for this user' };
  return undefined;
}

/** A JWT's `exp` in ms, read without verifying (the API server already refused it; this says why). */
function jwtExpiry(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

function safeRead(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Known credential plugins and how to install them. */
const PLUGINS: Record<string, string> = {
  'aws-iam-authenticator': 'install aws-iam-authenticator, or regenerate the kubeconfig with the AWS CLI v2: aws eks update-kubeconfig --name <cluster>',
  aws: 'install the AWS CLI v2 (aws eks get-token), then aws eks update-kubeconfig --name <cluster>',
  'gke-gcloud-auth-plugin': 'gcloud components install gke-gcloud-auth-plugin (or apt-get install google-cloud-cli-gke-gcloud-auth-plugin)',
  kubelogin: 'install kubelogin (az aks install-cli), then az aks get-credentials …',
  'kubectl-oidc_login': 'install the oidc-login kubectl plugin (kubectl krew install oidc-login)',
};

/**
 * Get the current user's credentials before the first request, so an exec plugin that is missing
 * or fails is named as such (client-node's own errors are "spawn … ENOENT" or the plugin's stderr).
 */
async function credentials(kc: KubeConfig): Promise<void> {
  const u = kc.getCurrentUser();
  if (!u?.exec) return;
  const cmd = u.exec.command;
  try {
    await kc.applyToHTTPSOptions({});
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const base = cmd.split('/').pop() ?? cmd;
    if (err.code === 'ENOENT' || /\bENOENT\b/.test(err.message)) {
      throw new ClassifiedError('invalid-config', `the kubeconfig gets its credentials from the plugin "${cmd}" (users[${u.name}].user.exec), which is not installed on this machine (not on PATH)`, PLUGINS[base] ?? `install ${base}, or use a kubeconfig that does not need it`);
    }
    const said = String(err.message ?? e).trim().split('\n').filter(Boolean).slice(0, 2).join(' / ');
    throw new ClassifiedError('unauthorized', `the credential plugin "${cmd}" (user ${u.name}) failed: ${said || 'no output'}`, `run the plugin's command from users[${u.name}].user.exec yourself to see why; an expired cloud login (SSO, gcloud auth, az login) is the usual cause: log in again`);
  }
}

/**
 * Run API requests with the run's KubeConfig; any client error becomes a classified error whose
 * `forbidden` hint says what the user would need (`needs`, e.g. "list daemonsets in all namespaces").
 * Every fact but the API server's own waits for it: when the server does not answer (or the
 * kubeconfig is wrong), that one cause is told once, by kubernetes.api.
 */
export function withKube<T>(ctx: CollectContext, needs: string, fn: (k8s: K8sModule, kc: KubeConfig) => Promise<T>, opts: { isApiFact?: boolean } = {}): Promise<T> {
  return run(ctx, needs, fn, opts, false);
}

/**
 * withKube for plugins (coder-preflight/api): the whole client-node module, with a KubeConfig made
 * by it. The built-in collectors do without it (loadK8s loads only the part they use).
 */
export function withKubeForPlugins<T>(ctx: CollectContext, needs: string, fn: (k8s: K8sFullModule, kc: KubeConfig) => Promise<T>): Promise<T> {
  return run(ctx, needs, fn, {}, true);
}

async function run<M, T>(ctx: CollectContext, needs: string, fn: (k8s: M, kc: KubeConfig) => Promise<T>, opts: { isApiFact?: boolean }, forPlugins: boolean): Promise<T> {
  if (!opts.isApiFact) {
    const api = await ctx.fact(API_FACT);
    // A 403 on /version says nothing about other resources: go on and ask.
    if (!api.ok && api.reason !== 'forbidden') await ctx.need(API_FACT);
  }
  const kc = await kubeConfig(ctx, forPlugins);
  const k8s = (forPlugins ? await loadK8sFull() : await loadK8s()) as M;
  if (opts.isApiFact) await credentials(kc);
  try {
    return await fn(k8s, kc);
  } catch (e) {
    throw kubeError(ctx, e, needs, kc);
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
