import { describe, expect, it } from 'vitest';
import { defineCheck } from '../../src/engine/define.ts';
import { exitCodeFor } from '../../src/engine/exit.ts';
import { runChecks, worstStatus } from '../../src/engine/run.ts';
import { selectChecks } from '../../src/engine/select.ts';
import type { AnyCheck, EvaluateContext } from '../../src/engine/types.ts';
import { ConfigError } from '../../src/errors.ts';
import { defineCollector, FactError } from '../../src/facts/collector.ts';
import { FactStore, type CollectorRegistry } from '../../src/facts/store.ts';
import type { Target } from '../../src/target/resolve.ts';
import { BASELINE_PROFILE, THRESHOLDS } from '../../src/target/profile.ts';
import { Redactor } from '../../src/redact.ts';
import type { KubeVersionFact, PostgresServerFact } from '../../src/facts/types.ts';

const target: Target = {
  kube: { configured: false, hint: 'no kubeconfig' },
  postgres: { state: 'absent', hint: 'no db' },
  profile: BASELINE_PROFILE,
  thresholds: THRESHOLDS.baseline,
  namespace: 'coder',
  vantage: 'test',
  deployment: { replicas: 1, replicasSource: 'test' },
};
const ctx: EvaluateContext = { profile: BASELINE_PROFILE, thresholds: THRESHOLDS.baseline, vantage: 'test', deployment: { replicas: 1, replicasSource: 'test' } };

const kubeFact: KubeVersionFact = { server: 's', context: 'c', source: 'x', gitVersion: 'v1.35.0', major: 1, minor: 35, platform: 'linux/amd64', requestMs: 1 };

function store(collectors: Partial<CollectorRegistry>, signal = new AbortController().signal, redactor = new Redactor()) {
  return new FactStore({ collectors: collectors as CollectorRegistry, target, redactor, signal });
}

const okKube = (calls: { n: number }) =>
  defineCollector({
    id: 'kubernetes.version',
    timeoutMs: 1000,
    async collect() {
      calls.n++;
      return kubeFact;
    },
  });

function check(id: string, evaluate: AnyCheck['evaluate'], facts: readonly string[] = ['kubernetes.version'], extra: Partial<AnyCheck> = {}): AnyCheck {
  return defineCheck({
    id,
    title: id,
    category: id.split('.')[0]!,
    facts: facts as never,
    docs: 'https://coder.com/docs',
    explain: { what: 'w', why: 'y', fix: 'f' },
    evaluate,
    ...extra,
  } as AnyCheck);
}

describe('fact store', () => {
  it('collects each fact once per run, however many checks ask', async () => {
    const calls = { n: 0 };
    const facts = store({ 'kubernetes.version': okKube(calls) });
    const checks = [1, 2, 3].map((i) => check(`kubernetes.c${i}`, () => ({ status: 'pass', summary: 'ok' })));
    const results = await runChecks({ checks, facts, context: ctx, redactor: new Redactor(), signal: new AbortController().signal });
    expect(results.map((r) => r.status)).toEqual(['pass', 'pass', 'pass']);
    expect(calls.n).toBe(1);
  });

  it('stores a collector timeout as a value and aborts its signal', async () => {
    let aborted = false;
    const facts = store({
      'kubernetes.version': defineCollector({
        id: 'kubernetes.version',
        timeoutMs: 50,
        collect: (c) =>
          new Promise((resolve) => {
            c.signal.addEventListener('abort', () => {
              aborted = true;
            });
            setTimeout(() => resolve(kubeFact), 5000).unref();
          }),
      }),
    });
    const f = await facts.get('kubernetes.version');
    expect(f.ok).toBe(false);
    if (!f.ok) expect(f.reason).toBe('timeout');
    expect(aborted).toBe(true);
  });

  it('keeps a FactError reason and redacts secrets in messages', async () => {
    const redactor = new Redactor();
    redactor.add('s3cr3t-pass');
    const facts = store(
      {
        'postgres.server': defineCollector({
          id: 'postgres.server',
          timeoutMs: 1000,
          async collect(): Promise<PostgresServerFact> {
            throw new FactError('unauthorized', 'login failed with password s3cr3t-pass', 'hint with s3cr3t-pass');
          },
        }),
      },
      undefined,
      redactor,
    );
    const f = await facts.get('postgres.server');
    expect(f).toMatchObject({ ok: false, reason: 'unauthorized' });
    expect(JSON.stringify(f)).not.toContain('s3cr3t-pass');
  });

  it('turns an unexpected collector throw into reason "bug"', async () => {
    const facts = store({
      'kubernetes.version': defineCollector({
        id: 'kubernetes.version',
        timeoutMs: 1000,
        async collect(): Promise<KubeVersionFact> {
          throw new TypeError('boom');
        },
      }),
    });
    expect(await facts.get('kubernetes.version')).toMatchObject({ ok: false, reason: 'bug' });
  });
});

