// How the probes mark what they create, so one disposer (and `coder-preflight cleanup`, for runs
// that were killed) finds every object: the tool's label, the run's id, the scratch namespace.
import { randomBytes } from 'node:crypto';

export const MANAGED_BY_KEY = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'coder-preflight';
export const RUN_KEY = 'coder-preflight/run';
export const PROBE_KEY = 'coder-preflight/probe';
export const ROLE_KEY = 'coder-preflight/role';
/** Annotation on the scratch namespace: when its run is over at the latest (cleanup leaves younger ones alone). */
export const EXPIRES_KEY = 'coder-preflight/expires';
export const STARTED_BY_KEY = 'coder-preflight/started-by';
/** Every object of every run. */
export const TOOL_SELECTOR = `${MANAGED_BY_KEY}=${MANAGED_BY},${RUN_KEY}`;
export const NAMESPACE_PREFIX = 'coder-preflight-';
/** The ConfigMap in the scratch namespace that holds the agent script. */
export const AGENT_CONFIGMAP = 'coder-preflight-agent';

/** 8 lower-case letters and digits (a DNS label part and a label value). */
export function newRunId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(8)].map((b) => alphabet[b % alphabet.length]).join('');
}

export const scratchNamespace = (runId: string) => `${NAMESPACE_PREFIX}${runId}`;
export const runLabels = (runId: string): Record<string, string> => ({ [MANAGED_BY_KEY]: MANAGED_BY, [RUN_KEY]: runId });
/** Its key there, and so the file name under /probe (.mjs: ESM whatever the image's package.json says). */
export const AGENT_KEY = 'agent.mjs';
