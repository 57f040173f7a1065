// Runs collectors on demand, once each per run, with timeouts, and turns every failure into a value.
import type { FactId, FactResult } from '../engine/types.ts';
import type { Redactor } from '../redact.ts';
import type { Target } from '../target/resolve.ts';
import { FactError, Resources, type Collector, type CollectContext } from './collector.ts';
import type { FactMap } from './types.ts';

export type CollectorRegistry = { [K in FactId]: Collector<K> };

export class FactStore {
  private readonly memo = new Map<FactId, Promise<FactResult<unknown>>>();
  readonly resources = new Resources();
  private readonly collectors: CollectorRegistry;
  private readonly target: Target;
  private readonly redactor: Redactor;
  private readonly signal: AbortSignal;
  private readonly timeoutScale: number;

  constructor(opts: { collectors: CollectorRegistry; target: Target; redactor: Redactor; signal: AbortSignal; timeoutScale?: number }) {
    this.collectors = opts.collectors;
    this.target = opts.target;
    this.redactor = opts.redactor;
    this.signal = opts.signal;
    this.timeoutScale = opts.timeoutScale ?? 1;
  }

  get<K extends FactId>(id: K): Promise<FactResult<FactMap[K]>> {
    let p = this.memo.get(id);
    if (!p) {
      p = this.collect(id);
      this.memo.set(id, p);
    }
    return p as Promise<FactResult<FactMap[K]>>;
  }

  /** Every fact gathered so far, settled (for bundles and --debug). */
  async snapshot(): Promise<Partial<Record<FactId, FactResult<unknown>>>> {
    const out: Partial<Record<FactId, FactResult<unknown>>> = {};
    for (const [id, p] of this.memo) out[id] = await p;
    return out;
  }

  private async collect<K extends FactId>(id: K): Promise<FactResult<FactMap[K]>> {
    const collector = this.collectors[id] as Collector<K> | undefined;
    const started = performance.now();
    const ms = () => Math.round((performance.now() - started) * 10) / 10;
    if (!collector) return { ok: false, reason: 'bug', message: `no collector for fact ${id}`, durationMs: 0 };
    const timeoutMs = Math.round(collector.timeoutMs * this.timeoutScale);
    const timeout = new AbortController();
    const signal = AbortSignal.any([this.signal, timeout.signal]);
    const ctx: CollectContext = {
      target: this.target,
      signal,
      redactor: this.redactor,
      resources: this.resources,
      timeoutMs,
      fact: (other) => this.get(other),
    };
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timeout.abort();
        reject(new FactError('timeout', `no answer within ${timeoutMs} ms`, 'check the network path, or raise --timeout'));
      }, timeoutMs);
      timer.unref();
    });
    let onAbort = () => {};
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () =>
        reject(
          (this.signal.reason as Error | undefined)?.message === 'timeout'
            ? new FactError('timeout', 'the run ran out of time (--timeout) before this was gathered', 'raise --timeout, or check the network path')
            : new FactError('aborted', 'the run was interrupted before this was gathered'),
        );
      if (this.signal.aborted) onAbort();
      else this.signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const value = await Promise.race([collector.collect(ctx), expired, aborted]);
      return { ok: true, value, durationMs: ms() };
    } catch (e) {
      if (e instanceof FactError) {
        return {
          ok: false,
          reason: e.reason,
          message: this.redactor.redact(e.message),
          ...(e.hint ? { hint: this.redactor.redact(e.hint) } : {}),
          ...(e.detail ? { detail: this.redactor.redactValue(e.detail) } : {}),
          durationMs: ms(),
        };
      }
      const msg = e instanceof Error ? e.message : String(e);
      return { ok: false, reason: 'bug', message: this.redactor.redact(`collector ${id} failed unexpectedly: ${msg}`), hint: 'run again with --debug and report it', durationMs: ms() };
    } finally {
      clearTimeout(timer);
      this.signal.removeEventListener('abort', onAbort);
    }
  }
}
