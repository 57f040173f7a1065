// kubernetes.rbac against the real kube-apiserver's authorizer: what the chart renders from a values
// file, asked with SelfSubjectAccessReviews for users with exactly the permissions a test gives them —
// including the RBAC escalation rule, which the real API server enforces on the Role the chart creates.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RbacAuthorizationV1Api, type V1PolicyRule } from '@kubernetes/client-node';
import { runCheck } from '../helpers/cli.ts';
import { kubeConfig } from '../world/kube/kube.ts';
import { ensureNamespace, resetScenario } from '../world/kube/scenario.ts';
import { createTokenUser } from '../world/kube/users.ts';

const kube = inject('kube');
const admin = kubeConfig(kube, 'admin');
const SCENARIO = `rbac-${process.pid}`;
const NS = `${SCENARIO}-coder`;
const values = (coder: Record<string, unknown>) => {
  const f = join(mkdtempSync(join(tmpdir(), 'cp-rbac-')), 'values.yaml');
  writeFileSync(f, JSON.stringify({ coder }));
  return f;
};
const rbac = (kubeconfig: string, file: string) => runCheck('kubernetes.rbac', ['--kubeconfig', kubeconfig, '-n', NS, '-f', file]);

/** What installing the default chart needs, short of the workspace permissions its Role grants. */
const INSTALLER: V1PolicyRule[] = [
  { apiGroups: [''], resources: ['secrets', 'services', 'serviceaccounts'], verbs: ['get', 'list', 'create', 'update', 'patch', 'delete'] },
  { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'] },
  { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings'], verbs: ['get', 'create', 'patch', 'delete'] },
];
const WORKSPACES: V1PolicyRule = { apiGroups: [''], resources: ['pods', 'persistentvolumeclaims'], verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] };

beforeAll(async () => {
  await ensureNamespace(admin, SCENARIO, NS);
});
afterAll(async () => {
  await resetScenario(admin, SCENARIO);
});

describe('kubernetes.rbac with the real authorizer', () => {
  it('passes for the cluster admin, asking for every object of the default chart', async () => {
    const { res, code } = await rbac(kube.kubeconfig, values({}));
    expect(res).toMatchObject({ status: 'pass', summary: `You may create all 5 objects the chart renders in ${NS}, keep Helm's release Secret, and grant the chart's Role` });
    expect(res.evidence.objects).toEqual(['ServiceAccount/coder', 'Role/coder-workspace-perms', 'RoleBinding/coder', 'Service/coder', 'Deployment/coder']);
    expect(code).toBe(0);
  });

  it('fails for the view-only user, listing what it may not create', async () => {
    const { res, code } = await rbac(kube.viewerKubeconfig, values({}));
    expect(res).toMatchObject({ status: 'fail', summary: new RegExp(`^You may not install the chart in ${NS}: get secrets in ${NS} \\(Helm release Secret\\)`) });
    expect(res.evidence.missingToInstall).toEqual(expect.arrayContaining([`create apps/deployments in ${NS}`, `create rbac.authorization.k8s.io/roles in ${NS}`]));
    expect(code).toBe(3);
  });

  it('fails when the chart\'s Role grants what the installer does not hold (networkpolicies via extraRules), and passes with escalate and bind', async () => {
    const file = values({ serviceAccount: { extraRules: [{ apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['create', 'delete'] }] } });
    const user = await createTokenUser(admin, kube, SCENARIO, { name: `${SCENARIO}-installer`, rules: [...INSTALLER, WORKSPACES] });
    const { res } = await rbac(user.kubeconfig, file);
    expect(res).toMatchObject({ status: 'fail', summary: new RegExp(`you may not escalate or bind: create networking.k8s.io/networkpolicies in ${NS} \\(Role/coder-workspace-perms\\); delete networking.k8s.io/networkpolicies`), remediation: /\{apiGroups: \["networking.k8s.io"\], resources: \[networkpolicies\], verbs: \[create, delete\]\}/ });
    // The real API server agrees: creating that Role as this user is refused for the same reason.
    const asUser = new (await import('@kubernetes/client-node')).KubeConfig();
    asUser.loadFromFile(user.kubeconfig);
    const refused = await asUser.makeApiClient(RbacAuthorizationV1Api).createNamespacedRole({ namespace: NS, dryRun: 'All', body: { metadata: { name: 'probe' }, rules: [{ apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['create'] }] } }).then(() => 'created', (e: { body?: string }) => String(e.body));
    expect(refused).toMatch(/attempting to grant RBAC permissions not currently held/);
    const escalator = await createTokenUser(admin, kube, SCENARIO, { name: `${SCENARIO}-escalator`, rules: [...INSTALLER, WORKSPACES, { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'], verbs: ['escalate', 'bind'] }] });
    expect((await rbac(escalator.kubeconfig, file)).res.status).toBe('pass');
  });

  it('warns when the installer may install but not upgrade or uninstall', async () => {
    // Deployments keep every verb: the chart's Role grants them, so the installer must hold them.
    const rules = INSTALLER.map((r) => (r.apiGroups![0] === 'apps' ? r : { ...r, verbs: r.verbs!.filter((v) => v !== 'patch' && v !== 'delete') }));
    const user = await createTokenUser(admin, kube, SCENARIO, { name: `${SCENARIO}-noupgrade`, rules: [...rules, WORKSPACES] });
    const { res } = await rbac(user.kubeconfig, values({}));
    expect(res).toMatchObject({ status: 'warn', summary: new RegExp(`^You may install, but not upgrade or uninstall: delete secrets in ${NS} \\(Helm release Secret\\)`) });
  });

  it('skips without a values file or manifests', async () => {
    const { res } = await runCheck('kubernetes.rbac', ['--kubeconfig', kube.kubeconfig]);
    expect(res).toMatchObject({ status: 'skip', summary: 'No values file or manifests given' });
  });
});
