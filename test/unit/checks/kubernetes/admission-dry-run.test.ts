import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import check, { describeSecurityContext, formatQuantity, grantingRules, psaRequirements } from '../../../../checks/kubernetes/admission-dry-run.ts';
import { parseManifests } from '../../../../src/chart/manifests.ts';
import type { ChartObjectsFact } from '../../../../src/facts/chart/objects.ts';
import type { AdmissionFact, AdmissionNamespaceFact, AdmissionObjectFact } from '../../../../src/facts/kubernetes/admission.ts';
import { failed, testCheck } from '../../../helpers/check-tester.ts';

// The chart's own golden render (helm template, default values): its Deployment's securityContext
// is what the PSA remediation reads.
const golden = readFileSync(join(import.meta.dirname, '../../../fixtures/helm/coder-v2-chart/testdata/default_values_coder.golden'), 'utf8');
const chart: ChartObjectsFact = { source: 'values', file: 'values.yaml', namespace: 'coder', releaseName: 'coder', objects: parseManifests(golden, 'default_values_coder.golden') };

const PSA_CODER = 'pods "coder-preflight-dry-run" is forbidden: violates PodSecurity "restricted:latest": unrestricted capabilities (container "coder" must set securityContext.capabilities.drop=["ALL"])';
const PSA_WORKSPACE =
  'pods "coder-preflight-sample-workspace" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "dev" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "dev" must set securityContext.capabilities.drop=["ALL"]), seccompProfile (pod or container "dev" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")';

const ok = (kind: string, name: string, over: Partial<AdmissionObjectFact> = {}): AdmissionObjectFact => ({ apiVersion: kind === 'Deployment' ? 'apps/v1' : 'v1', kind, name, namespace: 'coder', origin: 'chart', outcome: 'admitted', httpStatus: 201, ...over });
const coderPod = (over: Partial<AdmissionObjectFact> = {}): AdmissionObjectFact =>
  ok('Pod', 'coder-preflight-dry-run', { origin: 'pod', of: 'Deployment coder/coder', replicas: 1, quotaUsage: { pods: 1, 'count/pods': 1, 'requests.cpu': 2, 'requests.memory': 4096 * 2 ** 20, 'limits.cpu': 2, 'limits.memory': 4096 * 2 ** 20 }, ...over });
const workspace = (over: Partial<AdmissionObjectFact> = {}): AdmissionObjectFact[] => [
  ok('PersistentVolumeClaim', 'coder-preflight-sample-workspace-home', { origin: 'workspace' }),
  ok('Pod', 'coder-preflight-sample-workspace', { origin: 'workspace', ...over }),
];
const chartObjects = (over: Partial<Record<string, Partial<AdmissionObjectFact>>> = {}): AdmissionObjectFact[] => [
  ok('ServiceAccount', 'coder', over.ServiceAccount),
  ok('Role', 'coder-workspace-perms', { apiVersion: 'rbac.authorization.k8s.io/v1', ...over.Role }),
  ok('RoleBinding', 'coder', { apiVersion: 'rbac.authorization.k8s.io/v1', ...over.RoleBinding }),
  ok('Service', 'coder', over.Service),
  ok('Deployment', 'coder', over.Deployment),
];
const ns = (over: Partial<AdmissionNamespaceFact> = {}): AdmissionNamespaceFact => ({ name: 'coder', purposes: ['release', 'workspace'], exists: true, quotas: [], ...over });
const fact = (objects: AdmissionObjectFact[], over: Partial<AdmissionFact> = {}): AdmissionFact => ({
  source: 'values',
  file: 'values.yaml',
  releaseName: 'coder',
  releaseNamespace: 'coder',
  workspaceNamespaces: ['coder'],
  workspaceNamespacesFrom: "the chart's workspace Roles (coder/coder-workspace-perms)",
  namespaces: [ns()],
  objects,
  skipped: [],
  ...over,
});
const facts = (f: AdmissionFact) => ({ 'kubernetes.admission': f, 'chart.objects': chart });
const denied = (mechanism: AdmissionObjectFact['mechanism'], message: string, over: Partial<AdmissionObjectFact> = {}): Partial<AdmissionObjectFact> => ({ outcome: 'denied', httpStatus: 403, reason: 'Forbidden', mechanism, message, ...over });
const forbidden = (resource: string, group = '', namespace = 'coder'): Partial<AdmissionObjectFact> => ({
  outcome: 'forbidden',
  httpStatus: 403,
  message: `${resource} is forbidden: User "preflight-viewer" cannot create resource "${resource}" in API group "${group}" in the namespace "${namespace}"`,
  permission: { verb: 'create', group, resource, namespace },
});

