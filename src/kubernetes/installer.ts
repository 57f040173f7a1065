// Checks that judge what the identity running coder-preflight may do at `helm install` (RBAC,
// admission dry-runs) judge the installer only when that identity is the installer's. Inside a pod
// (deploy/job.yaml) it is the Job's read-only service account: its answers say nothing about the
// person or pipeline that will run helm, so those checks skip and say how to run them.
import { ClassifiedError } from '../errors.ts';
import type { CollectContext } from '../facts/collector.ts';

export function requireInstallerIdentity(ctx: CollectContext, what: string): void {
  const k = ctx.target.kube;
  if (k.configured && k.target.inCluster) {
    throw new ClassifiedError(
      'not-configured',
      `Not judged in the cluster: coder-preflight runs as the pod's service account here, not as whoever will run helm install, so ${what} would judge the wrong identity`,
      'run coder-preflight with the kubeconfig you install with (from a workstation or the CI job that runs helm) to check this',
    );
  }
}
