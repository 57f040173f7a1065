// The fact vocabulary. Facts are plain data (they are saved with --save-facts and replayed).
// FactMap starts empty: each collector file declares its own fact next to its code with
//   declare module '../types.ts' { interface FactMap { 'postgres.server': PostgresServerFact } }
// so a new fact is one file. Plugins augment it the same way through 'coder-preflight/api'.
import type { Detail, FailureReason } from '../errors.ts';

// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface FactMap {}

export type FactId = keyof FactMap & string;

export type FactFailureReason = FailureReason;

export interface FactFailure {
  ok: false;
  reason: FactFailureReason;
  /** One line: what happened. Already redacted. */
  message: string;
  /** One line: how to make it available (e.g. which flag to pass). */
  hint?: string;
  /** Extra, serialisable detail (error codes, the host tried, …). */
  detail?: Detail;
  /** The fact whose failure caused this one: the check that owns that fact tells the cause. */
  causedBy?: string;
  durationMs: number;
}

export interface FactSuccess<T> {
  ok: true;
  value: T;
  durationMs: number;
}

export type FactResult<T> = FactSuccess<T> | FactFailure;

/**
 * Where the engine reads facts from: the live, memoising store (collectors against the cluster
 * and the database) or a saved snapshot (--from-facts, support bundles, the check tester).
 */
export interface FactSource {
  get<K extends FactId>(id: K): Promise<FactResult<FactMap[K]>>;
  /** Every fact read so far, settled. */
  snapshot(): Promise<Record<string, FactResult<unknown>>>;
}
