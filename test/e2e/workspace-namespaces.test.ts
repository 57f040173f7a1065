// kubernetes.workspace-namespaces against the real kube-apiserver: the chart's own Role, a workspace
// namespace that does not exist, and one where the chart grants nothing and the service account's
// existing binding lacks PVC rights (a real SubjectAccessReview decides).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCheck } from '../helpers/cli.ts';
import { kubeConfig } from '../world/kube/kube.ts';
import { applyManifests, ensureNamespace, resetScenario } from '../world/kube/scenario.ts';

const kube = inject('kube');
const admin = kubeConfig(kube, 'admin');
const SCENARIO = `wsns-${process.pid}`;
const NS = `${SCENARIO}-coder`;
const WS = `${SCENARIO}-ws`;
const values = (serviceAccount: Record<string, unknown>) => {
  const f = join(mkdtempSync(join(tmpdir(), 'cp-wsns-')), 'values.yaml');
  writeFileSync(f, JSON.stringify({ coder: { serviceAccount } }));
  return f;
};
const run = (file: string, kubeconfig = kube.kubeconfig) => runCheck('kubernetes.workspace-namespaces', ['--kubeconfig', kubeconfig, '-n', NS, '-f', file]);

beforeAll(async () => {
  await ensureNamespace(admin, SCENARIO, NS);
  await ensureNamespace(admin, SCENARIO, WS);
  // What an operator set up by hand for Coder's service account in WS: pods, but no PVCs.
  await applyManifests(admin, SCENARIO, [
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'coder-pods', namespace: WS }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['*'] }] } as never,
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'coder-pods', namespace: WS }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'coder-pods' }, subjects: [{ kind: 'ServiceAccount', name: 'coder', namespace: NS }] } as never,
  ]);
});
afterAll(async () => {
  await resetScenario(admin, SCENARIO);
});

describe('kubernetes.workspace-namespaces on the real cluster', () => {
  it('passes with the chart\'s default Role in the release namespace', async () => {
    const { res, code } = await run(values({}));
    expect(res).toMatchObject({ status: 'pass', summary: `${NS}/coder may run workspaces in ${NS}` });
    expect(code).toBe(0);
  });

  it('fails on a workspace namespace that does not exist', async () => {
    const { res } = await run(values({ workspaceNamespaces: [{ name: `${SCENARIO}-nope` }] }));
    expect(res).toMatchObject({ status: 'fail', summary: `Workspaces would fail to build: workspace namespace ${SCENARIO}-nope does not exist`, remediation: new RegExp(`^kubectl create namespace ${SCENARIO}-nope`) });
  });

  it('fails where the chart grants nothing and the existing binding lacks PVC rights (SubjectAccessReview)', async () => {
    const { res } = await run(values({ workspaceNamespaces: [{ name: WS, workspacePerms: false }] }));
    expect(res).toMatchObject({ status: 'fail', summary: new RegExp(`in ${WS}, ${NS}/coder may not create persistentvolumeclaims, get persistentvolumeclaims, list persistentvolumeclaims, watch persistentvolumeclaims, delete persistentvolumeclaims`) });
    expect(res.evidence.namespaces).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^${WS}: exists, SubjectAccessReview, lacks create persistentvolumeclaims`))]));
  });

  it('warns without Deployments rights, and is an error when the user may not ask', async () => {
    expect((await run(values({ enableDeployments: false }))).res).toMatchObject({ status: 'warn', summary: /may not create apps\/deployments, get apps\/deployments/ });
    const viewer = await run(values({ workspaceNamespaces: [{ name: WS, workspacePerms: false }] }), kube.viewerKubeconfig);
    expect(viewer.res).toMatchObject({ status: 'error', summary: new RegExp(`Could not tell whether Coder may run workspaces in ${WS}: the chart grants coder nothing in ${WS}, and you may not ask`) });
  });
});
