// What `helm install` will create: Coder's v2 chart rendered from the values file (src/chart, equal
// to the chart's own goldens), or exactly the objects of `helm template` output (--manifests).
// Read-only: nothing here talks to the cluster.
import { readFileSync } from 'node:fs';
import { ClassifiedError } from '../../errors.ts';
import { defineCollector } from '../collector.ts';
import type { K8sObject } from '../../chart/types.ts';
import { registerObjectSecrets } from '../../inputs/secrets.ts';

export interface ChartObjectsFact {
  /** "values" (rendered here) or "manifests" (helm template output). */
  source: 'values' | 'manifests';
  /** The file they came from. */
  file: string;
  namespace: string;
  releaseName: string;
  /** The Coder version the chart was rendered for (its appVersion: the default image tag). */
  appVersion?: string;
  objects: K8sObject[];
  /** coder.serviceAccount.workspaceNamespaces[].name from the values (rendered or not: workspacePerms may be off). */
  workspaceNamespaces?: string[];
}

declare module '../types.ts' {
  interface FactMap {
    'chart.objects': ChartObjectsFact;
  }
}

/** The newest Coder release the chart renderer was checked against (the vendored chart's). */
const LATEST_APP_VERSION = '2.30.0';

export default defineCollector({
  id: 'chart.objects',
  timeoutMs: 5000,
  async collect(ctx) {
    const t = ctx.target;
    const c = t.chart;
    // Read (and its Secrets registered) when the run started: a bad file was a usage error there.
    if (c.manifests) return { source: 'manifests', file: c.manifests.file, namespace: t.namespace, releaseName: c.releaseName, objects: c.manifests.objects };
    if (!t.values) throw new ClassifiedError('not-configured', 'No values file or manifests given', 'pass --values (the v2 chart is rendered here) or --manifests <file> (the output of helm template)');
    if (t.values.shape === 'v1') {
      throw new ClassifiedError('not-configured', 'The values are for the Coder v1 chart, which coder-preflight does not render', 'pass --manifests with the output of helm template for the v1 chart');
    }
    const { renderChart } = await import('../../chart/render.ts');
    const { parseYaml } = await import('../../chart/yaml.ts');
    const appVersion = (t.profile.coderVersion ?? LATEST_APP_VERSION).replace(/^v/, '');
    try {
      const values = parseYaml(readFileSync(t.values.path, 'utf8'));
      const objects = renderChart(values as object, { namespace: t.namespace, releaseName: c.releaseName, appVersion, chartVersion: appVersion });
      registerObjectSecrets(ctx.redactor, objects, `the chart rendered from ${t.values.path}`);
      const sa = (values as { coder?: { serviceAccount?: { workspaceNamespaces?: unknown } } })?.coder?.serviceAccount?.workspaceNamespaces;
      const workspaceNamespaces = Array.isArray(sa) ? sa.map((w) => (w as { name?: unknown })?.name).filter((n): n is string => typeof n === 'string' && n !== '') : [];
      return { source: 'values', file: t.values.path, namespace: t.namespace, releaseName: c.releaseName, appVersion, objects, workspaceNamespaces };
    } catch (e) {
      // What helm itself would refuse (a required value missing, a wrong type): say it as helm would.
      throw new ClassifiedError('invalid-config', `helm would not render ${t.values.path}: ${(e as Error).message}`, (e as { hint?: string }).hint ?? 'fix the values file (helm template shows the same error)');
    }
  },
});
