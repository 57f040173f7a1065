// Coder v1's requirements list the API groups it needs (`kubectl get apiservices`): apps/v1,
// rbac/v1, storage/v1, networking/v1 and metrics.k8s.io (coder-requirements.md §1a). An aggregated
// API that is registered but unavailable breaks discovery for every client (helm, kubectl, namespace deletion).
import { defineCheck } from '../../src/engine/define.ts';
import type { ApiServiceFact } from '../../src/facts/kubernetes/apiservices.ts';

/** Built-in groups every Coder install uses: pods/secrets, Deployments, Roles, NetworkPolicies/Ingress, StorageClasses. */
const REQUIRED = ['v1.', 'v1.apps', 'v1.rbac.authorization.k8s.io', 'v1.networking.k8s.io', 'v1.storage.k8s.io'];
const METRICS = 'v1beta1.metrics.k8s.io';

const describeApiService = (a: ApiServiceFact) => `${a.name} (${a.available === 'False' ? `Available=False: ${a.reason ?? 'no reason'}` : 'Available=Unknown'}${a.service ? `, service ${a.service}` : ''})`;

export default defineCheck({
  id: 'kubernetes.apiservices',
  title: 'Required APIServices are present and Available',
  category: 'kubernetes',
  facts: ['kubernetes.apiservices'],
  docs: 'https://coder.com/docs/v1/setup/requirements',
  explain: {
    what: 'Lists the cluster\'s APIServices (what kubectl get apiservices shows): the built-in groups Coder uses (core v1, apps/v1, rbac.authorization.k8s.io/v1, networking.k8s.io/v1, storage.k8s.io/v1) must exist and be Available; metrics.k8s.io (metrics-server) is expected for Coder v1; and no aggregated API may be registered but unavailable.',
    why: 'Coder\'s chart and workspaces create Deployments, Roles, NetworkPolicies, PVCs and read StorageClasses. Coder v1 reads pod metrics from metrics.k8s.io. An APIService that is registered but not Available (typically a broken metrics-server) makes API discovery incomplete: helm and kubectl can fail with "unable to retrieve the complete list of server APIs", and namespace deletion hangs in Terminating. (extensions/v1beta1 from the v1 list was removed in Kubernetes 1.22 and is not required.)',
    fix: 'For an unavailable APIService, look at `kubectl get apiservice <name> -o yaml` and fix the backing Service (usually metrics-server in kube-system), or delete the stale APIService. Install metrics-server for Coder v1. A missing built-in group means a very old or unusual API server: use a supported Kubernetes version.',
  },
  evaluate({ 'kubernetes.apiservices': f }, { profile }) {
    const byName = new Map(f.items.map((a) => [a.name, a]));
    const missing = REQUIRED.filter((n) => !byName.has(n));
    const notAvailable = f.items.filter((a) => a.available !== 'True');
    const requiredDown = notAvailable.filter((a) => REQUIRED.includes(a.name));
    const metrics = byName.get(METRICS);
    const wantMetrics = profile.name !== 'v2';
    const evidence = {
      apiServices: f.items.length,
      required: REQUIRED.map((n) => (n === 'v1.' ? 'v1 (core)' : n)),
      missing: missing.map((n) => (n === 'v1.' ? 'v1 (core)' : n)),
      notAvailable: notAvailable.map((a) => a.name),
      metricsApi: metrics ? `${metrics.available === 'True' ? 'Available' : 'not Available'}${metrics.service ? ` (${metrics.service})` : ''}` : 'absent',
      profile: profile.name,
    };
    if (missing.length || requiredDown.length) {
      return {
        status: 'fail',
        summary: `Required API groups ${[...missing.map((n) => `${n} missing`), ...requiredDown.map(describeApiService)].join('; ')}`,
        remediation: 'use a supported Kubernetes version whose API server serves these groups; for one that is not Available, check `kubectl get apiservice <name> -o yaml`',
        evidence,
      };
    }
    const problems: string[] = [];
    if (notAvailable.length) problems.push(`unavailable: ${notAvailable.map(describeApiService).join('; ')} — API discovery is incomplete, so helm/kubectl can fail and namespace deletion hangs`);
    if (wantMetrics && !metrics) problems.push('metrics.k8s.io is not installed (Coder v1 reads pod metrics from metrics-server)');
    if (problems.length) {
      return {
        status: 'warn',
        summary: problems.join('; '),
        remediation: notAvailable.length
          ? `fix or remove the unavailable APIService${notAvailable.length > 1 ? 's' : ''} (${notAvailable.map((a) => a.name).join(', ')}): usually the backing metrics-server is not running (kubectl -n kube-system get deploy metrics-server)`
          : 'install metrics-server (kubectl apply -f https://github.com/kubernetes-sigs/metrics-server/releases/latest/download/components.yaml) or your platform\'s equivalent',
        evidence,
      };
    }
    return { status: 'pass', summary: `All ${f.items.length} APIServices are Available, including the groups Coder uses${metrics ? ' and metrics.k8s.io' : ''}`, evidence };
  },
});
