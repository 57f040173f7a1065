// The live FactSource: runs collectors on demand, once each per run, with timeouts, and turns
// every failure into a value.
import { withDeadline } from '../deadline.ts';
import { ClassifiedError } from '../errors.ts';
import type { Target } from '../inputs/resolve.ts';
import type { Redactor } from '../redact.ts';
import { Resources, type Collector, type CollectContext } from './collector.ts';
import type { FactId, FactMap, FactResult, FactSource } from './types.ts';

export type CollectorRegistry = Readonly<Record<string, Collector<FactId>>>;

const ms = (started: number) => Math.round((performance.now() - started) * 10) / 10;

export class FactStore implements FactSource {
  private readonly memo = new Map<string, Promise<FactResult<unknown>>>();
  private readonly created = performance.now();
  /** When each collector started, ms after the store was made (for --debug: what waited on what). */
  readonly startedAt = new Map<string, number>();
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

  async snapshot(): Promise<Record<string, FactResult<unknown>>> {
    const out: Record<string, FactResult<unknown>> = {};
    for (const [id, p] of this.memo) out[id] = await p;
    return out;
  }

  private async collect<K extends FactId>(id: K): Promise<FactResult<FactMap[K]>> {
    const collector = this.collectors[id] as Collector<K> | undefined;
    const started = performance.now();
    this.startedAt.set(id, Math.round((started - this.created) * 10) / 10);
    if (!collector) return { ok: false, reason: 'bug', message: `no collector for fact ${id}`, durationMs: 0 };
    const timeoutMs = Math.round(collector.timeoutMs * this.timeoutScale);
    const timeout = new AbortController();
    const ctx: CollectContext = {
      target: this.target,
      signal: AbortSignal.any([this.signal, timeout.signal]),
      redactor: this.redactor,
      resources: this.resources,
      timeoutMs,
      fact: (other) => this.get(other),
      need: async (other) => {
        const f = await this.get(other);
        if (f.ok) return f.value;
        throw new ClassifiedError(f.reason, f.message, f.hint, f.detail, f.causedBy ?? other);
      },
    };
    try {
      const value = await withDeadline(collector.collect(ctx), {
        ms: timeoutMs,
        onTimeout: () => {
          timeout.abort();
          return new ClassifiedError('timeout', `no answer within ${timeoutMs} ms`, 'check the network path, or raise --timeout');
        },
        signal: this.signal,
        onAbort: () =>
          (this.signal.reason as Error | undefined)?.message === 'timeout'
            ? new ClassifiedError('timeout', 'the run ran out of time (--timeout) before this was gathered', 'raise --timeout, or check the network path')
            : new ClassifiedError('aborted', 'the run was interrupted before this was gathered'),
      });
      return { ok: true, value, durationMs: ms(started) };
    } catch (e) {
      if (e instanceof ClassifiedError) {
        return {
          ok: false,
          reason: e.reason,
          message: this.redactor.redact(e.message, `fact ${id}`),
          ...(e.hint ? { hint: this.redactor.redact(e.hint, `fact ${id}`) } : {}),
          ...(e.detail ? { detail: this.redactor.redactValue(e.detail, `fact ${id}`) } : {}),
          ...(e.causedBy ? { causedBy: e.causedBy } : {}),
          durationMs: ms(started),
        };
      }
      const msg = e instanceof Error ? e.message : String(e);
      return { ok: false, reason: 'bug', message: this.redactor.redact(`collector ${id} failed unexpectedly: ${msg}`, `fact ${id}`), hint: 'run again with --debug and report it', durationMs: ms(started) };
    }
  }
}
