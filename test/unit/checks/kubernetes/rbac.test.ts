import check from '../../../../checks/kubernetes/rbac.ts';
import type { InstallAccessFact, PurposedAnswer } from '../../../../src/facts/kubernetes/install-access.ts';
import { failed, testCheck } from '../../../helpers/check-tester.ts';

const a = (purpose: PurposedAnswer['purpose'], verb: string, group: string, resource: string, allowed: boolean, forWhat = 'Deployment/coder', name?: string): PurposedAnswer => ({ purpose, verb, group, resource, namespace: 'coder', allowed, for: forWhat, ...(name ? { name } : {}) });
const fact = (answers: PurposedAnswer[]): { 'kubernetes.install-access': InstallAccessFact } => ({
  'kubernetes.install-access': { namespace: 'coder', releaseName: 'coder', source: 'rendered from values.yaml', objects: ['ServiceAccount/coder', 'Role/coder-workspace-perms', 'RoleBinding/coder', 'Service/coder', 'Deployment/coder'], answers },
});
const base = (over: { install?: boolean; upgrade?: boolean; grant?: boolean; escalate?: boolean; bind?: boolean } = {}) => [
  a('install', 'create', 'apps', 'deployments', over.install ?? true),
  a('install', 'get', 'apps', 'deployments', true),
  a('upgrade', 'patch', 'apps', 'deployments', over.upgrade ?? true),
  a('escalate', 'escalate', 'rbac.authorization.k8s.io', 'roles', over.escalate ?? false, 'Role/coder-workspace-perms', 'coder-workspace-perms'),
  a('grant', 'create', '', 'pods', over.grant ?? true, 'Role/coder-workspace-perms'),
  a('grant', 'watch', '', 'persistentvolumeclaims', over.grant ?? true, 'Role/coder-workspace-perms'),
  a('bind', 'bind', 'rbac.authorization.k8s.io', 'roles', over.bind ?? false, 'RoleBinding/coder', 'coder-workspace-perms'),
];

testCheck(check, {
  pass: [
    { name: 'every question allowed', facts: fact(base()), summary: 'You may create all 5 objects the chart renders in coder, keep Helm\'s release Secret, and grant the chart\'s Role', evidence: { questions: 7, escalate: false } },
    { name: 'permissions not held, but escalate and bind', facts: fact(base({ grant: false, escalate: true, bind: true })), summary: 'You may create all 5 objects' },
  ],
  fail: [
    {
      name: 'creating the Deployment is forbidden',
      facts: fact(base({ install: false })),
      summary: 'You may not install the chart in coder: create apps/deployments in coder (Deployment/coder)',
      remediation: 'grant the installer, in namespace coder, the Role rule {apiGroups: ["apps"], resources: [deployments], verbs: [create]} (or run helm as a namespace admin)',
    },
    {
      name: 'the Role grants what the installer does not hold',
      facts: fact(base({ grant: false })),
      summary: /^The chart's Role grants permissions you do not hold, and you may not escalate or bind: create pods in coder \(Role\/coder-workspace-perms\); watch persistentvolumeclaims in coder/,
      remediation: /rule \{apiGroups: \[""\], resources: \[pods, persistentvolumeclaims\], verbs: \[create, watch\]\}/,
      evidence: { notHeldButGranted: ['create pods in coder', 'watch persistentvolumeclaims in coder'] },
    },
    { name: 'escalate, but no bind: the RoleBinding is refused', facts: fact(base({ grant: false, escalate: true })), summary: /and you may not bind \(to create the RoleBinding\): create pods in coder/ },
  ],
  warn: [{ name: 'no patch: upgrades fail', facts: fact(base({ upgrade: false })), summary: 'You may install, but not upgrade or uninstall: patch apps/deployments in coder (Deployment/coder)', remediation: /helm upgrade and uninstall/ }],
  skip: [{ name: 'no values file or manifests', facts: { 'kubernetes.install-access': failed('not-configured', 'No values file or manifests given') }, summary: 'No values file or manifests given' }],
  error: [{ name: 'the API server did not answer', facts: { 'kubernetes.install-access': failed('unreachable', 'ECONNREFUSED') }, summary: /ECONNREFUSED/ }],
});
