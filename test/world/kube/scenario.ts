// Scenario seeding for the kube world: fake nodes (kwok) carrying real node-group labels, CNI
// DaemonSets named and shaped as real clusters have them, StorageClasses, Secrets, namespaces, the
// broken APIService, or any manifest. Everything is labelled preflight.test/scenario=<id> so
// resetScenario(kc, id) can delete exactly what a scenario made (across processes, too).
import {
  AppsV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  StorageV1Api,
  type KubeConfig,
  type KubernetesObject,
  type V1DaemonSet,
  type V1Node,
  type V1Taint,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { waitFor } from '../proc.ts';
import { BROKEN_API_SERVICE, K8S_VERSION, WORLD_LABEL, registerBrokenApiService } from './kube.ts';

export const SCENARIO_LABEL = 'preflight.test/scenario';
/** On every kwok node; seeded DaemonSets select it so they never land on the world's real node (whose kubelet would try to pull their images). */
export const FAKE_NODE_LABEL = 'preflight.test/fake-node';
const DEFAULTED_BY = 'preflight.test/defaulted-by';
const IS_DEFAULT = 'storageclass.kubernetes.io/is-default-class';
const FIELD_MANAGER = 'preflight-world';
const code = (e: unknown) => (e as { code?: number }).code;
const ignore = (...codes: number[]) => (e: unknown): undefined => {
  if (!codes.includes(code(e) ?? 0)) throw e;
  return undefined;
};

// ---------------------------------------------------------------------------------------------
// Nodes

export type NodeGroupKind = 'eks' | 'gke' | 'aks' | 'karpenter' | 'custom';

/** The label each platform puts the node group / pool name in. */
export const NODE_GROUP_LABELS: Record<Exclude<NodeGroupKind, 'custom'>, string> = {
  eks: 'eks.amazonaws.com/nodegroup',
  gke: 'cloud.google.com/gke-nodepool',
  aks: 'kubernetes.azure.com/agentpool',
  karpenter: 'karpenter.sh/nodepool',
};

export interface FakeNodeSpec {
  name: string;
  /** Node group membership; `custom` needs `label` (e.g. `node-group.example.com/name`). */
  group?: { kind: NodeGroupKind; name: string; label?: string };
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Default: cpu 4, memory 16Gi, pods 110, ephemeral-storage 100Gi. */
  capacity?: Record<string, string>;
  /** Default: capacity minus a little for system reservations, as kubelets report. */
  allocatable?: Record<string, string>;
  taints?: V1Taint[];
  unschedulable?: boolean;
  instanceType?: string;
  zone?: string;
  arch?: 'amd64' | 'arm64';
  /** status.nodeInfo.kubeletVersion (default the control plane's version). */
  kubeletVersion?: string;
}

const DEFAULT_CAPACITY = { cpu: '4', memory: '16Gi', pods: '110', 'ephemeral-storage': '100Gi' };

function allocatableFrom(cap: Record<string, string>): Record<string, string> {
  const a: Record<string, string> = { ...cap };
  if (cap.cpu && /^\d+$/.test(cap.cpu)) a.cpu = `${Number(cap.cpu) * 1000 - 80}m`;
  if (cap.memory?.endsWith('Gi')) a.memory = `${Math.round(parseFloat(cap.memory) * 1024 * 1024 * 0.92)}Ki`;
  return a;
}

function providerBits(spec: FakeNodeSpec, i: number): { labels: Record<string, string>; providerID?: string; osImage: string; kubelet: string } {
  const zone = spec.zone;
  const k = spec.kubeletVersion ?? K8S_VERSION;
  switch (spec.group?.kind) {
    case 'eks':
      return {
        labels: { 'eks.amazonaws.com/capacityType': 'ON_DEMAND', 'eks.amazonaws.com/nodegroup-image': 'ami-0abcdef1234567890', ...(zone ? { 'topology.kubernetes.io/region': zone.replace(/[a-z]$/, '') } : {}) },
        providerID: `aws:///${zone ?? 'us-east-1a'}/i-0${(0x1000000 + i).toString(16)}fake`,
        osImage: 'Amazon Linux 2023.7.20250512',
        kubelet: spec.kubeletVersion ?? `${K8S_VERSION}-eks-1a2b3c4`,
      };
    case 'gke':
      return {
        labels: { 'cloud.google.com/machine-family': (spec.instanceType ?? 'e2-standard-4').split('-')[0] ?? 'e2', 'cloud.google.com/gke-os-distribution': 'cos', 'cloud.google.com/gke-boot-disk': 'pd-balanced' },
        providerID: `gce://world-project/${zone ?? 'us-central1-a'}/${spec.name}`,
        osImage: 'Container-Optimized OS from Google',
        kubelet: spec.kubeletVersion ?? `${K8S_VERSION}-gke.1000000`,
      };
    case 'aks':
      return {
        labels: { agentpool: spec.group.name, 'kubernetes.azure.com/mode': 'user', 'kubernetes.azure.com/role': 'agent', 'kubernetes.azure.com/os-sku': 'Ubuntu' },
        providerID: `azure:///subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/mc_world/providers/Microsoft.Compute/virtualMachineScaleSets/aks-${spec.group.name}-vmss/virtualMachines/${i}`,
        osImage: 'Ubuntu 22.04.5 LTS',
        kubelet: k,
      };
    case 'karpenter':
      return {
        labels: { 'karpenter.sh/capacity-type': 'on-demand', 'karpenter.sh/registered': 'true', 'karpenter.sh/initialized': 'true' },
        providerID: `aws:///${zone ?? 'us-east-1a'}/i-0${(0x2000000 + i).toString(16)}fake`,
        osImage: 'Bottlerocket OS 1.39.1 (aws-k8s-1.35)',
        kubelet: spec.kubeletVersion ?? `${K8S_VERSION}-eks-1a2b3c4`,
      };
    default:
      return { labels: {}, osImage: 'Debian GNU/Linux 13 (trixie)', kubelet: k };
  }
}

let nodeSeq = 0;

/**
 * Create kwok-managed Nodes (annotation kwok.x-k8s.io/node=fake). Status (capacity, allocatable,
 * nodeInfo, a fake InternalIP) is written through /status; kwok then keeps them Ready with leases.
 * Returns the created Node objects.
 */
export async function createFakeNodes(kc: KubeConfig, scenario: string, specs: FakeNodeSpec[]): Promise<V1Node[]> {
  const core = kc.makeApiClient(CoreV1Api);
  return Promise.all(
    specs.map(async (spec) => {
      const i = ++nodeSeq;
      const p = providerBits(spec, i);
      const groupLabel = spec.group ? (spec.group.kind === 'custom' ? spec.group.label : NODE_GROUP_LABELS[spec.group.kind]) : undefined;
      if (spec.group && !groupLabel) throw new Error(`node ${spec.name}: a custom group needs a label key`);
      const capacity = { ...DEFAULT_CAPACITY, ...spec.capacity };
      const status = {
        capacity,
        allocatable: { ...allocatableFrom(capacity), ...spec.allocatable },
        addresses: [
          { type: 'InternalIP', address: `10.250.${(i >> 8) & 255}.${i & 255}` }, // fake, never dialed
          { type: 'Hostname', address: spec.name },
        ],
        nodeInfo: {
          architecture: spec.arch ?? 'amd64',
          operatingSystem: 'linux',
          osImage: p.osImage,
          kernelVersion: '6.1.0-world',
          containerRuntimeVersion: 'containerd://2.0.5',
          kubeletVersion: p.kubelet,
          kubeProxyVersion: '',
          bootID: '',
          machineID: '',
          systemUUID: '',
        },
      };
      const created = await core.createNode({
        body: {
          metadata: {
            name: spec.name,
            annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0', ...spec.annotations },
            labels: {
              'kubernetes.io/hostname': spec.name,
              'kubernetes.io/os': 'linux',
              'kubernetes.io/arch': spec.arch ?? 'amd64',
              'beta.kubernetes.io/os': 'linux',
              'beta.kubernetes.io/arch': spec.arch ?? 'amd64',
              ...(spec.instanceType ? { 'node.kubernetes.io/instance-type': spec.instanceType } : {}),
              ...(spec.zone ? { 'topology.kubernetes.io/zone': spec.zone } : {}),
              ...p.labels,
              ...(groupLabel && spec.group ? { [groupLabel]: spec.group.name } : {}),
              ...spec.labels,
              [FAKE_NODE_LABEL]: 'true',
              [SCENARIO_LABEL]: scenario,
            },
          },
          spec: { taints: spec.taints, unschedulable: spec.unschedulable, providerID: p.providerID },
          // Kept on create (kubelets register this way); kwok keeps values that are already set.
          status,
        },
      });
      if (created.status?.capacity?.cpu === capacity.cpu) return created;
      // Fallback if an apiserver drops status on create: write it through /status, retrying on
      // conflicts with kwok, which updates the node's status at the same time.
      return waitFor(`status of node ${spec.name}`, async () => {
        const cur = await core.readNode({ name: spec.name });
        return core.replaceNodeStatus({ name: spec.name, body: { ...cur, status: { ...cur.status, ...status } } }).catch(ignore(409));
      });
    }),
  );
}

/** Wait until kwok reports the nodes Ready and the controller manager has lifted its not-ready taint. */
export async function waitForNodesReady(kc: KubeConfig, names: string[], timeoutMs = 60_000): Promise<V1Node[]> {
  const core = kc.makeApiClient(CoreV1Api);
  return waitFor(
    `nodes ${names.join(', ')} Ready`,
    async () => {
      const nodes = await Promise.all(names.map((name) => core.readNode({ name })));
      const ready = nodes.every(
        (n) =>
          n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') &&
          // The node lifecycle controller taints new nodes not-ready until it has seen them Ready.
          !n.spec?.taints?.some((t) => t.key.startsWith('node.kubernetes.io/')),
      );
      return ready ? nodes : undefined;
    },
    { timeoutMs, intervalMs: 200 },
  );
}

// ---------------------------------------------------------------------------------------------
// CNI DaemonSets, as the real installs name and label them

export type CniKind =
  | 'calico' // manifest install: kube-system/calico-node
  | 'calico-operator' // Tigera operator: calico-system/calico-node
  | 'cilium'
  | 'gke-dataplane-v2' // kube-system/anetd (Cilium-based)
  | 'aws-node' // Amazon VPC CNI (with the network policy agent container)
  | 'kube-router'
  | 'weave-net'
  | 'antrea'
  | 'flannel'
  | 'azure-npm';

interface CniShape {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  containers: { name: string; image: string; args?: string[]; env?: Record<string, string> }[];
  configMap?: { name: string; data: Record<string, string> };
}

export const CNI_SHAPES: Record<CniKind, CniShape> = {
  calico: {
    namespace: 'kube-system',
    name: 'calico-node',
    labels: { 'k8s-app': 'calico-node' },
    containers: [{ name: 'calico-node', image: 'docker.io/calico/node:v3.30.2', env: { DATASTORE_TYPE: 'kubernetes', CALICO_NETWORKING_BACKEND: 'bird' } }],
    configMap: { name: 'calico-config', data: { calico_backend: 'bird', veth_mtu: '0' } },
  },
  'calico-operator': {
    namespace: 'calico-system',
    name: 'calico-node',
    labels: { 'k8s-app': 'calico-node', 'app.kubernetes.io/name': 'calico-node' },
    containers: [{ name: 'calico-node', image: 'quay.io/calico/node:v3.30.2', env: { DATASTORE_TYPE: 'kubernetes' } }],
  },
  cilium: {
    namespace: 'kube-system',
    name: 'cilium',
    labels: { 'k8s-app': 'cilium', 'app.kubernetes.io/name': 'cilium-agent', 'app.kubernetes.io/part-of': 'cilium' },
    containers: [{ name: 'cilium-agent', image: 'quay.io/cilium/cilium:v1.17.5', args: ['--config-dir=/tmp/cilium/config-map'] }],
    configMap: { name: 'cilium-config', data: { 'enable-policy': 'default', 'routing-mode': 'tunnel', 'tunnel-protocol': 'vxlan' } },
  },
  'gke-dataplane-v2': {
    namespace: 'kube-system',
    name: 'anetd',
    labels: { 'k8s-app': 'cilium' },
    containers: [{ name: 'cilium-agent', image: 'gke.gcr.io/cilium/cilium:v1.15.12-gke1.0' }],
  },
  'aws-node': {
    namespace: 'kube-system',
    name: 'aws-node',
    labels: { 'k8s-app': 'aws-node', 'app.kubernetes.io/name': 'aws-node', 'app.kubernetes.io/instance': 'aws-vpc-cni' },
    containers: [
      { name: 'aws-node', image: '602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v1.19.6-eksbuild.1', env: { ENABLE_PREFIX_DELEGATION: 'false', NETWORK_POLICY_ENFORCING_MODE: 'standard' } },
      { name: 'aws-eks-nodeagent', image: '602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon/aws-network-policy-agent:v1.2.3-eksbuild.1', args: ['--enable-network-policy=true'] },
    ],
  },
  'kube-router': {
    namespace: 'kube-system',
    name: 'kube-router',
    labels: { 'k8s-app': 'kube-router', tier: 'node' },
    containers: [{ name: 'kube-router', image: 'docker.io/cloudnativelabs/kube-router:v2.5.0', args: ['--run-router=true', '--run-firewall=true', '--run-service-proxy=false'] }],
  },
  'weave-net': {
    namespace: 'kube-system',
    name: 'weave-net',
    labels: { name: 'weave-net' },
    containers: [
      { name: 'weave', image: 'docker.io/weaveworks/weave-kube:2.8.1' },
      { name: 'weave-npc', image: 'docker.io/weaveworks/weave-npc:2.8.1' },
    ],
  },
  antrea: {
    namespace: 'kube-system',
    name: 'antrea-agent',
    labels: { app: 'antrea', component: 'antrea-agent' },
    containers: [{ name: 'antrea-agent', image: 'antrea/antrea-agent-ubuntu:v2.3.1' }],
    configMap: { name: 'antrea-config', data: { 'antrea-agent.conf': 'trafficEncapMode: encap\n' } },
  },
  flannel: {
    namespace: 'kube-flannel',
    name: 'kube-flannel-ds',
    labels: { app: 'flannel', 'k8s-app': 'flannel', tier: 'node' },
    containers: [{ name: 'kube-flannel', image: 'ghcr.io/flannel-io/flannel:v0.27.0', args: ['--ip-masq', '--kube-subnet-mgr'] }],
    configMap: { name: 'kube-flannel-cfg', data: { 'net-conf.json': '{"Network":"10.244.0.0/16","Backend":{"Type":"vxlan"}}' } },
  },
  'azure-npm': {
    namespace: 'kube-system',
    name: 'azure-npm',
    labels: { 'k8s-app': 'azure-npm', 'addonmanager.kubernetes.io/mode': 'EnsureExists' },
    containers: [{ name: 'azure-npm', image: 'mcr.microsoft.com/containernetworking/azure-npm:v1.6.29' }],
  },
};

/**
 * Apply a CNI's DaemonSet (+ its ServiceAccount, ConfigMap and namespace if not kube-system). Its pods
 * select kwok nodes only (FAKE_NODE_LABEL) unless `onlyFakeNodes` is false.
 */
export async function applyCni(kc: KubeConfig, scenario: string, kind: CniKind, opts: { onlyFakeNodes?: boolean } = {}): Promise<V1DaemonSet> {
  const shape = CNI_SHAPES[kind];
  const labels = { [SCENARIO_LABEL]: scenario };
  const core = kc.makeApiClient(CoreV1Api);
  const ns = shape.namespace;
  if (ns !== 'kube-system') await ensureNamespace(kc, scenario, ns);
  await core
    .createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: shape.name, namespace: ns, labels } } })
    .catch(ignore(409));
  if (shape.configMap) {
    await core
      .createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: shape.configMap.name, namespace: ns, labels }, data: shape.configMap.data } })
      .catch(ignore(409));
  }
  const podLabels = { ...shape.labels, [SCENARIO_LABEL]: scenario };
  return kc.makeApiClient(AppsV1Api).createNamespacedDaemonSet({
    namespace: ns,
    body: {
      metadata: { name: shape.name, namespace: ns, labels: { ...shape.labels, ...labels } },
      spec: {
        selector: { matchLabels: shape.labels },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
        template: {
          metadata: { labels: podLabels },
          spec: {
            hostNetwork: true,
            priorityClassName: 'system-node-critical',
            serviceAccountName: shape.name,
            nodeSelector: { 'kubernetes.io/os': 'linux', ...(opts.onlyFakeNodes === false ? {} : { [FAKE_NODE_LABEL]: 'true' }) },
            tolerations: [{ operator: 'Exists' }],
            terminationGracePeriodSeconds: 1,
            containers: shape.containers.map((c) => ({
              name: c.name,
              image: c.image,
              args: c.args,
              env: Object.entries(c.env ?? {}).map(([name, value]) => ({ name, value })),
              securityContext: { privileged: true },
              resources: { requests: { cpu: '100m', memory: '128Mi' } },
            })),
          },
        },
      },
    },
  });
}