testCheck(check, {
  pass: [
    {
      name: 'every object, the Coder Pod and the sample workspace admitted',
      facts: facts(fact([...chartObjects(), coderPod(), ...workspace()])),
      summary: "The API server's dry-run admits all 8 objects: 5 of the chart, 1 workload Pod(s) and the sample workspace in coder",
      evidence: { admitted: 8, objects: expect.arrayContaining(['Pod coder/coder-preflight-dry-run (the Pod of Deployment coder/coder): admitted']), coderSecurityContext: expect.stringContaining('capabilities not set') },
    },
    {
      name: 'three replicas that fit the quota together',
      facts: facts(fact([...chartObjects(), coderPod({ replicas: 3 }), ...workspace()], { namespaces: [ns({ quotas: [{ name: 'roomy', hard: { 'requests.cpu': '6', pods: '10' }, used: { 'requests.cpu': '0', pods: '0' }, scoped: false }] })] })),
      summary: 'admits all 8 objects',
    },
    {
      name: 'an upgrade: the Deployment exists, its Pods are in the quota already',
      facts: facts(fact([...chartObjects({ Deployment: { exists: true, httpStatus: 200 } }), coderPod({ replicas: 3 }), ...workspace()], { namespaces: [ns({ quotas: [{ name: 'q', hard: { 'requests.cpu': '6' }, used: { 'requests.cpu': '6' }, scoped: false }] })] })),
      summary: 'Deployment coder/coder exists already',
    },
    {
      name: 'a RoleBinding admitted by inference',
      facts: facts(fact([...chartObjects({ RoleBinding: { notes: ['inferred: the user may bind Role coder-workspace-perms'] } }), coderPod(), ...workspace()])),
      summary: 'admits all 8 objects',
      evidence: { objects: expect.arrayContaining(['RoleBinding coder/coder: admitted (inferred)']) },
    },
  ],
  fail: [
    {
      name: 'Pod Security restricted refuses the chart\'s default Pod: capabilities',
      facts: facts(fact([...chartObjects(), coderPod(denied('pod-security', PSA_CODER, { policy: 'restricted:latest' })), ...workspace(denied('pod-security', PSA_WORKSPACE, { policy: 'restricted:latest' }))])),
      summary: `Pod coder/coder-preflight-dry-run (the Pod of Deployment coder/coder) — Pod Security admission restricted:latest: ${PSA_CODER}`,
      remediation: /securityContext as allowPrivilegeEscalation=false, readOnlyRootFilesystem=null, runAsGroup=1000, runAsNonRoot=true, runAsUser=1000, seccompProfile\.type="RuntimeDefault", capabilities not set — it lacks capabilities: add coder\.securityContext\.capabilities\.drop: \["ALL"\] to the values/,
      check(r) {
        expect(r.summary).toContain('the sample workspace is refused too');
        expect(r.remediation).toContain('a template for this namespace must set securityContext.allowPrivilegeEscalation=false');
        expect(r.evidence.denials).toContain(`Pod coder/coder-preflight-dry-run: ${PSA_CODER}`);
      },
    },
    {
      name: 'a tight ResourceQuota',
      facts: facts(fact([...chartObjects(), coderPod(denied('resource-quota', 'pods "coder-preflight-dry-run" is forbidden: exceeded quota: tight, requested: requests.cpu=2, used: requests.cpu=0, limited: requests.cpu=100m', { policy: 'tight' })), ...workspace()])),
      summary: 'ResourceQuota tight: pods "coder-preflight-dry-run" is forbidden: exceeded quota: tight, requested: requests.cpu=2',
      remediation: 'raise ResourceQuota tight in coder (kubectl -n coder edit resourcequota tight) or set coder.resources to fit',
    },
    {
      name: 'a quota on limits.memory and no limit set',
      facts: facts(fact([...chartObjects(), coderPod(denied('resource-quota', 'pods "coder-preflight-dry-run" is forbidden: failed quota: lim: must specify limits.memory for: coder', { policy: 'lim' })), ...workspace()])),
      summary: 'must specify limits.memory',
      remediation: 'ResourceQuota lim in coder needs every Pod to set limits.memory: set it in coder.resources (e.g. coder.resources.limits.memory)',
    },
    {
      name: 'the quota has room for one replica, not three',
      facts: facts(fact([...chartObjects(), coderPod({ replicas: 3 }), ...workspace()], { namespaces: [ns({ quotas: [{ name: 'roomy', hard: { 'requests.cpu': '5', 'requests.storage': '1Gi' }, used: { 'requests.cpu': '500m' }, scoped: false }, { name: 'scoped', hard: { pods: '1' }, used: {}, scoped: true }] })] })),
      summary: 'ResourceQuota coder/roomy has no room for all of the chart\'s Pods: they need requests.cpu=6 (3 × 2 (Deployment coder/coder)), with 500m of 5 used already',
      remediation: 'raise ResourceQuota roomy in coder, or lower coder.replicaCount or coder.resources',
    },
    {
      name: 'a LimitRange',
      facts: facts(fact([...chartObjects(), coderPod(denied('limit-range', 'pods "coder-preflight-dry-run" is forbidden: maximum cpu usage per Container is 1, but limit is 2')), ...workspace()])),
      summary: 'LimitRange: pods "coder-preflight-dry-run" is forbidden: maximum cpu usage per Container is 1',
      remediation: 'set coder.resources within the LimitRange of coder (kubectl -n coder get limitrange -o yaml)',
    },
    {
      name: 'a ValidatingAdmissionPolicy',
      facts: facts(fact([...chartObjects(), coderPod(denied('validating-admission-policy', "pods \"coder-preflight-dry-run\" is forbidden: ValidatingAdmissionPolicy 'registry-allowlist' with binding 'registry-allowlist-binding' denied request: images must come from registry.example.com", { policy: 'registry-allowlist', binding: 'registry-allowlist-binding' })), ...workspace()])),
      summary: "ValidatingAdmissionPolicy registry-allowlist (binding registry-allowlist-binding): pods \"coder-preflight-dry-run\" is forbidden: ValidatingAdmissionPolicy 'registry-allowlist' with binding 'registry-allowlist-binding' denied request: images must come from registry.example.com",
      remediation: 'ask the cluster administrator to exclude namespace coder from binding registry-allowlist-binding',
    },
    {
      name: 'a webhook',
      facts: facts(fact([...chartObjects({ Service: denied('webhook', 'admission webhook "deny-lb.example.com" denied the request: no LoadBalancer Services', { policy: 'deny-lb.example.com' }) }), coderPod(), ...workspace()])),
      summary: 'Service coder/coder — admission webhook deny-lb.example.com: admission webhook "deny-lb.example.com" denied the request: no LoadBalancer Services',
      remediation: 'the admission webhook deny-lb.example.com refuses it',
    },
    {
      name: 'an unknown field (--manifests edited by hand)',
      facts: facts(fact([...chartObjects({ Deployment: denied('schema', 'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.template.spec.hostNetwrok"', { httpStatus: 400, reason: 'BadRequest' }) }), ...workspace()], { source: 'manifests', file: 'manifests.yaml' })),
      summary: 'strict field validation: Deployment in version "v1" cannot be handled',
      remediation: 'remove or correct the field the API does not know (unknown field "spec.template.spec.hostNetwrok")',
      evidence: { source: 'manifests manifests.yaml' },
    },
    {
      name: 'an invalid object',
      facts: facts(fact([...chartObjects({ Service: denied('validation', 'Service "coder" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range', { httpStatus: 422, reason: 'Invalid', causes: [{ field: 'spec.ports[0].nodePort', reason: 'FieldValueInvalid' }] }) }), coderPod(), ...workspace()])),
      summary: 'API validation: Service "coder" is invalid',
      remediation: 'the API server finds Service coder/coder invalid (spec.ports[0].nodePort)',
    },
    {
      name: 'a kind the cluster does not serve',
      facts: facts(fact([...chartObjects(), ok('ServiceMonitor', 'coder', { apiVersion: 'monitoring.coreos.com/v1', outcome: 'kind-not-served', httpStatus: undefined, message: 'the cluster serves no ServiceMonitor in monitoring.coreos.com/v1' }), coderPod(), ...workspace()])),
      summary: 'ServiceMonitor coder/coder — not served by this cluster',
      remediation: 'install what serves ServiceMonitor (monitoring.coreos.com/v1: its CRD or operator) before helm install',
    },
    {
      name: 'a ServiceAccount that exists outside the release',
      facts: facts(fact([...chartObjects({ ServiceAccount: denied('helm-ownership', 'ServiceAccount "coder" in namespace "coder" exists and cannot be imported into release coder: annotation meta.helm.sh/release-name is missing (must be coder)', { httpStatus: 200, exists: true }) }), coderPod(), ...workspace()])),
      summary: 'Helm release ownership: ServiceAccount "coder" in namespace "coder" exists and cannot be imported into release coder',
      remediation: 'meta.helm.sh/release-name=<release>',
    },
    {
      name: 'Pods run as a ServiceAccount nobody creates',
      facts: facts(fact([...chartObjects(), coderPod(denied('service-account', 'pods "coder-preflight-dry-run" is forbidden: error looking up service account coder/mine: serviceaccount "mine" not found')), ...workspace()])),
      summary: 'ServiceAccount admission',
      remediation: 'coder.serviceAccount.disableCreate: false',
    },
    {
      name: 'a namespace being deleted',
      facts: facts(fact([...chartObjects({ ServiceAccount: denied('namespace-lifecycle', 'serviceaccounts "coder" is forbidden: unable to create new content in namespace coder because it is being terminated') }), coderPod(), ...workspace()])),
      summary: 'NamespaceLifecycle',
      remediation: 'namespace coder is being deleted',
    },
    {
      name: 'a denial besides a forbidden object: the denial decides',
      facts: facts(fact([...chartObjects({ Service: forbidden('services') }), coderPod(denied('pod-security', PSA_CODER, { policy: 'restricted:latest' })), ...workspace()])),
      summary: /Pod Security admission restricted:latest.*and 1 object\(s\) the user may not create/,
    },
  ],
  warn: [
    {
      name: 'the release namespace does not exist yet',
      facts: facts(
        fact(
          [
            ...chartObjects({ ServiceAccount: { outcome: 'namespace-missing', httpStatus: 404, message: 'namespaces "coder" not found', notes: ['namespace coder does not exist: nothing can be dry-run there until it does'] } }).map((o) => (o.kind === 'ServiceAccount' ? o : { ...o, outcome: 'namespace-missing' as const, httpStatus: undefined })),
            { ...coderPod(), outcome: 'namespace-missing', httpStatus: undefined },
            ...workspace().map((o) => ({ ...o, outcome: 'namespace-missing' as const, httpStatus: undefined })),
          ],
          { namespaces: [ns({ exists: false, quotas: null })] },
        ),
      ),
      summary: 'namespace coder does not exist yet, so 8 object(s) could not be dry-run there (helm install --create-namespace would create it)',
      remediation: 'create coder first (kubectl create namespace …)',
      evidence: { namespaces: ['coder (release, workspace): does not exist'] },
    },
    {
      name: 'the chart is admitted, Coder\'s example workspace is not',
      facts: facts(fact([...chartObjects(), coderPod(), ...workspace(denied('pod-security', PSA_WORKSPACE, { policy: 'restricted:latest' }))])),
      summary: "the chart's objects are admitted, but a workspace like Coder's example Kubernetes template would be refused: Pod coder/coder-preflight-sample-workspace — Pod Security admission restricted:latest",
      remediation: 'a template for this namespace must set securityContext.allowPrivilegeEscalation=false, set securityContext.capabilities.drop=["ALL"], set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"',
    },
    {
      name: 'a workspace quota too small for the example template',
      facts: facts(fact([...chartObjects(), coderPod(), ...workspace(denied('resource-quota', 'pods "coder-preflight-sample-workspace" is forbidden: exceeded quota: ws, requested: requests.cpu=250m, used: requests.cpu=0, limited: requests.cpu=100m', { policy: 'ws' }))])),
      summary: 'ResourceQuota ws',
      remediation: 'raise ResourceQuota ws in coder (kubectl -n coder edit resourcequota ws) or make templates for this namespace request less',
    },
    {
      name: 'a RoleBinding a dry-run cannot decide',
      facts: facts(fact([...chartObjects({ RoleBinding: { outcome: 'undecidable', httpStatus: 404, message: 'rolebindings.rbac.authorization.k8s.io "coder-workspace-perms" not found', notes: ['it binds Role coder-workspace-perms, which the same install creates'] } }), coderPod(), ...workspace()])),
      summary: 'a dry-run cannot decide RoleBinding coder/coder (it binds Role coder-workspace-perms, which the same install creates)',
      remediation: 'let the user bind the Role (verb bind on roles)',
    },
    {
      name: 'a webhook that refuses dry-runs',
      facts: facts(fact([...chartObjects(), coderPod({ outcome: 'undecidable', mechanism: 'webhook', policy: 'validate.kyverno.svc', message: 'admission webhook "validate.kyverno.svc" does not support dry run', httpStatus: 400 }), ...workspace()])),
      summary: 'a dry-run cannot decide Pod coder/coder-preflight-dry-run',
      remediation: 'the webhook validate.kyverno.svc refuses dry-run requests',
    },
    {
      name: 'quotas that could not be read, three replicas',
      facts: facts(fact([...chartObjects(), coderPod({ replicas: 3 }), ...workspace()], { namespaces: [ns({ quotas: null, quotaError: 'cannot list resourcequotas in coder: forbidden' })] })),
      summary: 'the ResourceQuotas could not be read, so the sum over replicas is not checked',
      remediation: 'let the user list resourcequotas',
    },
  ],
  error: [
    {
      name: 'the view-only user',
      facts: facts(fact([...chartObjects({ ServiceAccount: forbidden('serviceaccounts'), Role: forbidden('roles', 'rbac.authorization.k8s.io'), RoleBinding: forbidden('rolebindings', 'rbac.authorization.k8s.io'), Service: forbidden('services'), Deployment: forbidden('deployments', 'apps') }), coderPod(forbidden('pods')), ...workspace(forbidden('pods')).map((o) => (o.kind === 'PersistentVolumeClaim' ? { ...o, ...forbidden('persistentvolumeclaims') } : o))])),
      summary:
        'Admission could not judge what the chart creates: the user may not create serviceaccounts in coder, create roles.rbac.authorization.k8s.io in coder, create rolebindings.rbac.authorization.k8s.io in coder, create services in coder, create deployments.apps in coder, which helm install does (403 from RBAC, not admission); Pod coder/coder-preflight-dry-run, PersistentVolumeClaim coder/coder-preflight-sample-workspace-home, Pod coder/coder-preflight-sample-workspace could not be judged: the dry-run needs create pods in coder, create persistentvolumeclaims in coder',
      remediation: 'grant this user a Role in coder with rules {apiGroups: [""], resources: [persistentvolumeclaims, pods, serviceaccounts, services], verbs: [create]}, {apiGroups: [rbac.authorization.k8s.io], resources: [rolebindings, roles], verbs: [create]}, {apiGroups: [apps], resources: [deployments], verbs: [create]}',
    },
    {
      name: 'only the Pods may not be created',
      facts: facts(fact([...chartObjects(), coderPod(forbidden('pods')), ...workspace(forbidden('pods'))])),
      summary: 'Pod coder/coder-preflight-dry-run, Pod coder/coder-preflight-sample-workspace could not be judged: the dry-run needs create pods in coder (helm install itself does not create them: a controller and Coder do)',
    },
    {
      name: 'a Role with permissions the user does not hold',
      facts: facts(fact([...chartObjects({ Role: { outcome: 'forbidden', httpStatus: 403, message: 'roles.rbac.authorization.k8s.io "coder-workspace-perms" is forbidden: user "u" is attempting to grant RBAC permissions not currently held', permission: { verb: 'escalate', group: 'rbac.authorization.k8s.io', resource: 'roles', namespace: 'coder' } } }), coderPod(), ...workspace()])),
      summary: 'the user may not escalate roles.rbac.authorization.k8s.io in coder',
      remediation: /verbs: \[escalate\]\}.*or let the user hold every permission the Role grants/,
    },
    {
      name: 'the API server failed for one object',
      facts: facts(fact([...chartObjects(), coderPod({ outcome: 'error', httpStatus: 500, message: 'Internal error occurred: etcdserver: request timed out' }), ...workspace()])),
      summary: 'The API server did not judge everything: Pod coder/coder-preflight-dry-run: Internal error occurred: etcdserver: request timed out',
    },
    {
      name: 'the values do not render',
      facts: { 'kubernetes.admission': failed('invalid-config', 'helm would not render values.yaml: coder.image.tag: bad', { causedBy: 'chart.objects' }), 'chart.objects': failed('invalid-config', 'helm would not render values.yaml: coder.image.tag: bad') },
      summary: 'helm would not render values.yaml',
    },
  ],
  skip: [
    {
      name: 'no values file or manifests',
      facts: { 'kubernetes.admission': failed('not-configured', 'No values file or manifests given', { causedBy: 'chart.objects' }), 'chart.objects': failed('not-configured', 'No values file or manifests given', { hint: 'pass --values or --manifests' }) },
      summary: 'No values file or manifests given',
    },
  ],
});

