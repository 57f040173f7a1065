// kubernetes.admission-dry-run against the real kube-apiserver's admission (v1.35: PodSecurity,
// ResourceQuota, LimitRanger and ValidatingAdmissionPolicy are on by default): the built CLI sends
// the chart's objects (rendered from --values, or --manifests) with a server-side dry-run, and
// nothing it sends is persisted.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdmissionregistrationV1Api, AppsV1Api, CoreV1Api, KubernetesObjectApi, RbacAuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { root, runCheck } from '../helpers/cli.ts';
import { kubeConfig } from '../world/kube/kube.ts';
import { waitFor } from '../world/proc.ts';
import { applyManifests, ensureNamespace, resetScenario, SCENARIO_LABEL } from '../world/kube/scenario.ts';
import { createTokenUser } from '../world/kube/users.ts';

const ID = 'kubernetes.admission-dry-run';
const kube = inject('kube');
const kc = kubeConfig(kube, 'admin');
const SCENARIO = `adm-${process.pid}`;
const NS = `${SCENARIO}-ns`;
const WS = `${SCENARIO}-ws`;
const dir = mkdtempSync(join(tmpdir(), 'cp-admission-'));
const policies: string[] = [];

afterEach(async () => {
  const adm = kc.makeApiClient(AdmissionregistrationV1Api);
  for (const name of policies.splice(0)) {
    await adm.deleteValidatingAdmissionPolicyBinding({ name: `${name}-binding` }).catch(() => undefined);
    await adm.deleteValidatingAdmissionPolicy({ name }).catch(() => undefined);
  }
  await resetScenario(kc, SCENARIO);
});
afterAll(async () => {
  await resetScenario(kc, SCENARIO);
});

const file = (name: string, text: string) => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};
const values = (coder: Record<string, unknown>) => file(`values-${Math.random().toString(36).slice(2)}.yaml`, JSON.stringify({ coder: { image: { tag: 'v2.30.0' }, ...coder } }));
const DROP_ALL = { securityContext: { capabilities: { drop: ['ALL'] } } };
const run = (ns: string, ...args: string[]) => runCheck(ID, ['--kubeconfig', kube.kubeconfig, '-n', ns, ...args]);

/** Everything the chart or the sample workspace would create, as the namespace holds it now (nothing, if the dry-run persisted nothing). */
async function persisted(k: KubeConfig, ns: string): Promise<string[]> {
  const core = k.makeApiClient(CoreV1Api);
  const apps = k.makeApiClient(AppsV1Api);
  const rbac = k.makeApiClient(RbacAuthorizationV1Api);
  const names = (what: string, items: { metadata?: { name?: string } }[]) => items.map((i) => `${what}/${i.metadata?.name}`);
  return [
    ...names('pod', (await core.listNamespacedPod({ namespace: ns })).items),
    ...names('pvc', (await core.listNamespacedPersistentVolumeClaim({ namespace: ns })).items),
    ...names('service', (await core.listNamespacedService({ namespace: ns })).items),
    ...names('serviceaccount', (await core.listNamespacedServiceAccount({ namespace: ns })).items).filter((n) => n !== 'serviceaccount/default'),
    ...names('deployment', (await apps.listNamespacedDeployment({ namespace: ns })).items),
    ...names('replicaset', (await apps.listNamespacedReplicaSet({ namespace: ns })).items),
    ...names('role', (await rbac.listNamespacedRole({ namespace: ns })).items),
    ...names('rolebinding', (await rbac.listNamespacedRoleBinding({ namespace: ns })).items),
  ];
}

/** A ResourceQuota, once the quota controller has written its status (admission refuses Pods against a quota it has not observed). */
async function quota(ns: string, name: string, hard: Record<string, string>): Promise<void> {
  await applyManifests(kc, SCENARIO, [{ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name, namespace: ns }, spec: { hard } } as never]);
  const core = kc.makeApiClient(CoreV1Api);
  await waitFor(`ResourceQuota ${ns}/${name} status`, async () => Object.keys((await core.readNamespacedResourceQuota({ name, namespace: ns })).status?.hard ?? {}).length > 0, { timeoutMs: 30_000, intervalMs: 100 });
}

