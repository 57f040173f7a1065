// The objects Coder's v2 Helm chart creates for a values file, as `helm template` prints them:
// one function per template (templates/*.yaml and the libcoder templates they include), the
// chart's values.yaml coalesced under the user's values, and Helm's install order.
import { ConfigError } from '../errors.ts';
import { coalesceValues } from './coalesce.ts';
import type { RenderContext, RenderedDoc } from './context.ts';
import { chartDefaults, CHART } from './defaults.ts';
import { coderDeployment, coderServiceAccount } from './deployment.ts';
import { extraTemplates } from './extra-templates.ts';
import { truthy, valueAt } from './go-template.ts';
import { coderIngress } from './ingress.ts';
import { coderRbac } from './rbac.ts';
import { coderService } from './service.ts';
import { isMap, type K8sObject, type YamlMap } from './types.ts';

export interface RenderOptions {
  /** `helm install --namespace` (the release namespace). */
  namespace: string;
  /** The release name (`helm template` without one uses "release-name"). */
  releaseName: string;
  /** Chart.yaml `version` of the chart installed (labels); defaults to the repository's 0.1.0. */
  chartVersion?: string;
  /**
   * Chart.yaml `appVersion`: the default image tag is v<appVersion>. The repository says 0.1.0,
   * where the chart insists on coder.image.tag; released charts carry the Coder version.
   */
  appVersion?: string;
}

/** templates/coder.yaml: the ServiceAccount (unless coder.serviceAccount.disableCreate) and the Deployment. */
function coderYaml(ctx: RenderContext): RenderedDoc[] {
  const template = 'coder/templates/coder.yaml';
  const docs: RenderedDoc[] = [];
  if (!truthy(valueAt(ctx.values, 'coder.serviceAccount.disableCreate'))) docs.push({ template, object: coderServiceAccount(ctx) });
  docs.push({ template, object: coderDeployment(ctx) });
  return docs;
}

const one = (template: string, object: YamlMap | null): RenderedDoc[] => (object ? [{ template, object }] : []);

/** Each template file of the chart, in the order Helm reads them (sorted by path). */
const TEMPLATES: ((ctx: RenderContext) => RenderedDoc[])[] = [
  coderYaml,
  extraTemplates,
  (ctx) => one('coder/templates/ingress.yaml', coderIngress(ctx)),
  (ctx) => coderRbac(ctx).map((object) => ({ template: 'coder/templates/rbac.yaml', object })),
  (ctx) => one('coder/templates/service.yaml', coderService(ctx)),
];

/** Helm's InstallOrder (pkg/releaseutil/kind_sorter.go); unknown kinds go last, by kind name. */
const INSTALL_ORDER = [
  'PriorityClass', 'Namespace', 'NetworkPolicy', 'ResourceQuota', 'LimitRange', 'PodSecurityPolicy', 'PodDisruptionBudget',
  'ServiceAccount', 'Secret', 'SecretList', 'ConfigMap', 'StorageClass', 'PersistentVolume', 'PersistentVolumeClaim',
  'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleList', 'ClusterRoleBinding', 'ClusterRoleBindingList', 'Role',
  'RoleList', 'RoleBinding', 'RoleBindingList', 'Service', 'DaemonSet', 'Pod', 'ReplicationController', 'ReplicaSet',
  'Deployment', 'HorizontalPodAutoscaler', 'StatefulSet', 'Job', 'CronJob', 'IngressClass', 'Ingress', 'APIService',
  'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration',
];

/** `helm template` order: templates by path, documents in order, stably sorted by kind; hooks after the rest. */
export function sortLikeHelm(docs: RenderedDoc[]): K8sObject[] {
  const rank = (kind: string) => {
    const i = INSTALL_ORDER.indexOf(kind);
    return i < 0 ? INSTALL_ORDER.length : i;
  };
  const byKind = (a: YamlMap, b: YamlMap) => {
    const ka = String(a.kind);
    const kb = String(b.kind);
    const d = rank(ka) - rank(kb);
    if (d !== 0) return d;
    return rank(ka) === INSTALL_ORDER.length && ka !== kb ? (ka < kb ? -1 : 1) : 0;
  };
  const isHook = (o: YamlMap) => isMap(o.metadata) && isMap(o.metadata.annotations) && Object.hasOwn(o.metadata.annotations, 'helm.sh/hook');
  const ordered = [...docs].sort((a, b) => (a.template < b.template ? -1 : a.template > b.template ? 1 : 0)).map((d) => d.object);
  return [...ordered.filter((o) => !isHook(o)).sort(byKind), ...ordered.filter(isHook).sort(byKind)] as K8sObject[];
}

/**
 * The objects the chart creates for `values` (a parsed values file), in `helm template` order.
 * Throws a ConfigError where `helm template` fails (e.g. no coder.image.tag for the chart from git).
 */
export function renderChart(values: object | null | undefined, options: RenderOptions): K8sObject[] {
  if (values !== null && values !== undefined && !isMap(values)) throw new ConfigError('the Helm values are not a mapping', 'a values file is a mapping of keys');
  if (!options.namespace) throw new ConfigError('renderChart needs the release namespace');
  const ctx: RenderContext = {
    values: coalesceValues((values ?? {}) as YamlMap, chartDefaults()),
    release: { name: options.releaseName, namespace: options.namespace, service: 'Helm' },
    chart: { name: CHART.name, version: options.chartVersion ?? CHART.version, appVersion: options.appVersion ?? CHART.appVersion },
  };
  return sortLikeHelm(TEMPLATES.flatMap((template) => template(ctx)));
}