describe('admission-dry-run helpers', () => {
  it('reads what PSA asks of each container', () => {
    expect(psaRequirements(PSA_WORKSPACE)).toEqual([
      'set securityContext.allowPrivilegeEscalation=false',
      'set securityContext.capabilities.drop=["ALL"]',
      'set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"',
    ]);
  });
  it('says what a securityContext sets, and that it sets no capabilities', () => {
    expect(describeSecurityContext({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } })).toBe('runAsNonRoot=true, seccompProfile.type="RuntimeDefault", capabilities not set');
    expect(describeSecurityContext({ capabilities: { drop: ['ALL'] } })).toBe('capabilities.drop=["ALL"]');
    expect(describeSecurityContext(undefined)).toBe('none');
  });
  it('formats quota quantities', () => {
    expect(formatQuantity('requests.cpu', 0.25)).toBe('250m');
    expect(formatQuantity('requests.cpu', 6)).toBe('6');
    expect(formatQuantity('limits.memory', 12 * 2 ** 30)).toBe('12Gi');
    expect(formatQuantity('requests.memory', 512 * 2 ** 20)).toBe('512Mi');
    expect(formatQuantity('pods', 3)).toBe('3');
  });
  it('groups the missing permissions into Role rules per namespace', () => {
    const o = (resource: string, group: string, namespace: string) => ({ ...ok('X', 'x'), ...forbidden(resource, group, namespace) }) as AdmissionObjectFact;
    expect(grantingRules([o('pods', '', 'a'), o('services', '', 'a'), o('deployments', 'apps', 'a'), o('pods', '', 'b')])).toBe(
      'a Role in a with rules {apiGroups: [""], resources: [pods, services], verbs: [create]}, {apiGroups: [apps], resources: [deployments], verbs: [create]}; a Role in b with rules {apiGroups: [""], resources: [pods], verbs: [create]}',
    );
  });
});