/** A ValidatingAdmissionPolicy bound to one namespace, once the API server enforces it (policies are loaded asynchronously). */
async function policy(name: string, ns: string, expression: string, message: string, resources = ['pods']): Promise<void> {
  const adm = kc.makeApiClient(AdmissionregistrationV1Api);
  policies.push(name);
  await adm.createValidatingAdmissionPolicy({
    body: {
      metadata: { name, labels: { [SCENARIO_LABEL]: SCENARIO } },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: { resourceRules: [{ apiGroups: ['', 'apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources }] },
        validations: [{ expression, message }],
      },
    },
  });
  await adm.createValidatingAdmissionPolicyBinding({
    body: { metadata: { name: `${name}-binding`, labels: { [SCENARIO_LABEL]: SCENARIO } }, spec: { policyName: name, validationActions: ['Deny'], matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } } } },
  });
  const api = KubernetesObjectApi.makeApiClient(kc);
  const probe = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'vap-probe', namespace: ns }, spec: { hostNetwork: true, containers: [{ name: 'c', image: 'ghcr.io/coder/coder:v2.30.0' }] } };
  await waitFor(
    `ValidatingAdmissionPolicy ${name} enforced`,
    async () => {
      try {
        await api.create(probe, undefined, 'All');
        return false;
      } catch (e) {
        return String((e as { body?: unknown }).body).includes(`ValidatingAdmissionPolicy '${name}'`);
      }
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
}

describe('kubernetes.admission-dry-run against a real kube-apiserver', () => {
  it('a namespace enforcing Pod Security restricted refuses the default chart (no capabilities dropped), and admits it with capabilities.drop ALL', async () => {
    await ensureNamespace(kc, SCENARIO, NS, { 'pod-security.kubernetes.io/enforce': 'restricted' });
    const { code, res } = await run(NS, '-f', values({}));
    expect(code).toBe(3);
    expect(res.status).toBe('fail');
    // The API server's message, verbatim: the Deployment itself is admitted (PSA enforces on Pods only), its Pod is not.
    expect(res.summary).toContain(
      `Pod ${NS}/coder-preflight-dry-run (the Pod of Deployment ${NS}/coder) — Pod Security admission restricted:latest: pods "coder-preflight-dry-run" is forbidden: violates PodSecurity "restricted:latest": unrestricted capabilities (container "coder" must set securityContext.capabilities.drop=["ALL"])`,
    );
    expect(res.remediation).toMatch(/it lacks capabilities: add coder\.securityContext\.capabilities\.drop: \["ALL"\] to the values/);
    expect(res.evidence).toMatchObject({
      coderSecurityContext: 'runAsNonRoot=true, runAsUser=1000, runAsGroup=1000, readOnlyRootFilesystem=null, seccompProfile.type="RuntimeDefault", allowPrivilegeEscalation=false, capabilities not set',
      objects: expect.arrayContaining([`Deployment ${NS}/coder: admitted`, `Pod ${NS}/coder-preflight-dry-run (the Pod of Deployment ${NS}/coder): denied by Pod Security admission restricted:latest (HTTP 403)`]),
      warnings: [expect.stringMatching(/^Deployment .*\/coder: would violate PodSecurity "restricted:latest": unrestricted capabilities/)],
    });
    expect(await persisted(kc, NS)).toEqual([]);

    // With the capabilities dropped, the chart is admitted; Coder's example workspace still is not (restricted wants more of it).
    const fixed = await run(NS, '-f', values(DROP_ALL));
    expect(fixed.res.status).toBe('warn');
    expect(fixed.res.summary).toMatch(/^the chart's objects are admitted, but a workspace like Coder's example Kubernetes template would be refused: Pod .*coder-preflight-sample-workspace — Pod Security admission restricted:latest: .*allowPrivilegeEscalation != false \(container "dev"/);
    expect(fixed.res.evidence.objects).toContain(`Pod ${NS}/coder-preflight-dry-run (the Pod of Deployment ${NS}/coder): admitted`);
    expect(await persisted(kc, NS)).toEqual([]);
  });

  it('passes when workspaces go to a namespace without Pod Security, and sends the sample workspace there', async () => {
    await ensureNamespace(kc, SCENARIO, NS, { 'pod-security.kubernetes.io/enforce': 'restricted' });
    await ensureNamespace(kc, SCENARIO, WS);
    const { code, res } = await run(NS, '-f', values({ ...DROP_ALL, serviceAccount: { workspacePerms: false, workspaceNamespaces: [{ name: WS, workspacePerms: true }] } }));
    expect(code, res.summary).toBe(0);
    expect(res).toMatchObject({ status: 'pass', summary: `The API server's dry-run admits all 8 objects: 5 of the chart, 1 workload Pod(s) and the sample workspace in ${WS}`, evidence: { workspaceNamespaces: [WS] } });
    expect(res.evidence.objects).toEqual(expect.arrayContaining([`Role ${WS}/coder-workspace-perms: admitted`, `Pod ${WS}/coder-preflight-sample-workspace (sample workspace): admitted`]));
    expect(await persisted(kc, NS)).toEqual([]);
    expect(await persisted(kc, WS)).toEqual([]);
  });

  it('a tight ResourceQuota (requests.cpu 100m) and a limits.memory quota the values set no limit for are each caught', async () => {
    await ensureNamespace(kc, SCENARIO, NS);
    await quota(NS, 'tight', { 'requests.cpu': '100m' });
    const tight = await run(NS, '-f', values({}));
    expect(tight.code).toBe(3);
    expect(tight.res.summary).toContain('ResourceQuota tight: pods "coder-preflight-dry-run" is forbidden: exceeded quota: tight, requested: requests.cpu=2, used: requests.cpu=0, limited: requests.cpu=100m');
    expect(tight.res.remediation).toContain(`raise ResourceQuota tight in ${NS} (kubectl -n ${NS} edit resourcequota tight) or set coder.resources to fit`);
    await kc.makeApiClient(CoreV1Api).deleteNamespacedResourceQuota({ name: 'tight', namespace: NS });

    await quota(NS, 'lim', { 'limits.memory': '64Gi' });
    const noLimit = await run(NS, '-f', values({ resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: null } }));
    expect(noLimit.res.status).toBe('fail');
    expect(noLimit.res.summary).toContain('ResourceQuota lim: pods "coder-preflight-dry-run" is forbidden: failed quota: lim: must specify limits.memory for: coder');
    expect(noLimit.res.remediation).toContain('set it in coder.resources (e.g. coder.resources.limits.memory)');
    // The chart's default resources set limits: admitted.
    expect((await run(NS, '-f', values({}))).res.status).toBe('pass');
    expect(await persisted(kc, NS)).toEqual([]);
  });

  it('a quota each Pod fits but three replicas do not: summed over replicas', async () => {
    await ensureNamespace(kc, SCENARIO, NS);
    await quota(NS, 'roomy', { 'requests.cpu': '5' });
    expect((await run(NS, '-f', values({ replicaCount: 2 }))).res.status).toBe('pass');
    const { code, res } = await run(NS, '-f', values({ replicaCount: 3 }));
    expect(code).toBe(3);
    expect(res.summary).toContain(`ResourceQuota ${NS}/roomy has no room for all of the chart's Pods: they need requests.cpu=6 (3 × 2 (Deployment ${NS}/coder)), with 0 of 5 used already`);
  });

  it('a LimitRange that caps a container at 1 CPU', async () => {
    await ensureNamespace(kc, SCENARIO, NS);
    await applyManifests(kc, SCENARIO, [{ apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'cap', namespace: NS }, spec: { limits: [{ type: 'Container', max: { cpu: '1' } }] } } as never]);
    const { res } = await run(NS, '-f', values({}));
    expect(res.status).toBe('fail');
    expect(res.summary).toContain('LimitRange: pods "coder-preflight-dry-run" is forbidden: maximum cpu usage per Container is 1, but limit is 2');
  });

  it('a ValidatingAdmissionPolicy allowing only one image registry is caught verbatim', async () => {
    await ensureNamespace(kc, SCENARIO, NS);
    const name = `${SCENARIO}-registry`;
    await policy(name, NS, "object.spec.containers.all(c, c.image.startsWith('registry.example.com/'))", 'images must come from registry.example.com');
    const { code, res } = await run(NS, '-f', values({}));
    expect(code).toBe(3);
    expect(res.summary).toContain(`ValidatingAdmissionPolicy ${name} (binding ${name}-binding): pods "coder-preflight-dry-run" is forbidden: ValidatingAdmissionPolicy '${name}' with binding '${name}-binding' denied request: images must come from registry.example.com`);
    expect(res.remediation).toContain(`ask the cluster administrator to exclude namespace ${NS} from binding ${name}-binding`);
    // The values that satisfy it.
    expect((await run(NS, '-f', values({ image: { repo: 'registry.example.com/coder/coder', tag: 'v2.30.0' } }))).res).toMatchObject({ status: 'warn', summary: /sample-workspace — ValidatingAdmissionPolicy/ });
    expect(await persisted(kc, NS)).toEqual([]);
  });

  it('the view-only user gets an error naming the create permissions helm install needs', async () => {
    await ensureNamespace(kc, SCENARIO, NS);
    const { code, res } = await runCheck(ID, ['--kubeconfig', kube.viewerKubeconfig, '-n', NS, '-f', values({})]);
    expect(code).toBe(1);
    expect(res.status).toBe('error');
    expect(res.summary).toContain(`the user may not create serviceaccounts in ${NS}, create roles.rbac.authorization.k8s.io in ${NS}, create rolebindings.rbac.authorization.k8s.io in ${NS}, create services in ${NS}, create deployments.apps in ${NS}, which helm install does (403 from RBAC, not admission)`);
    expect(res.remediation).toContain(`a Role in ${NS} with rules {apiGroups: [""], resources: [persistentvolumeclaims, pods, serviceaccounts, services], verbs: [create]}, {apiGroups: [rbac.authorization.k8s.io], resources: [rolebindings, roles], verbs: [create]}, {apiGroups: [apps], resources: [deployments], verbs: [create]}`);
  });

  it('a namespace admin (no bind, no escalate): the binding of the chart\'s own Role is inferred from the Role\'s dry-run', async () => {
    await ensureNamespace(kc, SCENARIO, NS);
    const user = await createTokenUser(kc, kube, SCENARIO, {
      name: `${SCENARIO}-installer`,
      rules: [
        { apiGroups: ['apps'], resources: ['deployments'], verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] },
        { apiGroups: [''], resources: ['pods', 'persistentvolumeclaims'], verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] },
        { apiGroups: [''], resources: ['services', 'serviceaccounts', 'resourcequotas'], verbs: ['create', 'list'] },
        { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings'], verbs: ['create'] },
      ],
    });
    const { res } = await runCheck(ID, ['--kubeconfig', user.kubeconfig, '-n', NS, '-f', values({})]);
    expect(res.status, res.summary).toBe('pass');
    expect(res.evidence.objects).toContain(`RoleBinding ${NS}/coder: admitted (inferred)`);
    expect(res.evidence.notes).toEqual(expect.arrayContaining([expect.stringMatching(/RoleBinding .*: inferred: the dry-run admitted Role coder-workspace-perms and the user may not escalate/)]));
    expect(await persisted(kc, NS)).toEqual([]);
  });

  it('a namespace that does not exist is a warn, and nothing is sent there after the first answer', async () => {
    const absent = `${SCENARIO}-absent`;
    const { code, res } = await run(absent, '-f', values({}));
    expect(code).toBe(0);
    expect(res).toMatchObject({ status: 'warn', summary: `namespace ${absent} does not exist yet, so 8 object(s) could not be dry-run there (helm install --create-namespace would create it)`, evidence: { sent: 1, namespaces: [`${absent} (release, workspace): does not exist`] } });
    expect(res.remediation).toContain(`create ${absent} first`);
  });

  it('an object that exists outside the release: helm would refuse to adopt it', async () => {
    await ensureNamespace(kc, SCENARIO, NS);
    await applyManifests(kc, SCENARIO, [{ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'coder', namespace: NS } } as never]);
    const { res } = await run(NS, '-f', values({}));
    expect(res.status).toBe('fail');
    expect(res.summary).toContain(`ServiceAccount ${NS}/coder — Helm release ownership: ServiceAccount "coder" in namespace "${NS}" exists and cannot be imported into release coder: annotation meta.helm.sh/release-name is missing (must be coder)`);
    // Once it belongs to the release (an upgrade), it is applied as helm upgrade would.
    await applyManifests(kc, SCENARIO, [{ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'coder', namespace: NS, annotations: { 'meta.helm.sh/release-name': 'coder', 'meta.helm.sh/release-namespace': NS } } } as never]);
    const upgrade = await run(NS, '-f', values({}));
    expect(upgrade.res.status, upgrade.res.summary).toBe('pass');
    expect(upgrade.res.evidence.notes).toEqual(expect.arrayContaining([`ServiceAccount ${NS}/coder: it exists already: sent as a server-side apply (dry-run), as helm upgrade would change it`]));
    expect(await persisted(kc, NS)).toEqual(['serviceaccount/coder']);
  });

  it('--manifests: hand-edited helm template output is judged exactly as written (a hostNetwork policy, an unknown field, a kind the cluster does not serve)', async () => {
    await ensureNamespace(kc, SCENARIO, NS);
    // The chart's own golden render (helm template -n coder), for this namespace.
    const golden = readFileSync(join(root, 'test/fixtures/helm/coder-v2-chart/testdata/default_values_coder.golden'), 'utf8').replaceAll('namespace: coder', `namespace: ${NS}`);
    expect((await run(NS, '--manifests', file('plain.yaml', golden))).res).toMatchObject({ status: 'pass', evidence: { source: `manifests ${join(dir, 'plain.yaml')}` } });

    const name = `${SCENARIO}-hostnet`;
    await policy(name, NS, '!has(object.spec.hostNetwork) || !object.spec.hostNetwork', 'hostNetwork is not allowed');
    const edited = golden.replace('      restartPolicy: Always\n', '      restartPolicy: Always\n      hostNetwork: true\n');
    expect(edited).not.toBe(golden);
    const hostNet = await run(NS, '--manifests', file('hostnet.yaml', edited));
    expect(hostNet.res.status).toBe('fail');
    expect(hostNet.res.summary).toContain(`ValidatingAdmissionPolicy '${name}' with binding '${name}-binding' denied request: hostNetwork is not allowed`);

    // A typo client-node's typed models would silently drop, and a ServiceMonitor without its CRD.
    const typo = golden.replace('      restartPolicy: Always\n', '      restartPolicy: Always\n      hostNetwrok: true\n');
    const monitor = `${typo}\n---\napiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata:\n  name: coder\n  namespace: ${NS}\nspec:\n  endpoints: [{port: http}]\n`;
    const bad = await run(NS, '--manifests', file('bad.yaml', monitor));
    expect(bad.res.status).toBe('fail');
    expect(bad.res.summary).toContain(`Deployment ${NS}/coder — strict field validation: Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.template.spec.hostNetwrok"`);
    expect(bad.res.summary).toContain(`ServiceMonitor ${NS}/coder — not served by this cluster: the cluster serves no ServiceMonitor in monitoring.coreos.com/v1`);
    expect(await persisted(kc, NS)).toEqual([]);
  });
});
