// Users with exactly the permissions a test gives them: a ServiceAccount, a ClusterRole with the
// given rules and its ClusterRoleBinding (all labelled with the scenario, so resetScenario deletes
// them), a token from the TokenRequest API, and a kubeconfig file with that token and the world's
// CA and server — what `kubectl create token` and a hand-written kubeconfig give a real user.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthorizationV1Api, CoreV1Api, KubeConfig, RbacAuthorizationV1Api, type V1PolicyRule } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { waitFor } from '../proc.ts';
import { CLUSTER_NAME, type KubeInfo } from './kube.ts';
import { SCENARIO_LABEL } from './scenario.ts';

export interface TokenUser {
  namespace: string;
  /** The ServiceAccount's (and its ClusterRole's, binding's and context's) name. */
  name: string;
  /** system:serviceaccount:<namespace>:<name> */
  username: string;
  /** A bound token from the TokenRequest API. */
  token: string;
  /** A kubeconfig with only this user: the world's server and CA, the token. */
  kubeconfig: string;
  context: string;
}

/**
 * Create a ServiceAccount `name` in `namespace` (default `default`) allowed exactly `rules`
 * cluster-wide, and wait until the authorizer grants the first rule to its token.
 */
export async function createTokenUser(
  admin: KubeConfig,
  info: KubeInfo,
  scenario: string,
  opts: { name: string; namespace?: string; rules: V1PolicyRule[]; expirationSeconds?: number },
): Promise<TokenUser> {
  const namespace = opts.namespace ?? 'default';
  const { name } = opts;
  const labels = { [SCENARIO_LABEL]: scenario };
  const core = admin.makeApiClient(CoreV1Api);
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name, namespace, labels } } });
  await rbac.createClusterRole({ body: { metadata: { name, labels }, rules: opts.rules } });
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    },
  });
  const tr = await core.createNamespacedServiceAccountToken({
    name,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: opts.expirationSeconds ?? 3600 } },
  });
  const token = tr.status?.token;
  if (!token) throw new Error(`TokenRequest for ${namespace}/${name} returned no token`);
  const context = name;
  const kubeconfig = join(mkdtempSync(join(tmpdir(), 'cp-token-user-')), 'kubeconfig');
  writeFileSync(
    kubeconfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: CLUSTER_NAME, cluster: { server: info.server, 'certificate-authority-data': readFileSync(info.caFile).toString('base64') } }],
      users: [{ name, user: { token } }],
      contexts: [{ name: context, context: { cluster: CLUSTER_NAME, user: name, namespace } }],
      'current-context': context,
    }),
    { mode: 0o600 },
  );
  // RBAC reaches the authorizer through an informer: wait until the token is granted its first rule.
  const first = opts.rules[0];
  if (first) {
    const self = new KubeConfig();
    self.loadFromFile(kubeconfig);
    const authz = self.makeApiClient(AuthorizationV1Api);
    const attrs = {
      group: first.apiGroups?.[0] ?? '',
      resource: first.resources?.[0],
      verb: first.verbs[0],
      ...(first.resourceNames?.[0] ? { name: first.resourceNames[0] } : {}),
    };
    await waitFor(
      `RBAC for ${namespace}/${name}`,
      async () => (await authz.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: attrs } } })).status?.allowed === true,
      { timeoutMs: 30_000, intervalMs: 100 },
    );
  }
  return { namespace, name, username: `system:serviceaccount:${namespace}:${name}`, token, kubeconfig, context };
}
