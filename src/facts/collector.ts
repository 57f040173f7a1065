// Collectors gather one family of facts, once per run, with a timeout and an AbortSignal.
// A failure is stored as a value (FactFailure), never thrown at a check.
import type { FactFailureReason, FactId, FactResult } from '../engine/types.ts';
import type { FactMap } from './types.ts';
import type { Target } from '../target/resolve.ts';
import type { Redactor } from '../redact.ts';

/** Thrown by a collector for a failure it understands. */
export class FactError extends Error {
  override name = 'FactError';
  readonly reason: FactFailureReason;
  readonly hint: string | undefined;
  readonly detail: Record<string, string | number | boolean | null> | undefined;
  constructor(reason: FactFailureReason, message: string, hint?: string, detail?: Record<string, string | number | boolean | null>) {
    super(message);
    this.reason = reason;
    this.hint = hint;
    this.detail = detail;
  }
}

/** Live handles shared by collectors during one run (a pg client, a kube config), closed at the end. */
export class Resources {
  private readonly items = new Map<string, { value: Promise<unknown>; dispose?: (v: unknown) => Promise<void> | void }>();

  use<T>(key: string, create: () => Promise<T>, dispose?: (v: T) => Promise<void> | void): Promise<T> {
    const hit = this.items.get(key);
    if (hit) return hit.value as Promise<T>;
    const value = create();
    this.items.set(key, { value, ...(dispose ? { dispose: dispose as (v: unknown) => Promise<void> | void } : {}) });
    return value;
  }

  /** Dispose everything; a handle still being created gets `graceMs` to settle, then is left to exit. */
  async closeAll(graceMs = 2000): Promise<void> {
    const all = [...this.items.values()];
    this.items.clear();
    await Promise.allSettled(
      all.map(async (it) => {
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<undefined>((r) => {
          timer = setTimeout(() => r(undefined), graceMs);
          timer.unref();
        });
        const v = await Promise.race([it.value.catch(() => undefined), late]);
        clearTimeout(timer);
        if (v !== undefined && it.dispose) await it.dispose(v);
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
  /** Another fact this one builds on (memoised like everything else). */
  fact<K extends FactId>(id: K): Promise<FactResult<FactMap[K]>>;
}

export interface Collector<K extends FactId = FactId> {
  id: K;
  timeoutMs: number;
  collect(ctx: CollectContext): Promise<FactMap[K]>;
}

export function defineCollector<K extends FactId>(c: Collector<K>): Collector<K> {
  return c;
}
