import check from '../../../../checks/kubernetes/workspace-namespaces.ts';
import type { WorkspaceNamespaceFact, WorkspaceNamespacesFact } from '../../../../src/facts/kubernetes/workspace-namespaces.ts';
import { failed, testCheck } from '../../../helpers/check-tester.ts';

const ns = (name: string, over: Partial<WorkspaceNamespaceFact> = {}): WorkspaceNamespaceFact => ({ name, exists: true, how: 'chart-role', missing: [], missingOptional: [], ...over });
const fact = (...namespaces: WorkspaceNamespaceFact[]): { 'kubernetes.workspace-namespaces': WorkspaceNamespacesFact } => ({ 'kubernetes.workspace-namespaces': { releaseNamespace: 'coder', serviceAccount: 'coder/coder', namespaces } });

testCheck(check, {
  pass: [
    { name: 'the chart\'s Role in the release namespace', facts: fact(ns('coder')), summary: 'coder/coder may run workspaces in coder', evidence: { namespaces: ["coder: exists, the chart's Role"] } },
    { name: 'another namespace granted by an existing binding', facts: fact(ns('coder'), ns('ws', { how: 'subject-access-review' })), summary: 'in coder, ws' },
  ],
  fail: [
    { name: 'a workspace namespace that does not exist', facts: fact(ns('coder'), ns('ws', { exists: false })), summary: 'Workspaces would fail to build: workspace namespace ws does not exist', remediation: /^kubectl create namespace ws/ },
    {
      name: 'no PVC rights where the chart grants nothing',
      facts: fact(ns('coder'), ns('ws', { how: 'subject-access-review', missing: ['create persistentvolumeclaims', 'delete persistentvolumeclaims'] })),
      summary: 'Workspaces would fail to build: in ws, coder/coder may not create persistentvolumeclaims, delete persistentvolumeclaims',
      remediation: /bind coder\/coder to a Role there/,
    },
  ],
  warn: [
    { name: 'no Deployments rights (enableDeployments: false)', facts: fact(ns('coder', { missingOptional: ['create apps/deployments'] })), summary: "in coder, coder/coder may not create apps/deployments: templates that create Deployments (Coder's Kubernetes example) fail there" },
    { name: 'the release namespace is not there yet', facts: fact(ns('coder', { exists: false })), summary: 'the release namespace coder does not exist yet (helm install --create-namespace creates it)', remediation: /--create-namespace/ },
  ],
  error: [
    { name: 'may not ask about the service account', facts: fact(ns('coder'), ns('ws', { how: 'unknown', unknownReason: 'you may not ask' })), summary: 'Could not tell whether Coder may run workspaces in ws: you may not ask' },
    { name: 'the API server did not answer', facts: { 'kubernetes.workspace-namespaces': failed('unreachable', 'ECONNREFUSED') }, summary: /ECONNREFUSED/ },
  ],
  skip: [{ name: 'no values file', facts: { 'kubernetes.workspace-namespaces': failed('not-configured', 'No values file or manifests given') }, summary: 'No values file or manifests given' }],
});
