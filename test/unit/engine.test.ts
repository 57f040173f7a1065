import { describe, expect, it } from 'vitest';
import { withDeadline } from '../../src/deadline.ts';
import { defineCheck, pluginOf } from '../../src/engine/define.ts';
import { exitCodeFor } from '../../src/engine/exit.ts';
import { resolveOptions, validateOverrides, type OptionOverrides } from '../../src/engine/options.ts';
import { runChecks, worstStatus } from '../../src/engine/run.ts';
import { selectChecks } from '../../src/engine/select.ts';
import type { AnyCheck, CheckResult, Profile } from '../../src/engine/types.ts';
import { ConfigError } from '../../src/errors.ts';
import { defineCollector, FactError, type Collector } from '../../src/facts/collector.ts';
import type { KubeVersionFact } from '../../src/facts/kubernetes/version.ts';
import type { PostgresServerFact } from '../../src/facts/postgres/server.ts';
import { SnapshotFactSource } from '../../src/facts/snapshot.ts';
import { FactStore, type CollectorRegistry } from '../../src/facts/store.ts';
import type { FactId, FactSource } from '../../src/facts/types.ts';
import { BASELINE_PROFILE } from '../../src/inputs/profile.ts';
import type { Target } from '../../src/inputs/resolve.ts';
import { Redactor } from '../../src/redact.ts';
import { suggest } from '../../src/suggest.ts';

const target: Target = {
  kube: { configured: false, hint: 'no kubeconfig' },
  postgres: { state: 'absent', hint: 'no db' },
  profile: BASELINE_PROFILE,
  namespace: 'coder',
  vantage: 'test',
  pgAuth: { value: 'password', where: 'default' },
  chart: { releaseName: 'coder' },
  deployment: { replicas: 1, replicasSource: 'test' },
};

const kubeFact: KubeVersionFact = { server: 's', context: 'c', source: 'x', gitVersion: 'v1.35.0', major: 1, minor: 35, platform: 'linux/amd64', requestMs: 1 };

function store(collectors: Record<string, Collector<FactId>>, signal = new AbortController().signal, redactor = new Redactor()) {
  return new FactStore({ collectors: collectors as CollectorRegistry, target, redactor, signal });
}

function run(checks: AnyCheck[], facts: FactSource, profile: Profile = BASELINE_PROFILE, overrides?: OptionOverrides): Promise<CheckResult[]> {
  return runChecks({ checks, facts, profile, deployment: target.deployment, vantage: 'test', optionsFor: (c) => resolveOptions(c, profile, overrides), redactor: new Redactor() });
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
    category: id.split('/').pop()!.split('.')[0]!,
    facts: facts as never,
    docs: 'https://coder.com/docs',
    explain: { what: 'w', why: 'y', fix: 'f' },
    evaluate,
    ...extra,
  } as AnyCheck);
}

const pass = () => ({ status: 'pass' as const, summary: 'ok', evidence: { x: 1 } });

