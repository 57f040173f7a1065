// `coder-preflight cleanup`: remove what the probes of earlier runs left (a run killed before its
// disposer finished), found by the tool's labels cluster-wide, and say what was removed.
import type { Io, Values } from '../cli/options.ts';
import { ConfigError, EXIT } from '../errors.ts';
import { resolveKube } from '../inputs/kubeconfig.ts';
import { classifyKubeError, closeConnections, kubeConfigFor, loadK8s } from '../kubernetes/client.ts';
import { cleanupLeftovers, describeLeftover } from '../probes/cleanup.ts';

export async function cleanup(values: Values, io: Io): Promise<number> {
  const kube = resolveKube({ kubeconfig: values.kubeconfig, context: values.context, env: io.env });
  if (!kube.configured) throw new ConfigError(`cleanup needs a cluster: ${kube.hint}`, 'pass --kubeconfig <file> (and --context)');
  const k8s = await loadK8s();
  let kc;
  try {
    kc = await kubeConfigFor(kube.target, k8s);
  } catch (e) {
    throw new ConfigError(`cannot load kubeconfig: ${(e as Error).message}`, 'fix or regenerate the kubeconfig');
  }
  const where = `${kube.target.context} (${kube.target.server})`;
  try {
    const res = await cleanupLeftovers({ k8s, kc, core: kc.makeApiClient(k8s.CoreV1Api), objects: k8s.KubernetesObjectApi.makeApiClient(kc) });
    const lines: string[] = [];
    if (!res.removed.length && !res.skipped.length && !res.problems.length) lines.push(`coder-preflight cleanup: nothing left by earlier runs in ${where}`);
    else {
      lines.push(`coder-preflight cleanup: ${res.removed.length} removed, ${res.skipped.length} kept (a run in progress), ${res.problems.length} problems in ${where}`);
      for (const x of res.removed) lines.push(`  removed ${describeLeftover(x)}${res.terminating.includes(`${x.kind} ${x.name}`) ? ' (still being deleted)' : ''}`);
      for (const x of res.skipped) lines.push(`  kept    ${describeLeftover(x)}`);
      for (const p of res.problems) lines.push(`  problem ${p}`);
    }
    io.stdout.write(`${lines.join('\n')}\n`);
    return res.problems.length ? EXIT.error : EXIT.ok;
  } catch (e) {
    const c = classifyKubeError(e);
    io.stderr.write(`coder-preflight cleanup: ${where}: ${c.message}\n`);
    return EXIT.error;
  } finally {
    await closeConnections(kc);
  }
}
