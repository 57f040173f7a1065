// Where scripts/build-kube.sh put the control-plane binaries (a version-keyed dir in the cache).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../proc.ts';

export const KUBE_BINARIES = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl', 'kubelet', 'kwok'] as const;

let cached: string | undefined;

/**
 * The directory holding etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kubelet,
 * kwok and kwok-stages/ at the pinned versions. `CODER_PREFLIGHT_KUBE_BIN` overrides it. Throws with
 * the fix when they are not built yet.
 */
export function kubeBinDir(): string {
  if (cached) return cached;
  const override = process.env.CODER_PREFLIGHT_KUBE_BIN;
  if (override) {
    const missing = KUBE_BINARIES.filter((b) => !existsSync(join(override, b)));
    if (missing.length) throw new Error(`CODER_PREFLIGHT_KUBE_BIN=${override} lacks ${missing.join(', ')}`);
    return (cached = override);
  }
  try {
    const out = execFileSync('bash', [join(repoRoot, 'scripts', 'build-kube.sh'), '--print-bin-dir'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const dir = out.trim().split('\n').pop() ?? '';
    if (!dir || !existsSync(join(dir, 'kube-apiserver'))) throw new Error(`unexpected output: ${out}`);
    return (cached = dir);
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr ?? String(e);
    throw new Error(
      'The Kubernetes control-plane binaries (k8s, etcd, kwok) are not built at the pinned versions.\n' +
        'Run `npm run setup` (or `scripts/build-kube.sh`; the first build takes ~6-10 min on 2 cores).\n' +
        stderr.trim(),
    );
  }
}
