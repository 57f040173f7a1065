// The coderd Deployment: libcoder's deployment and container templates (libcoder/templates/_coder.yaml)
// with the chart's own container spec (templates/_coder.tpl) merged over them.
import type { RenderContext } from './context.ts';
import { fieldOf, goEq, goRange, hasKey, listValue, mapValue, plain, quote, toYaml, truthy, valueAt } from './go-template.ts';
import { coderImage, coderName, commonLabels, defaultAccessURL, selectorLabels, tlsEnabled, tlsEnv, volumeList, volumeMountList } from './helpers.ts';
import { mergeLikeSprig } from './merge.ts';
import type { YamlMap } from './types.ts';

const at = (ctx: RenderContext, path: string) => valueAt(ctx.values, path);

/** The resources the chart gives Coder when coder.resources is unset or empty. */
export const DEFAULT_RESOURCES = { limits: { cpu: '2000m', memory: '4096Mi' }, requests: { cpu: '2000m', memory: '4096Mi' } } as const;

/** coder.env as the chart ranges over it: each entry is read for its name (and value). */
function userEnv(ctx: RenderContext): { entry: unknown; name: unknown; where: string }[] {
  // A mapping would be ranged over by value and then pasted into the env list as text: it never renders a valid container.
  listValue(at(ctx, 'coder.env'), 'coder.env');
  return goRange(at(ctx, 'coder.env'), 'coder.env').map((entry, i) => ({ entry, name: fieldOf(entry, 'name', `coder.env[${i}]`), where: `coder.env[${i}]` }));
}

