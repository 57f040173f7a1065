// Coder creates workspace pods, PVCs and Deployments with its own service account, in the release
// namespace or in the namespaces the chart lists (coder.serviceAccount.workspaceNamespaces). A
// namespace that does not exist, or one where that account may not create pods, shows up only when
// the first workspace build fails.
import { defineCheck } from '../../src/engine/define.ts';

export default defineCheck({
  id: 'kubernetes.workspace-namespaces',
  title: 'Coder may run workspaces in their namespaces',
  category: 'kubernetes',
  facts: ['kubernetes.workspace-namespaces'],
  docs: 'https://coder.com/docs/install/kubernetes',
  explain: {
    what: 'For the release namespace and every namespace in coder.serviceAccount.workspaceNamespaces: whether it exists, and whether Coder\'s service account will be allowed to create, get, list, watch and delete pods and PersistentVolumeClaims there (and Deployments, which Coder\'s Kubernetes example template creates). Where the chart binds its workspace Role, the Role\'s rules are read; where it grants nothing (workspacePerms: false), a SubjectAccessReview asks the API server about the service account as it is today.',
    why: 'Workspace builds run as Coder\'s service account. A namespace that was never created, or a Role without pvc or deployments rights, makes every build fail with "forbidden" or "namespaces not found" after the install looked fine.',
    fix: 'Create the workspace namespaces before installing (kubectl create namespace <ns>); keep coder.serviceAccount.workspacePerms (and enableDeployments) on, or bind Coder\'s service account to a Role with those verbs in each namespace yourself.',
  },
  evaluate({ 'kubernetes.workspace-namespaces': f }) {
    const evidence = {
      serviceAccount: f.serviceAccount,
      namespaces: f.namespaces.map((n) => `${n.name}: ${n.exists === false ? 'does not exist' : n.exists === null ? 'existence unknown' : 'exists'}, ${n.how === 'chart-role' ? "the chart's Role" : n.how === 'subject-access-review' ? 'SubjectAccessReview' : 'not checked'}${n.missing.length ? `, lacks ${n.missing.join(', ')}` : ''}${n.missingOptional.length ? `, lacks ${n.missingOptional.join(', ')}` : ''}`),
    };
    const others = f.namespaces.filter((n) => n.name !== f.releaseNamespace);
    const absent = others.filter((n) => n.exists === false);
    const lacking = f.namespaces.filter((n) => n.missing.length);
    const problems: string[] = [];
    if (absent.length) problems.push(`workspace namespace${absent.length > 1 ? 's' : ''} ${absent.map((n) => n.name).join(', ')} do${absent.length > 1 ? '' : 'es'} not exist`);
    for (const n of lacking) problems.push(`in ${n.name}, ${f.serviceAccount} may not ${n.missing.join(', ')}`);
    if (problems.length) {
      return {
        status: 'fail',
        summary: `Workspaces would fail to build: ${problems.join('; ')}`,
        remediation: [
          absent.length ? `kubectl create namespace ${absent.map((n) => n.name).join(' ')} (the chart creates Roles there, not the namespaces)` : '',
          lacking.length ? `keep coder.serviceAccount.workspacePerms on for ${lacking.map((n) => n.name).join(', ')}, or bind ${f.serviceAccount} to a Role there with {apiGroups: [""], resources: [pods, persistentvolumeclaims], verbs: [create, get, list, watch, delete]}` : '',
        ].filter(Boolean).join('; '),
        evidence,
      };
    }
    const warnings: string[] = [];
    const release = f.namespaces.find((n) => n.name === f.releaseNamespace);
    if (release?.exists === false) warnings.push(`the release namespace ${f.releaseNamespace} does not exist yet (helm install --create-namespace creates it)`);
    for (const n of f.namespaces.filter((x) => x.missingOptional.length)) warnings.push(`in ${n.name}, ${f.serviceAccount} may not ${n.missingOptional.join(', ')}: templates that create Deployments (Coder's Kubernetes example) fail there`);
    const unknown = f.namespaces.filter((n) => n.how === 'unknown' || n.exists === null);
    if (unknown.length && !warnings.length) {
      return {
        status: 'error',
        summary: `Could not tell whether Coder may run workspaces in ${unknown.map((n) => n.name).join(', ')}: ${unknown.map((n) => n.unknownReason ?? n.existsError ?? 'unknown').join('; ')}`,
        remediation: 'run with a kubeconfig that may get namespaces and create subjectaccessreviews (a cluster admin), or keep coder.serviceAccount.workspacePerms on so the chart grants the Role itself',
        evidence,
      };
    }
    if (warnings.length) return { status: 'warn', summary: warnings.join('; '), remediation: release?.exists === false ? 'create the namespace first, or pass --create-namespace to helm install' : 'turn on coder.serviceAccount.enableDeployments for those namespaces, or use templates that create pods only', evidence };
    return { status: 'pass', summary: `${f.serviceAccount} may run workspaces in ${f.namespaces.map((n) => n.name).join(', ')}`, evidence };
  },
});
