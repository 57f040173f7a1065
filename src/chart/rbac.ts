// templates/rbac.yaml → libcoder/templates/_rbac.yaml (libcoder.namespace.rbac.tpl): a Role with the
// workspace permissions and a RoleBinding to Coder's ServiceAccount, in the release namespace and in
// each of coder.serviceAccount.workspaceNamespaces. Rendered even with serviceAccount.disableCreate.
import type { RenderContext } from './context.ts';
import { fieldOf, goBool, goEq, goPrint, goRange, hasKey, plain, quote, toYaml, truthy, valueAt, withDefault } from './go-template.ts';
import { isMap, type YamlMap } from './types.ts';

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** libcoder.rbac.rules.basic: pods and persistentvolumeclaims. */
const basicRules = (): YamlMap[] => [
  { apiGroups: [''], resources: ['pods'], verbs: [...VERBS] },
  { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: [...VERBS] },
];

/** libcoder.rbac.rules.deployments. */
const deploymentRules = (): YamlMap[] => [{ apiGroups: ['apps'], resources: ['deployments'], verbs: [...VERBS] }];

interface NamespacePerms {
  namespace: unknown;
  workspacePerms: unknown;
  enableDeployments: unknown;
  extraRules: unknown;
  /** Where these settings came from, for errors. */
  where: string;
}

/** libcoder.rbac.forNamespace: the Role and RoleBinding for one namespace, or nothing. */
export function rbacForNamespace(ctx: RenderContext, p: NamespacePerms): YamlMap[] {
  const perms = p.workspacePerms;
  // `and $nsPerms $nsDeployRaw`: deployments only with workspacePerms.
  const deploy = truthy(perms) ? p.enableDeployments : perms;
  // `ternary $nsExtraRaw (list) $nsPerms`: ternary insists on a bool.
  const extra = goBool(perms, `${p.where}.workspacePerms`) ? p.extraRules : [];
  if (!(truthy(perms) || truthy(deploy) || truthy(extra))) return [];

  const saName = valueAt(ctx.values, 'coder.serviceAccount.name');
  const roleName = plain(`${goPrint(saName)}-workspace-perms`, 'coder.serviceAccount.name');
  const namespace = plain(p.namespace, `${p.where} namespace`);
  const rules: unknown[] = [
    ...(truthy(perms) ? basicRules() : []),
    ...(truthy(deploy) ? deploymentRules() : []),
    ...(truthy(extra) ? (Array.isArray(extra) ? toYaml(extra) : [toYaml(extra)]) : []),
  ];
  const inReleaseNamespace = goEq(p.namespace, ctx.release.namespace, `${p.where} namespace`);
  return [
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: roleName, namespace }, rules },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: quote(saName), namespace },
      subjects: [{ kind: 'ServiceAccount', name: quote(saName), ...(inReleaseNamespace ? {} : { namespace: plain(ctx.release.namespace, 'the release namespace') }) }],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: roleName },
    },
  ];
}

/** libcoder.rbac.core: the release namespace, then each workspace namespace (settings default to the top-level ones). */
export function coderRbac(ctx: RenderContext): YamlMap[] {
  const at = (key: string) => valueAt(ctx.values, `coder.serviceAccount.${key}`);
  const root = {
    workspacePerms: withDefault(at('workspacePerms'), false),
    enableDeployments: withDefault(at('enableDeployments'), false),
    extraRules: withDefault(at('extraRules'), []),
  };
  const out = rbacForNamespace(ctx, { namespace: ctx.release.namespace, ...root, where: 'coder.serviceAccount' });
  const sa = valueAt(ctx.values, 'coder.serviceAccount') as YamlMap;
  // sprig `get` gives "" for a missing key; `default (list)` turns any empty value into no namespaces.
  const namespaces = goRange(withDefault(hasKey(sa, 'workspaceNamespaces') ? sa.workspaceNamespaces : '', []), 'coder.serviceAccount.workspaceNamespaces');
  for (const [i, entry] of namespaces.entries()) {
    const where = `coder.serviceAccount.workspaceNamespaces[${i}]`;
    // `ternary $ns.name $ns (kindIs "map" $ns)` reads $ns.name first, which fails unless $ns is a mapping.
    const name = fieldOf(entry, 'name', where);
    if (!truthy(name) || !isMap(entry)) continue;
    const own = (key: keyof typeof root) => (hasKey(entry, key) ? entry[key] ?? null : root[key]);
    out.push(...rbacForNamespace(ctx, { namespace: name, workspacePerms: own('workspacePerms'), enableDeployments: own('enableDeployments'), extraRules: own('extraRules'), where }));
  }
  return out;
}
