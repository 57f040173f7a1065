// One way to bound a promise in time (and by an AbortSignal): the engine's per-check limit, a
// collector's limit, and the grace given to closing clients all use it.

export interface DeadlineOptions<T> {
  ms: number;
  /** What to settle with when time runs out: a value, or an Error to reject with. */
  onTimeout: () => T | Error;
  signal?: AbortSignal;
  /** What to settle with when the signal aborts first (default: onTimeout's). */
  onAbort?: () => T | Error;
}

/** `work`, or what `onTimeout`/`onAbort` say once the time is up or the signal aborts. Timers never keep the process alive. */
export function withDeadline<T>(work: Promise<T>, o: DeadlineOptions<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const settle = (make: () => T | Error, resolve: (v: T) => void, reject: (e: Error) => void) => {
    const v = make();
    if (v instanceof Error) reject(v);
    else resolve(v);
  };
  const limit = new Promise<T>((resolve, reject) => {
    timer = setTimeout(() => settle(o.onTimeout, resolve, reject), o.ms);
    timer.unref();
    if (o.signal) {
      onAbort = () => settle(o.onAbort ?? o.onTimeout, resolve, reject);
      if (o.signal.aborted) onAbort();
      else o.signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  return Promise.race([work, limit]).finally(() => {
    clearTimeout(timer);
    if (onAbort) o.signal?.removeEventListener('abort', onAbort);
  });
}
