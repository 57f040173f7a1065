// The pure parts of the kubernetes.admission collector: how an answer of the API server is read
// (messages as kube-apiserver v1.35.4 gives them, captured from the test world), the Pod a workload
// creates, the workspace namespaces, a Pod's quota usage. The requests themselves are tested against
// the real API server in test/e2e/admission-dry-run.test.ts.
import { describe, expect, it } from 'vitest';
import { renderChart } from '../../src/chart/render.ts';
import { classifyDenial, helmOwnership, parseWarnings, podOfWorkload, podQuotaUsage, samplePod, samplePvc, workspaceNamespacesOf } from '../../src/facts/kubernetes/admission.ts';

const pod = { kind: 'Pod', namespace: 'coder' };
const status = (message: string, reason = 'Forbidden') => ({ message, reason });

describe('classifyDenial', () => {
  it('RBAC: the user may not create (forbidden, not admission), naming verb, resource, group and namespace', () => {
    expect(classifyDenial(403, status('deployments.apps is forbidden: User "preflight-viewer" cannot create resource "deployments" in API group "apps" in the namespace "coder"'), { kind: 'Deployment', namespace: 'coder' })).toEqual({
      outcome: 'forbidden',
      permission: { verb: 'create', group: 'apps', resource: 'deployments', namespace: 'coder' },
    });
    expect(classifyDenial(403, status('roles.rbac.authorization.k8s.io "coder-workspace-perms" is forbidden: user "system:serviceaccount:rbt:u1" (groups=["system:serviceaccounts"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:["apps"], Resources:["deployments"], Verbs:["watch"]}'), { kind: 'Role', namespace: 'rbt' })).toEqual({
      outcome: 'forbidden',
      permission: { verb: 'escalate', group: 'rbac.authorization.k8s.io', resource: 'roles', namespace: 'rbt' },
    });
  });
  it('names each admission mechanism from its message', () => {
    const c = (m: string, code = 403, reason = 'Forbidden') => classifyDenial(code, status(m, reason), pod);
    expect(c('pods "x" is forbidden: violates PodSecurity "restricted:latest": unrestricted capabilities (container "coder" must set securityContext.capabilities.drop=["ALL"])')).toEqual({ outcome: 'denied', mechanism: 'pod-security', policy: 'restricted:latest' });
    expect(c('pods "p" is forbidden: exceeded quota: tight, requested: requests.cpu=2, used: requests.cpu=0, limited: requests.cpu=100m')).toEqual({ outcome: 'denied', mechanism: 'resource-quota', policy: 'tight' });
    expect(c('pods "p" is forbidden: failed quota: lim: must specify limits.memory for: c')).toEqual({ outcome: 'denied', mechanism: 'resource-quota', policy: 'lim' });
    expect(c('pods "p" is forbidden: maximum cpu usage per Container is 1, but limit is 2')).toEqual({ outcome: 'denied', mechanism: 'limit-range' });
    expect(c("pods \"p\" is invalid: : ValidatingAdmissionPolicy 'registry-allowlist' with binding 'registry-allowlist-binding' denied request: images must come from registry.example.com", 422, 'Invalid')).toEqual({
      outcome: 'denied',
      mechanism: 'validating-admission-policy',
      policy: 'registry-allowlist',
      binding: 'registry-allowlist-binding',
    });
    expect(c('admission webhook "validate.example.com" denied the request: no')).toEqual({ outcome: 'denied', mechanism: 'webhook', policy: 'validate.example.com' });
    expect(c('Internal error occurred: failed calling webhook "validate.example.com": failed to call webhook: Post "https://x.svc:443/validate": dial tcp: connect: connection refused', 500, 'InternalError')).toEqual({ outcome: 'denied', mechanism: 'webhook', policy: 'validate.example.com' });
    expect(c('admission webhook "validate.kyverno.svc" does not support dry run', 400, 'BadRequest')).toEqual({ outcome: 'undecidable', mechanism: 'webhook', policy: 'validate.kyverno.svc' });
    expect(c('pods "x" is forbidden: error looking up service account coder/mine: serviceaccount "mine" not found')).toEqual({ outcome: 'denied', mechanism: 'service-account' });
    expect(c('Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.template.spec.bogusField"', 400, 'BadRequest')).toEqual({ outcome: 'denied', mechanism: 'schema' });
    expect(c('Pod "x" is invalid: spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1', 422, 'Invalid')).toEqual({ outcome: 'denied', mechanism: 'validation' });
    expect(c('pods "x" is forbidden: unable to create new content in namespace coder because it is being terminated')).toEqual({ outcome: 'denied', mechanism: 'namespace-lifecycle' });
    expect(c('something else', 500, 'InternalError')).toEqual({ outcome: 'error' });
  });
});

describe('parseWarnings', () => {
  it('reads one or several Warning headers', () => {
    expect(parseWarnings('299 - "would violate PodSecurity \\"restricted:latest\\": unrestricted capabilities (container \\"coder\\" must set securityContext.capabilities.drop=[\\"ALL\\"])"')).toEqual([
      'would violate PodSecurity "restricted:latest": unrestricted capabilities (container "coder" must set securityContext.capabilities.drop=["ALL"])',
    ]);
    expect(parseWarnings('299 - "a", 299 - "b, c"')).toEqual(['a', 'b, c']);
    expect(parseWarnings(undefined)).toEqual([]);
  });
});

