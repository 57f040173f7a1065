import { defineCollector } from '../collector.ts';
import { loadK8s } from '../../kube/client.ts';
import { kubeConfig, kubeFactError } from './client.ts';

export default defineCollector({
  id: 'kubernetes.version',
  timeoutMs: 10_000,
  async collect(ctx) {
    const kc = await kubeConfig(ctx);
    const k8s = await loadK8s();
    const t = ctx.target.kube.configured ? ctx.target.kube.target : undefined;
    const started = performance.now();
    try {
      const v = await kc.makeApiClient(k8s.VersionApi).getCode();
      return {
        server: t?.server ?? '',
        context: t?.context ?? '',
        source: t?.source ?? '',
        gitVersion: v.gitVersion,
        major: Number.parseInt(v.major, 10),
        minor: Number.parseInt(v.minor, 10),
        platform: v.platform,
        requestMs: Math.round((performance.now() - started) * 10) / 10,
      };
    } catch (e) {
      throw kubeFactError(ctx, e, 'read /version (RBAC system:public-info-viewer)');
    }
  },
});
