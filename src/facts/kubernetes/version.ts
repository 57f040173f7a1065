// The API server's version, asked with the run's kubeconfig: it proves the server answers with
// these credentials, and every other kubernetes.* fact builds on it.
import { defineCollector } from '../collector.ts';
import { withKube } from '../../kubernetes/with-kube.ts';

export interface KubeVersionFact {
  server: string;
  context: string;
  source: string;
  gitVersion: string;
  major: number;
  minor: number;
  platform: string;
  /** Round-trip of the /version request from this process, ms. */
  requestMs: number;
}

declare module '../types.ts' {
  interface FactMap {
    'kubernetes.version': KubeVersionFact;
  }
}

export default defineCollector({
  id: 'kubernetes.version',
  timeoutMs: 10_000,
  collect: (ctx) =>
    withKube(
      ctx,
      'read /version (RBAC system:public-info-viewer)',
      async (k8s, kc) => {
        const t = ctx.target.kube.configured ? ctx.target.kube.target : undefined;
        const started = performance.now();
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
      },
      { isApiFact: true },
    ),
});
