import { defineCollector, FactError } from '../collector.ts';
import { classifyKubeError, kubeConfigFor, loadK8s } from '../../kube/client.ts';

const HINTS: Record<string, string> = {
  unauthorized: 'the credentials in the kubeconfig were rejected: refresh them (e.g. re-run your cloud CLI\'s get-credentials) and try again',
  forbidden: 'the user may not read /version: check RBAC (system:public-info-viewer)',
  dns: 'the API server host name does not resolve from here: check the kubeconfig server URL and DNS/VPN',
  unreachable: 'nothing answers at the API server address from here: check the server URL, VPN and firewalls',
  timeout: 'the API server did not answer in time: check the network path, or raise --timeout',
  tls: 'the API server certificate does not match the kubeconfig CA or host name: fetch a fresh kubeconfig',
  protocol: 'the server answered, but not like a Kubernetes API server: check the server URL',
  aborted: 'the run was interrupted',
};

export default defineCollector({
  id: 'kubernetes.version',
  timeoutMs: 10_000,
  async collect(ctx) {
    const kube = ctx.target.kube;
    if (!kube.configured) throw new FactError('not-configured', 'No Kubernetes cluster configured', kube.hint);
    const t = kube.target;
    const k8s = await loadK8s();
    let kc;
    try {
      kc = await ctx.resources.use('kube.config', () => kubeConfigFor(t));
    } catch (e) {
      throw new FactError('invalid-config', `cannot load kubeconfig: ${(e as Error).message}`, 'fix or regenerate the kubeconfig');
    }
    const api = kc.makeApiClient(k8s.VersionApi);
    const started = performance.now();
    try {
      const v = await api.getCode();
      return {
        server: t.server,
        context: t.context,
        source: t.source,
        gitVersion: v.gitVersion,
        major: Number.parseInt(v.major, 10),
        minor: Number.parseInt(v.minor, 10),
        platform: v.platform,
        requestMs: Math.round((performance.now() - started) * 10) / 10,
      };
    } catch (e) {
      const c = classifyKubeError(e);
      throw new FactError(c.reason, `${t.server}: ${c.message}`, HINTS[c.reason], { server: t.server, context: t.context });
    }
  },
});
