// The vocabulary of checks: statuses, outcomes, results, the check definition and its context.
import type { FactFailure, FactId, FactMap, FactResult } from '../facts/types.ts';
import type { Placement } from '../kubernetes/scheduling.ts';

export const STATUSES = ['pass', 'warn', 'fail', 'skip', 'error'] as const;
export type Status = (typeof STATUSES)[number];

export const PROFILES = ['baseline', 'v1', 'v2'] as const;
/** Which Coder the user is about to install decides the thresholds (design.md, "Profiles"). */
export type ProfileName = (typeof PROFILES)[number];

export interface Profile {
  name: ProfileName;
  /** The Coder version given, if any. */
  coderVersion?: string;
  /** Where the profile came from, for the report. */
  source: string;
}

export type EvidenceValue = string | number | boolean | null | readonly (string | number)[];
export type Evidence = Record<string, EvidenceValue>;

/** Which threshold was applied and where it came from. */
export interface ThresholdUsed {
  value: string;
  source: string;
}

/** What a check's `evaluate` returns. The engine adds id, title, timing and docs. */
export interface CheckOutcome {
  status: Status;
  /** One line, the result in words, with the key number/name in it. */
  summary: string;
  /** Required for warn and fail: what to do. */
  remediation?: string;
  evidence?: Evidence;
  /** Where a measurement was taken (e.g. "this machine (laptop.local)"). */
  vantage?: string;
  /** Which threshold was applied. `source` may be left out: the engine fills in where the check's options came from. */
  threshold?: { value: string; source?: string };
}

/** What the user will deploy, from the values file or flags (checks that size things need it). */
export interface Deployment {
  replicas: number;
  replicasSource: string;
  poolPerReplica?: { value: number; where: string };
  /** Where Coder's pods may run (values coder.nodeSelector/affinity/tolerations, or --control-plane-selector). */
  controlPlane?: Placement;
  /** Where workspaces run, when given (--workspace-selector); templates decide it otherwise. */
  workspaces?: Placement;
  /** Coder's resource requests per replica, when the values file sets them. */
  requests?: { cpuMillis: number; memoryMi: number; where: string };
  /** The Service the chart will create for Coder, from the values file. */
  service?: ServiceSettings;
  /** What high availability depends on, from the values file. */
  ha?: HaSettings;
  /** --users: size against Coder's validated architecture for this many users. */
  users?: number;
  /** A StorageClass the values name for the volumes the chart creates (v1 postgres.default.storageClassName). */
  storageClass?: { name: string; where: string };
}

export interface HaSettings {
  /** The pod anti-affinity between replicas: the chart's default is preferred (by host name). */
  antiAffinity: 'preferred' | 'required' | 'none';
  /** topologyKeys of coder.topologySpreadConstraints with whenUnsatisfiable DoNotSchedule. */
  hardSpreadKeys: string[];
  /** CODER_DERP_SERVER_RELAY_URL when the values override the chart's (http://$(KUBE_POD_IP):8080). */
  relayUrl?: string;
  /** CODER_ACCESS_URL when the values set one. */
  accessUrl?: string;
  where: string;
}

export interface ServiceSettings {
  /** false: the values turn the Service off (coder.service.enable). */
  enabled: boolean;
  type: string;
  sessionAffinity: string;
  loadBalancerClass: string;
  /** Annotation keys (they pick the AWS load balancer kind, internal LBs, …). */
  annotations: string[];
  where: string;
}

/** A check's tunable policy: plain values a config file can override by check id. */
export type OptionValue = number | string | boolean;
export type Options = Record<string, OptionValue>;

/**
 * A check's defaults per profile, each with its source. `baseline` is complete; `v1`/`v2`
 * change only what differs for that Coder.
 */
export interface ProfileDefaults<O extends Options> {
  baseline: O & { source: string };
  v1?: Partial<Widen<O>> & { source: string };
  v2?: Partial<Widen<O>> & { source: string };
}

/** `true` → boolean, `11` → number: options are inferred from literals but vary by profile and config. */
export type Widen<O> = { [K in keyof O]: O[K] extends number ? number : O[K] extends string ? string : O[K] extends boolean ? boolean : O[K] };

export interface EvaluateContext<O extends Options = Options> {
  profile: Profile;
  /** This check's options: its defaults for the profile, with any config-file override applied. */
  options: Readonly<Widen<O>> & { readonly source: string };
  /** Where this process runs, for results measured from here. */
  vantage: string;
  deployment: Deployment;
}

export type FactValues<F extends readonly FactId[]> = { [K in F[number]]: FactMap[K] };
export type FactResults<F extends readonly FactId[]> = { [K in F[number]]: FactResult<FactMap[K]> };

export interface Explanation {
  /** What the check looks at, in a sentence or two. */
  what: string;
  /** Why Coder needs it, with the source. */
  why: string;
  /** How to fix a warn/fail. */
  fix: string;
}

export interface CheckDefinition<F extends readonly FactId[] = readonly FactId[], O extends Options = Options> {
  /** `<category>.<name>`, equal to the file path under checks/; plugin checks: `<plugin>/<category>.<name>`. */
  id: string;
  /** The passing state, e.g. "PostgreSQL accepts connections". */
  title: string;
  category: string;
  /** Declared inputs; only these are gathered. A failed one becomes skip/error before `evaluate` runs. */
  facts: F;
  /** This check's policy per profile, with sources; overridable by check id from a config file. */
  defaults?: ProfileDefaults<O>;
  /** Link to Coder's documentation for this requirement. */
  docs: string;
  explain: Explanation;
  tags?: readonly string[];
  /** Per-check time limit for evaluate (facts have their own). */
  timeoutMs?: number;
  /**
   * For a check that judges a failed fact itself (an auth failure is a `fail`, not "could not
   * look"). Called only with failures whose cause this check owns; return undefined to let the
   * engine decide. All declared facts are given, the failed ones as failures.
   */
  onFactFailure?(facts: FactResults<F>, ctx: EvaluateContext<NoInfer<O>>): CheckOutcome | undefined;
  /** Pure: the facts arrive as plain values. */
  evaluate(facts: FactValues<F>, ctx: EvaluateContext<NoInfer<O>>): CheckOutcome | Promise<CheckOutcome>;
}

/** Any check, whatever facts and options it declares (for registries and the engine). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCheck = CheckDefinition<any, any>;

export interface CheckResult extends CheckOutcome {
  id: string;
  title: string;
  category: string;
  docs: string;
  durationMs: number;
  evidence: Evidence;
  threshold?: ThresholdUsed;
}

export type { FactFailure };
