// Coder's Helm charts (v1 and v2) refuse clusters older than 1.19 (`kubeVersion: ">= 1.19.0-0"`:
// networking.k8s.io/v1 for Ingress and NetworkPolicy); Coder v1 warns below 1.21 and its 1.28+
// releases require 1.21 (coder-requirements.md §1h, §5).
import { defineCheck } from '../../src/engine/define.ts';

/**
 * Coder v1's published support matrix (v1 docs setup/kubernetes/index.md; coder-requirements.md §1h):
 * Coder minor → the Kubernetes minors it supports. 1.28+ *requires* 1.21 (changelog/1.28.0.md).
 */
const V1_WINDOWS: { from: number; to: number; k8s: [number, number] }[] = [
  { from: 31, to: 99, k8s: [22, 24] },
  { from: 27, to: 30, k8s: [21, 23] },
  { from: 26, to: 26, k8s: [20, 22] },
];

function v1Window(coderVersion: string | undefined): { coder: string; k8s: [number, number]; requires21: boolean } | undefined {
  const m = /^v?1\.(\d+)/.exec(coderVersion ?? '');
  if (!m) return undefined;
  const minor = Number(m[1]);
  const w = V1_WINDOWS.find((x) => minor >= x.from && minor <= x.to);
  return w ? { coder: `1.${minor}`, k8s: w.k8s, requires21: minor >= 28 } : undefined;
}

export default defineCheck({
  id: 'kubernetes.version',
  title: 'The Kubernetes version is one Coder\'s chart supports',
  category: 'kubernetes',
  facts: ['kubernetes.version'],
  docs: 'https://coder.com/docs/install/kubernetes',
  defaults: {
    baseline: { minMinor: 19, recommendedMinor: 21, source: 'Coder Helm charts: kubeVersion >= 1.19.0-0; Coder v1 NOTES.txt warns below 1.21, v1.28+ requires 1.21' },
    v1: { source: 'Coder v1 chart: kubeVersion >= 1.19.0-0; NOTES.txt warns below 1.21; v1.28.0 changelog: requires 1.21 or later' },
    // Upstream supports the newest three minors; on 2026-12-02 the newest release is 1.37 (k8s.io/api v0.37.2; 1.38 in beta).
    v2: { recommendedMinor: 35, source: 'Coder v2 chart (helm/coder/Chart.yaml): kubeVersion >= 1.19.0-0; upstream Kubernetes supports the current release and the two before it: 1.35-1.37 on 2026-12-02' },
  },
  explain: {
    what: 'Compares the API server\'s version (from /version) with what the Coder Helm chart accepts: 1.19 or newer for both charts; for Coder v2, one of the three minors upstream still supports; for Coder v1, 1.21 or newer, and with --coder-version 1.x the support window Coder published for that release (1.31+: 1.22-1.24, 1.27-1.30: 1.21-1.23, 1.26: 1.20-1.22).',
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
    const w = profile.name === 'v1' ? v1Window(profile.coderVersion) : undefined;
    if (w && v.major === 1) {
      const range = `1.${w.k8s[0]}-1.${w.k8s[1]}`;
      const ev = { ...evidence, supportedByCoder: range, coderVersion: w.coder };
      if (w.requires21 && v.minor < 21) return { status: 'fail', summary: `Coder ${w.coder} requires Kubernetes 1.21 or later; this cluster runs ${v.gitVersion}`, remediation: 'upgrade the cluster to 1.21 or newer', evidence: ev, threshold: { value: range } };
      if (v.minor < w.k8s[0] || v.minor > w.k8s[1]) {
        return {
          status: 'warn',
          summary: `Kubernetes ${version} is outside what Coder ${w.coder} supports (${range})`,
          remediation: v.minor > w.k8s[1] ? `Coder v1 is no longer developed: plan the move to Coder v2, or run a cluster in ${range}` : `upgrade the cluster into ${range}`,
          evidence: ev,
          threshold: { value: range },
        };
      }
      return { status: 'pass', summary: `Kubernetes ${version} (${v.gitVersion}) is one Coder ${w.coder} supports (${range})`, evidence: ev, threshold: { value: range } };
    }
    if (v.major === 1 && v.minor < options.recommendedMinor) {
      return {
        status: 'warn',
        summary:
          profile.name === 'v2'
            ? `Kubernetes ${v.gitVersion} is accepted by the chart, but it is older than the three minors upstream Kubernetes still supports (1.${options.recommendedMinor} and newer)`
            : `Kubernetes ${v.gitVersion} is accepted by the chart, but Coder v1 warns below 1.${options.recommendedMinor} and its 1.28+ releases require it`,
        remediation: profile.name === 'v2' ? `upgrade the cluster to 1.${options.recommendedMinor} or newer: older minors get no security fixes` : `upgrade the cluster to 1.${options.recommendedMinor} or newer (pass --coder-version to judge for the Coder you install)`,
        evidence,
        threshold,
      };
    }
    return { status: 'pass', summary: `Kubernetes ${version} (${v.gitVersion}) meets the chart's minimum 1.${options.minMinor}`, evidence, threshold };
  },
});