/** Wait until the DaemonSet has a ready pod on every eligible node (kwok runs them). */
export async function waitForDaemonSet(kc: KubeConfig, namespace: string, name: string, timeoutMs = 60_000): Promise<V1DaemonSet> {
  const apps = kc.makeApiClient(AppsV1Api);
  return waitFor(
    `DaemonSet ${namespace}/${name} ready`,
    async () => {
      const ds = await apps.readNamespacedDaemonSet({ namespace, name });
      const s = ds.status;
      return s && s.desiredNumberScheduled > 0 && s.numberReady === s.desiredNumberScheduled ? ds : undefined;
    },
    { timeoutMs, intervalMs: 200 },
  );
}

// ---------------------------------------------------------------------------------------------
// Namespaces, StorageClasses, Secrets, APIService, arbitrary manifests

/** Create a namespace (labelled with the scenario) and wait for its `default` ServiceAccount. */
export async function ensureNamespace(kc: KubeConfig, scenario: string, name: string, labels: Record<string, string> = {}): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name, labels: { ...labels, [SCENARIO_LABEL]: scenario } } } }).catch(ignore(409));
  await waitFor(`ServiceAccount ${name}/default`, () => core.readNamespacedServiceAccount({ name: 'default', namespace: name }), { timeoutMs: 30_000 });
}

