// helm install runs with the installer's own permissions: it must be allowed to create every object
// the chart renders, to keep Helm's release Secret, and to create the chart's Role and RoleBinding,
// which Kubernetes allows only to someone who holds every permission granted or has escalate/bind
// (RBAC privilege-escalation prevention). Asked with SelfSubjectAccessReviews; nothing is created.
import { defineCheck } from '../../src/engine/define.ts';
import type { PurposedAnswer } from '../../src/facts/kubernetes/install-access.ts';
import { describeAccess, ruleFor } from '../../src/kubernetes/access.ts';

const list = (as: readonly PurposedAnswer[], max = 8) => `${as.slice(0, max).map((a) => `${describeAccess(a)} (${a.for})`).join('; ')}${as.length > max ? `; and ${as.length - max} more` : ''}`;

export default defineCheck({
  id: 'kubernetes.rbac',
  title: 'You may install what the chart creates',
  category: 'kubernetes',
  facts: ['kubernetes.install-access'],
  docs: 'https://kubernetes.io/docs/reference/access-authn-authz/rbac/#privilege-escalation-prevention-and-bootstrapping',
  explain: {
    what: 'For every object the chart will create (rendered from --values, or read from --manifests), asks the API server with a SelfSubjectAccessReview whether the kubeconfig\'s user may get and create it (and patch and delete it, for upgrades and uninstall), and whether it may keep Helm\'s release Secret. For the chart\'s Role and RoleBinding it asks for every permission they grant, and for the escalate and bind verbs that would do instead.',
    why: 'helm install stops half-way when one object is forbidden, leaving a failed release behind. The chart grants Coder\'s service account a Role to run workspaces; Kubernetes refuses to create a Role or RoleBinding that grants permissions its creator does not hold ("attempting to grant RBAC permissions not currently held"), so a namespace admin without, say, deployments rights cannot install it.',
    fix: 'Run helm as a user with the missing permissions in the release namespace (the remediation gives the Role rule), or have a cluster admin grant them; for the Role, either hold everything it grants or get escalate and bind on roles there.',
  },
  evaluate({ 'kubernetes.install-access': f }) {
    const denied = (p: PurposedAnswer['purpose']) => f.answers.filter((a) => a.purpose === p && !a.allowed);
    const install = denied('install');
    const upgrade = denied('upgrade');
    const mayEscalate = new Set(f.answers.filter((a) => a.purpose === 'escalate' && a.allowed).map((a) => a.for));
    const mayBind = f.answers.some((a) => a.purpose === 'bind') && f.answers.filter((a) => a.purpose === 'bind').every((a) => a.allowed);
    const notHeld = denied('grant');
    // Creating the Role needs its permissions or escalate; binding it needs them or bind.
    const grantsMissing = notHeld.filter((a) => !mayEscalate.has(a.for));
    const bindBlocked = notHeld.length > 0 && !mayBind;
    const evidence = {
      namespace: f.namespace,
      release: f.releaseName,
      objects: f.objects,
      chart: f.source,
      questions: new Set(f.answers.map((a) => describeAccess(a))).size,
      ...(install.length ? { missingToInstall: install.map((a) => describeAccess(a)) } : {}),
      ...(notHeld.length ? { notHeldButGranted: notHeld.map((a) => describeAccess(a)) } : {}),
      ...(upgrade.length ? { missingToUpgrade: upgrade.map((a) => describeAccess(a)) } : {}),
      escalate: mayEscalate.size > 0,
      bind: mayBind,
    };
    if (install.length) {
      return {
        status: 'fail',
        summary: `You may not install the chart in ${f.namespace}: ${list(install)}`,
        remediation: `grant the installer, in namespace ${f.namespace}, the Role rule ${ruleFor(install)} (or run helm as a namespace admin)`,
        evidence,
      };
    }
    if (grantsMissing.length || bindBlocked) {
      const why = grantsMissing.length && bindBlocked ? 'you may not escalate or bind' : grantsMissing.length ? 'you may not escalate (to create the Role)' : 'you may not bind (to create the RoleBinding)';
      return {
        status: 'fail',
        summary: `The chart's Role grants permissions you do not hold, and ${why}: ${list(grantsMissing.length ? grantsMissing : notHeld)}. Kubernetes would refuse it ("attempting to grant RBAC permissions not currently held")`,
        remediation: `grant the installer the rule ${ruleFor(notHeld)} in ${f.namespace}, or escalate and bind on roles (rbac.authorization.k8s.io) there`,
        evidence,
      };
    }
    if (upgrade.length) {
      return {
        status: 'warn',
        summary: `You may install, but not upgrade or uninstall: ${list(upgrade)}`,
        remediation: `for helm upgrade and uninstall, grant ${ruleFor(upgrade)} in ${f.namespace}`,
        evidence,
      };
    }
    return { status: 'pass', summary: `You may create all ${f.objects.length} objects the chart renders in ${f.namespace}, keep Helm's release Secret, and grant the chart's Role`, evidence };
  },
});
