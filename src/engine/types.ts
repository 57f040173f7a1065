// The vocabulary every layer shares: statuses, fact results, check definitions and results.
import type { FactMap } from '../facts/types.ts';
import type { Profile } from '../target/profile.ts';

export const STATUSES = ['pass', 'warn', 'fail', 'skip', 'error'] as const;
export type Status = (typeof STATUSES)[number];

export type FactId = keyof FactMap;

/** Why a fact could not be gathered. `not-configured` turns into `skip`; everything else into `error`. */
export type FactFailureReason =
  | 'not-configured'
  /** The configuration points at something broken (e.g. a Secret that does not exist). */
  | 'invalid-config'
  | 'forbidden'
  | 'unauthorized'
  | 'timeout'
  | 'unreachable'
  | 'dns'
  | 'tls'
  | 'protocol'
  | 'aborted'
  | 'bug';

export interface FactFailure {
  ok: false;
  reason: FactFailureReason;
  /** One line: what happened. Already redacted. */
  message: string;
  /** One line: how to make it available (e.g. which flag to pass). */
  hint?: string;
  /** Extra, serialisable detail (error codes, the host tried, …). */
  detail?: Record<string, string | number | boolean | null>;
  durationMs: number;
}

export interface FactSuccess<T> {
  ok: true;
  value: T;
  durationMs: number;
}

export type FactResult<T> = FactSuccess<T> | FactFailure;

export type EvidenceValue = string | number | boolean | null | readonly (string | number)[];
export type Evidence = Record<string, EvidenceValue>;

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
  /** Which threshold was applied and where it came from. */
  threshold?: { value: string; source: string };
}

export interface Thresholds {
  /** Minimum supported PostgreSQL major version (fail below). */
  postgresMinMajor: number;
  /** Recommended PostgreSQL major version (warn below). */
  postgresRecommendedMajor: number;
  /** Connection budget per Coder replica and how it is added up. */
  connections: {
    /** Pool size per replica by default (v1 CODER_MAX_DB_CONNECTIONS 30, v2 CODER_PG_CONN_MAX_OPEN 10). */
    poolPerReplica: number;
    /** Extra connections per replica outside the pool (v2: one LISTEN connection for pubsub). */
    extraPerReplica: number;
    /** Head-room factor for churn and other clients (v2 docs: about 20 %). */
    factor: number;
    /** v1 docs: the total must stay *below* the available connections. */
    strictlyBelow: boolean;
    source: string;
  };
}

/** What the user will deploy, from the values file or flags (checks that size things need it). */
export interface Deployment {
  replicas: number;
  replicasSource: string;
  poolPerReplica?: { value: number; where: string };
}

export interface EvaluateContext {
  profile: Profile;
  thresholds: Thresholds;
  /** Where this process runs, for results measured from here. */
  vantage: string;
  deployment: Deployment;
}

export type FactsFor<F extends readonly FactId[]> = { [K in F[number]]: FactResult<FactMap[K]> };

export interface Explanation {
  /** What the check looks at, in a sentence or two. */
  what: string;
  /** Why Coder needs it, with the source. */
  why: string;
  /** How to fix a warn/fail. */
  fix: string;
}

export interface CheckDefinition<F extends readonly FactId[] = readonly FactId[]> {
  /** `<category>.<name>`, equal to the file path under checks/. */
  id: string;
  /** The passing state, e.g. "PostgreSQL accepts connections". */
  title: string;
  category: string;
  facts: F;
  /** Link to Coder's documentation for this requirement. */
  docs: string;
  explain: Explanation;
  tags?: readonly string[];
  /** Per-check time limit for evaluate (facts have their own). */
  timeoutMs?: number;
  evaluate(facts: FactsFor<F>, ctx: EvaluateContext): CheckOutcome | Promise<CheckOutcome>;
}

/** Any check, whatever facts it declares (for registries and the engine). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCheck = CheckDefinition<any>;

export interface CheckResult extends CheckOutcome {
  id: string;
  title: string;
  category: string;
  docs: string;
  durationMs: number;
  evidence: Evidence;
}