describe('fact store', () => {
  it('collects each fact once per run, however many checks ask', async () => {
    const calls = { n: 0 };
    const facts = store({ 'kubernetes.version': okKube(calls) });
    const checks = [1, 2, 3].map((i) => check(`kubernetes.c${i}`, pass));
    const results = await run(checks, facts);
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

  it('need(): a fact that cannot do without another carries its failure, with causedBy', async () => {
    const facts = store({
      'postgres.server': defineCollector({
        id: 'postgres.server',
        timeoutMs: 1000,
        async collect(): Promise<PostgresServerFact> {
          throw new FactError('unauthorized', 'password authentication failed', 'fix the password');
        },
      }),
      'postgres.connections': defineCollector({
        id: 'postgres.connections',
        timeoutMs: 1000,
        async collect(ctx) {
          await ctx.need('postgres.server');
          throw new Error('not reached');
        },
      }),
    });
    expect(await facts.get('postgres.connections')).toMatchObject({ ok: false, reason: 'unauthorized', message: 'password authentication failed', causedBy: 'postgres.server' });
  });
});

describe('saved facts', () => {
  it('a fact absent from the snapshot is a failure of its own kind', async () => {
    const src = new SnapshotFactSource({ 'kubernetes.version': { ok: true, value: kubeFact, durationMs: 1 } }, 'facts.json');
    expect(await src.get('kubernetes.version')).toMatchObject({ ok: true });
    expect(await src.get('kubernetes.cni')).toMatchObject({ ok: false, reason: 'not-collected', message: /kubernetes\.cni is not in facts\.json/ });
    const [r] = await run([check('kubernetes.x', pass, ['kubernetes.cni'])], src);
    expect(r).toMatchObject({ status: 'error', summary: /Could not gather kubernetes\.cni/ });
  });
});

describe('runChecks', () => {
  it('isolates a throwing check: it becomes error, the others still run', async () => {
    const facts = store({ 'kubernetes.version': okKube({ n: 0 }) });
    const results = await run(
      [
        check('kubernetes.bad', () => {
          throw new Error('kaput');
        }),
        check('kubernetes.good', pass),
      ],
      facts,
    );
    expect(results[0]).toMatchObject({ id: 'kubernetes.bad', status: 'error' });
    expect(results[0]!.summary).toContain('kaput');
    expect(results[1]).toMatchObject({ id: 'kubernetes.good', status: 'pass' });
  });

  it('times out a check that never finishes', async () => {
    const facts = store({ 'kubernetes.version': okKube({ n: 0 }) });
    const [r] = await run([check('kubernetes.slow', () => new Promise(() => {}), undefined, { timeoutMs: 30 })], facts);
    expect(r).toMatchObject({ status: 'error' });
    expect(r!.summary).toMatch(/did not finish within 30 ms/);
  });

  it('turns a failed fact into error before evaluate runs, with the fact\'s message and hint', async () => {
    let called = false;
    const [r] = await run(
      [
        check('kubernetes.sloppy', () => {
          called = true;
          return pass();
        }),
      ],
      store({}),
    );
    expect(called).toBe(false);
    expect(r).toMatchObject({ status: 'error', summary: 'Could not gather kubernetes.version: no collector for fact kubernetes.version', evidence: { reason: 'bug', fact: 'kubernetes.version' } });
  });

  it('turns a not-configured fact into skip with its hint', async () => {
    const src = new SnapshotFactSource({ 'kubernetes.version': { ok: false, reason: 'not-configured', message: 'No Kubernetes cluster configured', hint: 'pass --kubeconfig', durationMs: 0 } });
    const [r] = await run([check('kubernetes.x', pass)], src);
    expect(r).toMatchObject({ status: 'skip', summary: 'No Kubernetes cluster configured', remediation: 'pass --kubeconfig' });
  });

  it('refuses a pass from a failure hook when a declared fact could not be gathered', async () => {
    const [r] = await run([check('kubernetes.sloppy', pass, undefined, { onFactFailure: () => ({ status: 'pass', summary: 'looks fine', evidence: { a: 1 } }) })], store({}));
    expect(r!.status).toBe('error');
    expect(r!.summary).toMatch(/Refusing to pass without evidence/);
  });

  it('lets a hook judge a failure, and falls back to the engine when it returns undefined', async () => {
    const src = (reason: 'unauthorized' | 'forbidden') => new SnapshotFactSource({ 'kubernetes.version': { ok: false, reason, message: 'm', hint: 'h', durationMs: 0 } });
    const hooked = check('kubernetes.api', pass, undefined, { onFactFailure: (f) => ((f['kubernetes.version'] as { reason?: string }).reason === 'unauthorized' ? { status: 'fail', summary: 'refused', remediation: 'refresh' } : undefined) });
    expect((await run([hooked], src('unauthorized')))[0]).toMatchObject({ status: 'fail', summary: 'refused' });
    expect((await run([hooked], src('forbidden')))[0]).toMatchObject({ status: 'error', summary: 'Could not gather kubernetes.version: m' });
  });

  it('tells one root cause once: the check that owns the failed fact says it, the others point to it', async () => {
    const server = { ok: false as const, reason: 'unauthorized' as const, message: 'password authentication failed for user "coder"', hint: 'check the password', durationMs: 1 };
    const src = new SnapshotFactSource({
      'postgres.server': server,
      'postgres.connections': { ...server, causedBy: 'postgres.server' },
      'postgres.privileges': { ...server, causedBy: 'postgres.server' },
    });
    const connect = check('postgres.connect', pass, ['postgres.server'], { onFactFailure: () => ({ status: 'fail', summary: 'Coder could not connect', remediation: 'check the password' }) });
    const version = check('postgres.version', pass, ['postgres.server']);
    const connections = check('postgres.connections', pass, ['postgres.connections']);
    const privileges = check('postgres.privileges', pass, ['postgres.privileges', 'postgres.server']);
    // Registry order puts version before connect: the hook decides who owns it, not the order.
    const results = await run([connections, privileges, version, connect], src);
    const by = Object.fromEntries(results.map((r) => [r.id, r]));
    expect(by['postgres.connect']).toMatchObject({ status: 'fail', summary: 'Coder could not connect', remediation: 'check the password' });
    for (const id of ['postgres.version', 'postgres.connections', 'postgres.privileges']) {
      expect(by[id], id).toMatchObject({ status: 'error', summary: 'Not evaluated: postgres.server was refused: credentials rejected — see postgres.connect', remediation: 'see postgres.connect for the cause and what to do', evidence: { see: 'postgres.connect', fact: 'postgres.server' } });
    }
    expect(results.filter((r) => r.summary.includes('password authentication failed'))).toHaveLength(0);
    expect(results.filter((r) => (r.remediation ?? '').includes('check the password'))).toHaveLength(1);
  });

  it('without the owning check selected, the first check that hit the cause tells it', async () => {
    const server = { ok: false as const, reason: 'unreachable' as const, message: 'connection refused', durationMs: 1 };
    const src = new SnapshotFactSource({ 'postgres.server': server, 'postgres.connections': { ...server, causedBy: 'postgres.server' }, 'postgres.listen-notify': { ...server, causedBy: 'postgres.server' } });
    const results = await run([check('postgres.connections', pass, ['postgres.connections']), check('postgres.listen-notify', pass, ['postgres.listen-notify'])], src);
    expect(results[0]).toMatchObject({ status: 'error', summary: 'Could not gather postgres.connections: connection refused' });
    expect(results[1]).toMatchObject({ status: 'error', summary: /^Not evaluated: postgres\.server was unreachable — see postgres\.connections$/ });
  });

  it('rejects an invalid status, and gives a warn/fail without remediation the explain pointer', async () => {
    const facts = store({ 'kubernetes.version': okKube({ n: 0 }) });
    const [odd, bare] = await run([check('kubernetes.odd', () => ({ status: 'ok' as never, summary: 'x' })), check('kubernetes.bare', () => ({ status: 'warn', summary: 'hm' }))], facts);
    expect(odd!.status).toBe('error');
    expect(bare).toMatchObject({ status: 'warn', remediation: 'coder-preflight explain kubernetes.bare says how to fix it' });
  });

  it('reports not-evaluated checks as error when the run is aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    const slow = defineCollector({ id: 'kubernetes.version', timeoutMs: 5000, collect: () => new Promise<KubeVersionFact>((r) => setTimeout(() => r(kubeFact), 1000).unref()) });
    const facts = store({ 'kubernetes.version': slow }, ac.signal);
    const [r] = await run([check('kubernetes.x', pass)], facts);
    expect(r!.status).toBe('error');
    expect(await facts.get('kubernetes.version')).toMatchObject({ ok: false, reason: 'aborted' });
  });
});

describe('check options', () => {
  const withDefaults = check('postgres.sized', (_f, { options }) => ({ status: 'pass', summary: `min ${String(options.min)}`, evidence: { min: options.min as number } }), ['postgres.server'], {
    defaults: { baseline: { min: 11, strict: true, source: 'the seeds' }, v2: { min: 13, source: 'cli/server.go' } },
  });
  const server = new SnapshotFactSource({ 'postgres.server': { ok: true, value: {}, durationMs: 1 } });

  it('takes the profile\'s defaults over the baseline, each with its source, and says which applied', async () => {
    expect(resolveOptions(withDefaults, BASELINE_PROFILE)).toEqual({ min: 11, strict: true, source: 'the seeds' });
    expect(resolveOptions(withDefaults, { name: 'v2', source: 't' })).toEqual({ min: 13, strict: true, source: 'cli/server.go' });
    expect(resolveOptions(withDefaults, { name: 'v1', source: 't' })).toEqual({ min: 11, strict: true, source: 'the seeds' });
    const [r] = await run([withDefaults], server, { name: 'v2', source: 't' });
    expect(r).toMatchObject({ summary: 'min 13', threshold: { value: 'min=13, strict=true', source: 'cli/server.go' } });
  });

  it('applies a config override and names the file and the default it replaced', async () => {
    const overrides = { file: 'preflight.yaml', byCheck: { 'postgres.sized': { min: 15 } } };
    validateOverrides([withDefaults], overrides);
    const [r] = await run([withDefaults], server, BASELINE_PROFILE, overrides);
    expect(r).toMatchObject({ summary: 'min 15', threshold: { source: 'preflight.yaml: thresholds.postgres.sized sets min=15 (default: the seeds)' } });
  });

  it('refuses an override of an unknown check, an unknown option or a wrong type, naming the key and the file', () => {
    const bad = (byCheck: Record<string, Record<string, unknown>>) => () => validateOverrides([withDefaults, check('kubernetes.plain', pass)], { file: 'p.yaml', byCheck: byCheck as never });
    expect(bad({ 'postgres.size': { min: 1 } })).toThrow(/^p\.yaml: thresholds\.postgres\.size: no check has that id$/);
    expect(bad({ 'postgres.sized': { mni: 1 } })).toThrow(/p\.yaml: thresholds\.postgres\.sized\.mni is not an option of postgres\.sized/);
    expect(bad({ 'postgres.sized': { min: '13' } })).toThrow(/thresholds\.postgres\.sized\.min must be a number, not string/);
    expect(bad({ 'kubernetes.plain': { x: 1 } })).toThrow(/this check has no thresholds/);
    try {
      bad({ 'postgres.sized': { mni: 1 } })();
    } catch (e) {
      expect((e as ConfigError).hint).toBe('did you mean min?');
    }
  });

  it('refuses defaults that a profile sets but the baseline lacks', () => {
    expect(() => check('postgres.odd', pass, ['postgres.server'], { defaults: { baseline: { a: 1, source: 's' }, v2: { b: 2, source: 's' } } as never })).toThrow(/defaults\.v2\.b is not in defaults\.baseline/);
  });
});

describe('defineCheck', () => {
  it('takes <category>.<name> and <plugin>/<category>.<name>, and nothing else', () => {
    expect(pluginOf(check('acme/postgres.region', pass).id)).toBe('acme');
    expect(pluginOf(check('postgres.region', pass).id)).toBeUndefined();
    expect(() => check('Postgres.x', pass)).toThrow(/bad check id/);
    expect(() => defineCheck({ ...check('postgres.x', pass), category: 'kubernetes' })).toThrow(/category "kubernetes" must be the part before the first dot/);
  });
});

describe('selectChecks', () => {
  const all = ['postgres.connect', 'postgres.version', 'kubernetes.api', 'storage.default-class', 'acme/postgres.region'].map((id) => check(id, pass));
  const ids = (l: AnyCheck[]) => l.map((c) => c.id);

  it('selects by id, glob, category and plugin name, and skips likewise', () => {
    expect(ids(selectChecks(all))).toHaveLength(5);
    expect(ids(selectChecks(all, ['postgres']))).toEqual(['postgres.connect', 'postgres.version', 'acme/postgres.region']);
    expect(ids(selectChecks(all, ['postgres.v*']))).toEqual(['postgres.version']);
    expect(ids(selectChecks(all, ['kubernetes.api,storage.default-class']))).toEqual(['kubernetes.api', 'storage.default-class']);
    expect(ids(selectChecks(all, [], ['postgres.*', 'acme']))).toEqual(['kubernetes.api', 'storage.default-class']);
    expect(ids(selectChecks(all, ['postgres'], ['postgres.connect']))).toEqual(['postgres.version', 'acme/postgres.region']);
    expect(ids(selectChecks(all, ['acme']))).toEqual(['acme/postgres.region']);
  });

  it('rejects an unknown id with a suggestion, and an empty selection', () => {
    expect(() => selectChecks(all, ['postgres.conect'])).toThrow(ConfigError);
    expect(() => selectChecks(all, ['postgres.conect'])).toThrow(/no check matches "postgres.conect"/);
    try {
      selectChecks(all, ['postgres.conect']);
    } catch (e) {
      expect((e as ConfigError).hint).toMatch(/^did you mean postgres\.connect\?/);
    }
    expect(() => selectChecks(all, ['postgres'], ['postgres'])).toThrow(/leaves no check/);
  });
});

describe('helpers', () => {
  it('suggest: near misses by edit distance, and containment', () => {
    expect(suggest('postgres.conect', ['postgres.connect', 'postgres.version', 'kubernetes.api'])).toEqual(['postgres.connect']);
    expect(suggest('failon', ['failOn', 'plugins', 'check'])).toEqual(['failOn']);
    expect(suggest('zzzz', ['postgres.connect'])).toEqual([]);
  });
  it('withDeadline: the work, a timeout value or error, or the abort', async () => {
    expect(await withDeadline(Promise.resolve(1), { ms: 1000, onTimeout: () => 2 })).toBe(1);
    expect(await withDeadline(new Promise<number>(() => {}), { ms: 5, onTimeout: () => 2 })).toBe(2);
    await expect(withDeadline(new Promise<number>(() => {}), { ms: 5, onTimeout: () => new Error('late') })).rejects.toThrow('late');
    const ac = new AbortController();
    const p = withDeadline(new Promise<number>(() => {}), { ms: 10_000, onTimeout: () => 2, signal: ac.signal, onAbort: () => new Error('stopped') });
    ac.abort();
    await expect(p).rejects.toThrow('stopped');
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