export interface StorageClassSpec {
  name: string;
  provisioner: string;
  volumeBindingMode?: 'Immediate' | 'WaitForFirstConsumer';
  reclaimPolicy?: 'Delete' | 'Retain';
  allowVolumeExpansion?: boolean;
  parameters?: Record<string, string>;
  isDefault?: boolean;
  /** allowedTopologies: one term of matchLabelExpressions. */
  allowedTopologies?: { key: string; values: string[] }[];
}

export async function createStorageClass(kc: KubeConfig, scenario: string, s: StorageClassSpec): Promise<void> {
  await kc.makeApiClient(StorageV1Api).createStorageClass({
    body: {
      metadata: { name: s.name, labels: { [SCENARIO_LABEL]: scenario }, annotations: s.isDefault ? { [IS_DEFAULT]: 'true' } : {} },
      provisioner: s.provisioner,
      volumeBindingMode: s.volumeBindingMode ?? 'Immediate',
      reclaimPolicy: s.reclaimPolicy ?? 'Delete',
      allowVolumeExpansion: s.allowVolumeExpansion,
      parameters: s.parameters,
      ...(s.allowedTopologies ? { allowedTopologies: [{ matchLabelExpressions: s.allowedTopologies }] } : {}),
    },
  });
}

/** Mark an existing class (e.g. world-immediate) default (or not); resetScenario undoes it. */
export async function setDefaultStorageClass(kc: KubeConfig, scenario: string, name: string, isDefault = true): Promise<void> {
  const storage = kc.makeApiClient(StorageV1Api);
  const sc = await storage.readStorageClass({ name });
  const annotations = { ...sc.metadata?.annotations };
  if (isDefault) {
    annotations[IS_DEFAULT] = 'true';
    annotations[DEFAULTED_BY] = scenario;
  } else {
    delete annotations[IS_DEFAULT];
    delete annotations[DEFAULTED_BY];
  }
  await storage.replaceStorageClass({ name, body: { ...sc, metadata: { ...sc.metadata, annotations } } });
}

