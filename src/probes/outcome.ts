// What a probe-backed check says when its probe did not run: not asked for (probes are opt-in:
// they create objects in the cluster), or not allowed (naming what is missing and the rule that
// grants it). Both are a `skip`, never an error half-way.
import type { CheckOutcome } from '../engine/types.ts';
import type { ProbeFact, ProbeRan } from './define.ts';

export function notRun<R>(f: ProbeFact<R>): CheckOutcome | undefined {
  if (f.state === 'not-selected') {
    return {
      status: 'skip',
      summary: `Not run: the ${f.probe} probe would prove ${f.proves}; run with --probe ${f.probe} (or --active)`,
      remediation: `coder-preflight --probe ${f.probe} creates a scratch namespace coder-preflight-<run id> with a few small pods and removes it at the end`,
      evidence: { probe: f.probe, state: f.state },
    };
  }
  if (f.state === 'forbidden') {
    return {
      status: 'skip',
      summary: `Not run: the ${f.probe} probe needs permissions this user does not have: ${f.missing.join(', ')}`,
      remediation: `run with a kubeconfig that may, or grant a ClusterRole with ${f.rules.join(' and ')} (the scratch namespace is new each run, so a Role cannot be bound in it beforehand)`,
      evidence: { probe: f.probe, state: f.state, missing: f.missing, rules: f.rules },
    };
  }
  return undefined;
}

/** The evidence every probe result carries: where it ran, with what. */
export const ranEvidence = (f: ProbeRan) => ({ probe: f.probe, runId: f.runId, namespace: f.namespace, image: f.image, probeMs: f.durationMs });