describe('runChecks', () => {
  it('isolates a throwing check: it becomes error, the others still run', async () => {
    const facts = store({ 'kubernetes.version': okKube({ n: 0 }) });
    const results = await runChecks({
      checks: [
        check('kubernetes.bad', () => {
          throw new Error('kaput');
        }),
        check('kubernetes.good', () => ({ status: 'pass', summary: 'fine' })),
      ],
      facts,
      context: ctx,
      redactor: new Redactor(),
      signal: new AbortController().signal,
    });
    expect(results[0]).toMatchObject({ id: 'kubernetes.bad', status: 'error' });
    expect(results[0]!.summary).toContain('kaput');
    expect(results[1]).toMatchObject({ id: 'kubernetes.good', status: 'pass' });
  });

  it('times out a check that never finishes', async () => {
    const facts = store({ 'kubernetes.version': okKube({ n: 0 }) });
    const [r] = await runChecks({
      checks: [check('kubernetes.slow', () => new Promise(() => {}), undefined, { timeoutMs: 30 })],
      facts,
      context: ctx,
      redactor: new Redactor(),
      signal: new AbortController().signal,
    });
    expect(r).toMatchObject({ status: 'error' });
    expect(r!.summary).toMatch(/did not finish within 30 ms/);
  });

  it('refuses a pass when a declared fact could not be gathered', async () => {
    const facts = store({});
    const [r] = await runChecks({
      checks: [check('kubernetes.sloppy', () => ({ status: 'pass', summary: 'looks fine' }))],
      facts,
      context: ctx,
      redactor: new Redactor(),
      signal: new AbortController().signal,
    });
    expect(r!.status).toBe('error');
    expect(r!.summary).toMatch(/Refusing to pass without evidence/);
  });

  it('rejects an invalid status', async () => {
    const facts = store({ 'kubernetes.version': okKube({ n: 0 }) });
    const [r] = await runChecks({
      checks: [check('kubernetes.odd', () => ({ status: 'ok' as never, summary: 'x' }))],
      facts,
      context: ctx,
      redactor: new Redactor(),
      signal: new AbortController().signal,
    });
    expect(r!.status).toBe('error');
  });

  it('reports not-evaluated checks as error when the run is aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    const slow = defineCollector({ id: 'kubernetes.version', timeoutMs: 5000, collect: () => new Promise<KubeVersionFact>((r) => setTimeout(() => r(kubeFact), 1000).unref()) });
    const facts = store({ 'kubernetes.version': slow }, ac.signal);
    const [r] = await runChecks({ checks: [check('kubernetes.x', () => ({ status: 'pass', summary: 'ok' }))], facts, context: ctx, redactor: new Redactor(), signal: ac.signal });
    expect(r!.status).toBe('error');
    expect(await facts.get('kubernetes.version')).toMatchObject({ ok: false, reason: 'aborted' });
  });
});

describe('selectChecks', () => {
  const all = ['postgres.connect', 'postgres.version', 'kubernetes.api', 'storage.default-class'].map((id) => check(id, () => ({ status: 'pass', summary: '' })));
  const ids = (l: AnyCheck[]) => l.map((c) => c.id);

  it('selects by id, glob and category, and skips likewise', () => {
    expect(ids(selectChecks(all))).toHaveLength(4);
    expect(ids(selectChecks(all, ['postgres']))).toEqual(['postgres.connect', 'postgres.version']);
    expect(ids(selectChecks(all, ['postgres.v*']))).toEqual(['postgres.version']);
    expect(ids(selectChecks(all, ['kubernetes.api,storage.default-class']))).toEqual(['kubernetes.api', 'storage.default-class']);
    expect(ids(selectChecks(all, [], ['postgres.*']))).toEqual(['kubernetes.api', 'storage.default-class']);
    expect(ids(selectChecks(all, ['postgres'], ['postgres.connect']))).toEqual(['postgres.version']);
  });

  it('rejects an unknown id with a suggestion, and an empty selection', () => {
    expect(() => selectChecks(all, ['postgres.conect'])).toThrow(ConfigError);
    expect(() => selectChecks(all, ['postgres.conect'])).toThrow(/no check matches "postgres.conect"/);
    expect(() => selectChecks(all, ['postgres'], ['postgres'])).toThrow(/leaves no check/);
  });
});

describe('exit codes and worst status', () => {
  it('maps statuses to the design exit codes', () => {
    expect(exitCodeFor([], 'fail')).toBe(0);
    expect(exitCodeFor(['pass', 'skip'], 'fail')).toBe(0);
    expect(exitCodeFor(['pass', 'warn'], 'fail')).toBe(0);
    expect(exitCodeFor(['pass', 'warn'], 'warn')).toBe(4);
    expect(exitCodeFor(['warn', 'error'], 'warn')).toBe(1);
    expect(exitCodeFor(['error', 'fail'], 'fail')).toBe(3);
    expect(exitCodeFor(['fail'], 'warn')).toBe(3);
  });
  it('orders fail > error > warn > skip > pass', () => {
    expect(worstStatus(['pass', 'skip'])).toBe('skip');
    expect(worstStatus(['warn', 'error', 'pass'])).toBe('error');
    expect(worstStatus(['error', 'fail'])).toBe('fail');
    expect(worstStatus([])).toBe('pass');
  });
});
