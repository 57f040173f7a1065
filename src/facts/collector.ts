// Collectors gather one family of facts, once per run, with a timeout and an AbortSignal.
// A failure is stored as a value (FactFailure), never thrown at a check.
import { withDeadline } from '../deadline.ts';
import { ClassifiedError } from '../errors.ts';
import type { Target } from '../inputs/resolve.ts';
import type { Redactor } from '../redact.ts';
import type { FactId, FactMap, FactResult } from './types.ts';

/** Thrown by a collector for a failure it understands (the same class the clients throw). */
export const FactError = ClassifiedError;
export type FactError = ClassifiedError;

/** Live handles shared by collectors during one run (a database session, a kube config), closed at the end. */
export class Resources {
  private readonly items = new Map<string, { value: Promise<unknown>; dispose?: (v: unknown) => Promise<void> | void }>();

  use<T>(key: string, create: () => Promise<T>, dispose?: (v: T) => Promise<void> | void): Promise<T> {
    const hit = this.items.get(key);
    if (hit) return hit.value as Promise<T>;
    const value = create();
    this.items.set(key, { value, ...(dispose ? { dispose: dispose as (v: unknown) => Promise<void> | void } : {}) });
    return value;
  }

  /**
   * Dispose everything; a handle still being created gets `graceMs` to settle, and closing it another
   * `graceMs` (a client may wait for a peer that never answers), then it is left to exit.
   */
  async closeAll(graceMs = 2000): Promise<void> {
    const all = [...this.items.values()];
    this.items.clear();
    await Promise.allSettled(
      all.map(async (it) => {
        const v = await withDeadline(it.value.catch(() => undefined), { ms: graceMs, onTimeout: () => undefined });
        if (v !== undefined && it.dispose) await withDeadline(Promise.resolve(it.dispose(v)), { ms: graceMs, onTimeout: () => undefined });
      }),
    );
  }
}

export interface CollectContext {
  target: Target;
  signal: AbortSignal;
  redactor: Redactor;
  resources: Resources;
  /** The time this collector has, for clients that take their own timeouts. */
  timeoutMs: number;
  /** Another fact, as a result (memoised like everything else). */
  fact<K extends FactId>(id: K): Promise<FactResult<FactMap[K]>>;
  /**
   * Another fact this one cannot do without: its value, or a throw that carries the same failure
   * with `causedBy` set, so the check that owns that fact tells the cause and the others point to it.
   */
  need<K extends FactId>(id: K): Promise<FactMap[K]>;
}

export interface Collector<K extends FactId = FactId> {
  id: K;
  timeoutMs: number;
  collect(ctx: CollectContext): Promise<FactMap[K]>;
}

export function defineCollector<K extends FactId>(c: Collector<K>): Collector<K> {
  if (!/^([a-z][a-z0-9-]*\/)?[a-z][a-z0-9-]*\.[a-z][a-z0-9.-]*$/.test(c.id)) throw new Error(`bad fact id ${c.id}: use <family>.<name> (plugins: <plugin>/<family>.<name>)`);
  return c;
}