export async function createSecret(
  kc: KubeConfig,
  scenario: string,
  s: { namespace: string; name: string; type?: string; stringData?: Record<string, string>; data?: Record<string, string>; labels?: Record<string, string> },
): Promise<void> {
  await kc.makeApiClient(CoreV1Api).createNamespacedSecret({
    namespace: s.namespace,
    body: {
      metadata: { name: s.name, namespace: s.namespace, labels: { ...s.labels, [SCENARIO_LABEL]: scenario } },
      type: s.type ?? 'Opaque',
      stringData: s.stringData,
      data: s.data,
    },
  });
}

/**
 * Register BROKEN_API_SERVICE (-> kube-system/metrics-server, which does not exist); the aggregator's
 * availability controller then reports Available=False (ServiceNotFound). While it exists, namespace
 * deletion stalls (as on real clusters); resetScenario deletes it first.
 */
export async function brokenApiService(kc: KubeConfig, scenario: string): Promise<string> {
  await registerBrokenApiService(kc, { [SCENARIO_LABEL]: scenario });
  return BROKEN_API_SERVICE;
}

/** Server-side apply manifests (YAML text or objects), each labelled with the scenario. */
export async function applyManifests(kc: KubeConfig, scenario: string, manifests: string | KubernetesObject[]): Promise<KubernetesObject[]> {
  const objs: KubernetesObject[] =
    typeof manifests === 'string'
      ? parseAllDocuments(manifests)
          .map((d) => d.toJS() as KubernetesObject | null)
          .filter((o): o is KubernetesObject => !!o)
      : manifests;
  const api = KubernetesObjectApi.makeApiClient(kc);
  const out: KubernetesObject[] = [];
  for (const o of objs) {
    const body = { ...o, metadata: { ...o.metadata, labels: { ...o.metadata?.labels, [SCENARIO_LABEL]: scenario } } };
    out.push(await api.patch(body, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reset

/** Kinds a scenario may create, deleted in this order (APIService first: it blocks namespace deletion). */
const RESET_KINDS: [apiVersion: string, kind: string][][] = [
  [['apiregistration.k8s.io/v1', 'APIService']],
  [
    ['apps/v1', 'DaemonSet'],
    ['apps/v1', 'Deployment'],
    ['apps/v1', 'StatefulSet'],
    ['apps/v1', 'ReplicaSet'],
    ['batch/v1', 'Job'],
    ['v1', 'Pod'],
    ['v1', 'PersistentVolumeClaim'],
    ['v1', 'Service'],
    ['v1', 'ConfigMap'],
    ['v1', 'Secret'],
    ['v1', 'ServiceAccount'],
    ['networking.k8s.io/v1', 'NetworkPolicy'],
    ['policy/v1', 'PodDisruptionBudget'],
    ['rbac.authorization.k8s.io/v1', 'Role'],
    ['rbac.authorization.k8s.io/v1', 'RoleBinding'],
    ['rbac.authorization.k8s.io/v1', 'ClusterRole'],
    ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding'],
    ['storage.k8s.io/v1', 'StorageClass'],
    ['storage.k8s.io/v1', 'CSIDriver'],
  ],
  [
    ['v1', 'Node'],
    ['v1', 'Namespace'],
  ],
];

/**
 * Delete everything labelled preflight.test/scenario=<scenario> (any scenario when omitted), undo
 * setDefaultStorageClass on world classes, and wait until it is all gone. Returns how many objects
 * were deleted.
 */
export async function resetScenario(kc: KubeConfig, scenario?: string, timeoutMs = 90_000): Promise<number> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  const selector = scenario ? `${SCENARIO_LABEL}=${scenario}` : SCENARIO_LABEL;
  const list = async ([apiVersion, kind]: [string, string]) =>
    (await api.list(apiVersion, kind, undefined, undefined, undefined, undefined, undefined, selector)).items.map((o) => ({
      ...o,
      apiVersion,
      kind,
    }));
  let deleted = 0;
  for (const phase of RESET_KINDS) {
    const objs = (await Promise.all(phase.map(list))).flat();
    await Promise.all(
      objs.map((o) =>
        api.delete(o, undefined, undefined, undefined, undefined, 'Background').then(
          () => deleted++,
          ignore(404, 409),
        ),
      ),
    );
    await waitFor(
      `scenario ${scenario ?? '*'} objects deleted (${phase.map((k) => k[1]).join(', ')})`,
      async () => (await Promise.all(phase.map(list))).every((l) => l.length === 0),
      { timeoutMs, intervalMs: 200 },
    );
  }
  // Undo default-class marks on classes the scenario did not create (the world's own).
  const storage = kc.makeApiClient(StorageV1Api);
  for (const sc of (await storage.listStorageClass({ labelSelector: WORLD_LABEL })).items) {
    const by = sc.metadata?.annotations?.[DEFAULTED_BY];
    if (by && (!scenario || by === scenario)) await setDefaultStorageClass(kc, by, sc.metadata!.name!, false);
  }
  return deleted;
}