/** coder.containerspec (_coder.tpl): args, envFrom, env with the derived CODER_* variables, ports, probes. */
export function coderContainerSpec(ctx: RenderContext): YamlMap {
  const env = userEnv(ctx);
  // The chart compares every entry's name (a name that is not a string fails even after a match).
  const given = (name: string) => env.filter((e) => goEq(e.name, name, `${e.where}.name`)).length > 0;
  const spec: YamlMap = {};

  const commandArgs = at(ctx, 'coder.commandArgs');
  spec.args = truthy(commandArgs) ? toYaml(commandArgs) : [...(truthy(at(ctx, 'coder.workspaceProxy')) ? ['wsproxy'] : []), 'server'];

  if (truthy(at(ctx, 'coder.envFrom'))) spec.envFrom = listValue(at(ctx, 'coder.envFrom'), 'coder.envFrom');

  const derived: YamlMap[] = [{ name: 'CODER_HTTP_ADDRESS', value: '0.0.0.0:8080' }];
  if (!given('CODER_PROMETHEUS_ADDRESS')) derived.push({ name: 'CODER_PROMETHEUS_ADDRESS', value: '0.0.0.0:2112' });
  if (!given('CODER_PPROF_ADDRESS')) derived.push({ name: 'CODER_PPROF_ADDRESS', value: '0.0.0.0:6060' });
  const psk = at(ctx, 'provisionerDaemon.pskSecretName');
  if (truthy(psk)) derived.push({ name: 'CODER_PROVISIONER_DAEMON_PSK', valueFrom: { secretKeyRef: { name: quote(psk), key: 'psk' } } });
  // Set the default access URL so a `helm apply` works by default (coder/coder#5024).
  if (!given('CODER_ACCESS_URL') && truthy(at(ctx, 'coder.envUseClusterAccessURL'))) derived.push({ name: 'CODER_ACCESS_URL', value: defaultAccessURL(ctx) });
  // Used for inter-pod communication with high-availability.
  derived.push({ name: 'KUBE_POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } });
  derived.push({ name: 'CODER_DERP_SERVER_RELAY_URL', value: 'http://$(KUBE_POD_IP):8080' });
  spec.env = [...derived, ...tlsEnv(ctx), ...listValue(at(ctx, 'coder.env'), 'coder.env')];

  const ports: YamlMap[] = [{ name: 'http', containerPort: 8080, protocol: 'TCP' }];
  if (tlsEnabled(ctx)) ports.push({ name: 'https', containerPort: 8443, protocol: 'TCP' });
  // One port per CODER_PROMETHEUS_ENABLE entry whose value is the string "true" (valueFrom is not supported).
  for (const e of env) {
    if (goEq(e.name, 'CODER_PROMETHEUS_ENABLE', `${e.where}.name`) && goEq(fieldOf(e.entry, 'value', e.where), 'true', `${e.where}.value`)) {
      ports.push({ name: 'prometheus-http', containerPort: 2112, protocol: 'TCP' });
    }
  }
  spec.ports = ports;

  for (const probe of ['readinessProbe', 'livenessProbe'] as const) {
    if (truthy(at(ctx, `coder.${probe}.enabled`))) spec[probe] = httpProbe(ctx, probe);
  }
  return spec;
}

/** A readiness or liveness probe on GET /healthz; each timing field only when the values set it. */
function httpProbe(ctx: RenderContext, probe: 'readinessProbe' | 'livenessProbe'): YamlMap {
  const settings = at(ctx, `coder.${probe}`) as YamlMap;
  const out: YamlMap = {
    httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP' },
    initialDelaySeconds: plain(at(ctx, `coder.${probe}.initialDelaySeconds`), `coder.${probe}.initialDelaySeconds`),
  };
  for (const field of ['periodSeconds', 'timeoutSeconds', 'successThreshold', 'failureThreshold']) {
    if (hasKey(settings, field)) out[field] = plain(settings[field], `coder.${probe}.${field}`);
  }
  return out;
}

/** libcoder.containerspec.tpl: name, image, command, resources, lifecycle, securityContext, volumeMounts. */
export function libcoderContainerSpec(ctx: RenderContext): YamlMap {
  const coder = at(ctx, 'coder') as YamlMap;
  const resources = hasKey(coder, 'resources') && truthy(coder.resources) ? toYaml(coder.resources) : structuredClone(DEFAULT_RESOURCES);
  return {
    name: 'coder',
    image: quote(coderImage(ctx)),
    imagePullPolicy: plain(at(ctx, 'coder.image.pullPolicy'), 'coder.image.pullPolicy'),
    command: toYaml(at(ctx, 'coder.command')),
    resources,
    lifecycle: toYaml(at(ctx, 'coder.lifecycle')),
    securityContext: toYaml(at(ctx, 'coder.securityContext')),
    volumeMounts: volumeMountList(ctx),
  };
}

/** `{{- with .Values.x }} field: {{ toYaml . }}`: the field only when the value is not empty. */
function withValue(ctx: RenderContext, field: string, path: string): YamlMap {
  const v = at(ctx, path);
  return truthy(v) ? { [field]: toYaml(v) } : {};
}

/** libcoder.deployment.tpl, with `containers: []` (the chart's container is merged in). */
export function libcoderDeployment(ctx: RenderContext): YamlMap {
  const labels = commonLabels(ctx);
  const componentAnnotation = { 'app.kubernetes.io/component': truthy(at(ctx, 'coder.workspaceProxy')) ? 'wsproxy' : 'coderd' };
  const priorityClassName = at(ctx, 'coder.priorityClassName');
  const podSpec: YamlMap = {
    serviceAccountName: quote(at(ctx, 'coder.serviceAccount.name')),
    ...(truthy(priorityClassName) ? { priorityClassName: quote(priorityClassName) } : {}),
    ...withValue(ctx, 'securityContext', 'coder.podSecurityContext'),
    restartPolicy: 'Always',
    ...withValue(ctx, 'imagePullSecrets', 'coder.image.pullSecrets'),
    terminationGracePeriodSeconds: 60,
    ...withValue(ctx, 'affinity', 'coder.affinity'),
    ...withValue(ctx, 'tolerations', 'coder.tolerations'),
    ...withValue(ctx, 'nodeSelector', 'coder.nodeSelector'),
    ...withValue(ctx, 'topologySpreadConstraints', 'coder.topologySpreadConstraints'),
    ...withValue(ctx, 'initContainers', 'coder.initContainers'),
  };
  podSpec.containers = [];
  podSpec.volumes = volumeList(ctx);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: plain(coderName(ctx), 'the chart name'),
      namespace: plain(ctx.release.namespace, 'the release namespace'),
      labels: { ...labels, ...mapValue(at(ctx, 'coder.labels'), 'coder.labels') },
      annotations: toYaml(at(ctx, 'coder.annotations')),
    },
    spec: {
      replicas: plain(at(ctx, 'coder.replicaCount'), 'coder.replicaCount'),
      selector: { matchLabels: selectorLabels(ctx) },
      template: {
        metadata: {
          labels: { ...labels, ...mapValue(at(ctx, 'coder.podLabels'), 'coder.podLabels') },
          annotations: { ...componentAnnotation, ...mapValue(at(ctx, 'coder.podAnnotations'), 'coder.podAnnotations') },
        },
        spec: podSpec,
      },
    },
  };
}

/** The Deployment templates/coder.yaml renders: coder.deployment merged over libcoder's. */
export function coderDeployment(ctx: RenderContext): YamlMap {
  const container = mergeLikeSprig(coderContainerSpec(ctx), libcoderContainerSpec(ctx));
  return mergeLikeSprig({ spec: { template: { spec: { containers: [container] } } } }, libcoderDeployment(ctx));
}

/** libcoder.serviceaccount.tpl (the chart's override is empty). */
export function coderServiceAccount(ctx: RenderContext): YamlMap {
  const object: YamlMap = {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: {
      name: quote(at(ctx, 'coder.serviceAccount.name')),
      namespace: plain(ctx.release.namespace, 'the release namespace'),
      annotations: toYaml(at(ctx, 'coder.serviceAccount.annotations')),
      labels: { ...commonLabels(ctx), ...mapValue(at(ctx, 'coder.serviceAccount.labels'), 'coder.serviceAccount.labels') },
    },
  };
  return mergeLikeSprig({}, object);
}
