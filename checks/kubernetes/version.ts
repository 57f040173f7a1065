// Coder's Helm charts (v1 and v2) refuse clusters older than 1.19 (`kubeVersion: ">= 1.19.0-0"`:
// networking.k8s.io/v1 for Ingress and NetworkPolicy); Coder v1 warns below 1.21 and its 1.28+
// releases require 1.21 (coder-requirements.md §1h, §5).
import { defineCheck } from '../../src/engine/define.ts';

export default defineCheck({
  id: 'kubernetes.version',
  title: 'The Kubernetes version is one Coder\'s chart supports',
  category: 'kubernetes',
  facts: ['kubernetes.version'],
  docs: 'https://coder.com/docs/install/kubernetes',
  defaults: {
    baseline: { minMinor: 19, recommendedMinor: 21, source: 'Coder Helm charts: kubeVersion >= 1.19.0-0; Coder v1 NOTES.txt warns below 1.21, v1.28+ requires 1.21' },
    v1: { source: 'Coder v1 chart: kubeVersion >= 1.19.0-0; NOTES.txt warns below 1.21; v1.28.0 changelog: requires 1.21 or later' },
    v2: { recommendedMinor: 19, source: 'Coder v2 chart (helm/coder/Chart.yaml): kubeVersion >= 1.19.0-0; docs: "K8s 1.19+", no upper bound published' },
  },
  explain: {
    what: 'Compares the API server\'s version (from /version) with what the Coder Helm chart accepts: 1.19 or newer for both charts, and 1.21 or newer recommended for Coder v1 (its 1.28+ releases require it).',
    why: 'helm install refuses a cluster older than the chart\'s kubeVersion, and Coder needs networking.k8s.io/v1 (Ingress, NetworkPolicy), which arrived in 1.19. Coder v1 warns on 1.19 and 1.20 and its later releases need 1.21.',
    fix: 'Upgrade the cluster (managed platforms: a control-plane upgrade, then the node groups) to a release your platform still supports; for Coder v1 to 1.21 or newer.',
  },
  evaluate({ 'kubernetes.version': v }, { options, profile }) {
    const version = `${v.major}.${v.minor}`;
    const evidence = { gitVersion: v.gitVersion, major: v.major, minor: v.minor, minimum: `1.${options.minMinor}`, recommended: `1.${options.recommendedMinor}`, profile: profile.name };
    const threshold = { value: `>= 1.${options.minMinor}${options.recommendedMinor > options.minMinor ? `, recommended >= 1.${options.recommendedMinor}` : ''}` };
    if (!Number.isInteger(v.major) || !Number.isInteger(v.minor)) {
      return { status: 'error', summary: `The API server reports a version that is not major.minor (${v.gitVersion})`, remediation: 'check `kubectl version`: a proxy in front of the API server may answer /version', evidence };
    }
    if (v.major < 1 || (v.major === 1 && v.minor < options.minMinor)) {
      return {
        status: 'fail',
        summary: `Kubernetes ${v.gitVersion} is older than 1.${options.minMinor}: helm install of Coder's chart refuses it`,
        remediation: `upgrade the cluster to 1.${Math.max(options.recommendedMinor, options.minMinor)} or newer`,
        evidence,
        threshold,
      };
    }
    if (v.major === 1 && v.minor < options.recommendedMinor) {
      return {
        status: 'warn',
        summary: `Kubernetes ${v.gitVersion} is accepted by the chart, but Coder v1 warns below 1.${options.recommendedMinor} and its 1.28+ releases require it`,
        remediation: `upgrade the cluster to 1.${options.recommendedMinor} or newer (pass --coder-version to judge for the Coder you install)`,
        evidence,
        threshold,
      };
    }
    return { status: 'pass', summary: `Kubernetes ${version} (${v.gitVersion}) meets the chart's minimum 1.${options.minMinor}`, evidence, threshold };
  },
});