describe('the Pods a workload creates', () => {
  const objects = renderChart({ coder: { image: { tag: 'v2.30.0' }, replicaCount: 3 } }, { namespace: 'coder', releaseName: 'coder', appVersion: '2.30.0', chartVersion: '2.30.0' });
  it("is the Deployment's template as a Pod, with its replicas", () => {
    const d = objects.find((o) => o.kind === 'Deployment')!;
    const p = podOfWorkload(d, 'coder')!;
    expect(p.replicas).toBe(3);
    expect(p.pod).toMatchObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'coder-preflight-dry-run', namespace: 'coder', labels: { 'app.kubernetes.io/name': 'coder' } }, spec: { serviceAccountName: 'coder' } });
    expect((p.pod.spec as { containers: { name: string }[] }).containers[0]!.name).toBe('coder');
  });
  it('CronJobs, Jobs and DaemonSets too (no fixed replica count); other kinds have no Pod', () => {
    const tpl = { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } };
    expect(podOfWorkload({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'cj' }, spec: { jobTemplate: { spec: { template: tpl } } } }, 'n')).toMatchObject({ pod: { metadata: { labels: { a: 'b' } } } });
    expect(podOfWorkload({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'ds' }, spec: { template: tpl } }, 'n')?.replicas).toBeUndefined();
    expect(podOfWorkload({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' } }, 'n')).toBeUndefined();
  });
});

describe('workspace namespaces', () => {
  const render = (sa: object) => renderChart({ coder: { image: { tag: 'v2.30.0' }, serviceAccount: sa } }, { namespace: 'coder', releaseName: 'coder', appVersion: '2.30.0', chartVersion: '2.30.0' });
  it("are the namespaces of the chart's workspace Roles", () => {
    expect(workspaceNamespacesOf(render({}), 'coder').namespaces).toEqual(['coder']);
    expect(workspaceNamespacesOf(render({ workspaceNamespaces: [{ name: 'ws1' }, { name: 'ws2', workspacePerms: true }] }), 'coder').namespaces).toEqual(['coder', 'ws1', 'ws2']);
    expect(workspaceNamespacesOf(render({ workspacePerms: false, workspaceNamespaces: [{ name: 'ws1', workspacePerms: true }] }), 'coder')).toEqual({ namespaces: ['ws1'], from: "the chart's workspace Roles (ws1/coder-workspace-perms)" });
  });
  it('else the release namespace', () => {
    expect(workspaceNamespacesOf(render({ workspacePerms: false }), 'coder')).toEqual({ namespaces: ['coder'], from: 'the release namespace (the chart renders no workspace Role)' });
  });
});

describe('podQuotaUsage', () => {
  it('sums containers, takes the largest init container when bigger, adds overhead', () => {
    const u = podQuotaUsage({
      containers: [
        { resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '2', memory: '2Gi' } } },
        { resources: { requests: { cpu: '250m' } } },
      ],
      initContainers: [{ resources: { requests: { cpu: '1', memory: '64Mi' } } }],
      overhead: { cpu: '10m' },
    });
    expect(u).toEqual({ pods: 1, 'count/pods': 1, 'requests.cpu': 1.01, 'requests.memory': 512 * 2 ** 20, 'limits.cpu': 2.01, 'limits.memory': 2 * 2 ** 30 });
  });
});

describe('helmOwnership', () => {
  it('is undefined for an object of this release, else says what helm would refuse', () => {
    const obj = (annotations?: Record<string, string>) => ({ kind: 'ServiceAccount', metadata: { name: 'coder', namespace: 'coder', ...(annotations ? { annotations } : {}) } });
    expect(helmOwnership(obj({ 'meta.helm.sh/release-name': 'coder', 'meta.helm.sh/release-namespace': 'coder' }), 'coder', 'coder')).toBeUndefined();
    expect(helmOwnership(obj(), 'coder', 'coder')).toBe('ServiceAccount "coder" in namespace "coder" exists and cannot be imported into release coder: annotation meta.helm.sh/release-name is missing (must be coder); annotation meta.helm.sh/release-namespace is missing (must be coder)');
    expect(helmOwnership(obj({ 'meta.helm.sh/release-name': 'other', 'meta.helm.sh/release-namespace': 'coder' }), 'coder', 'coder')).toContain('annotation meta.helm.sh/release-name is "other" (must be coder)');
  });
});

describe("the sample workspace (Coder's example Kubernetes template)", () => {
  it('runs as 1000 with fsGroup 1000, requests 250m/512Mi, limits 2/2Gi, and mounts its PVC at /home/coder', () => {
    const p = samplePod('ws') as unknown as { metadata: { namespace: string }; spec: { securityContext: object; containers: { resources: object; volumeMounts: object[] }[]; volumes: object[] } };
    expect(p.metadata.namespace).toBe('ws');
    expect(p.spec.securityContext).toEqual({ runAsUser: 1000, fsGroup: 1000, runAsNonRoot: true });
    expect(p.spec.containers[0]!.resources).toEqual({ requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '2', memory: '2Gi' } });
    expect(p.spec.containers[0]!.volumeMounts).toEqual([{ mountPath: '/home/coder', name: 'home', readOnly: false }]);
    expect(p.spec.volumes).toEqual([{ name: 'home', persistentVolumeClaim: { claimName: 'coder-preflight-sample-workspace-home', readOnly: false } }]);
    expect(samplePvc('ws')).toMatchObject({ kind: 'PersistentVolumeClaim', metadata: { name: 'coder-preflight-sample-workspace-home', namespace: 'ws' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } } });
  });
});
