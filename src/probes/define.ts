// A probe is a fact: one file in src/facts/probe/ made with defineProbe. Its collector does
// nothing unless the run selected the probe (--active / --probe <name>); then it asks the API
// server, before creating anything, whether this user may create what the probe creates
// (SelfSubjectAccessReviews), and only then runs it through the run's ProbeSession. The fact is
// plain JSON either way (not selected, forbidden, or what was measured), so --save-facts and
// --from-facts replay it like any other.
import { randomBytes } from 'node:crypto';
import { describeAccess, ruleFor, type AccessQuestion } from '../kubernetes/access.ts';
import { withKube } from '../kubernetes/with-kube.ts';
import { attachmentsFor } from '../bundle/attachments.ts';
import type { Collector, CollectContext } from '../facts/collector.ts';
import type { FactId, FactMap } from '../facts/types.ts';
import type { CollectorRegistry } from '../facts/store.ts';
import { namespaceNeeds, type KubeApi, type ProbeSession } from './session.ts';

declare module '../inputs/resolve.ts' {
  interface Target {
    /** The run's probes (run.ts sets it when --active/--probe selects any). */
    probes?: ProbeSession;
  }
}

export interface ProbeNotSelected {
  state: 'not-selected';
  probe: string;
  proves: string;
}

export interface ProbeForbidden {
  state: 'forbidden';
  probe: string;
  proves: string;
  /** "create namespaces (cluster-wide)", … */
  missing: string[];
  /** The rules that would grant them, one per API group. */
  rules: string[];
}

export interface ProbeRan {
  state: 'ran';
  probe: string;
  runId: string;
  namespace: string;
  image: string;
  durationMs: number;
}

export type ProbeFact<R> = ProbeNotSelected | ProbeForbidden | (ProbeRan & R);

/** What a probe's run() gets. */
export interface ProbeContext {
  session: ProbeSession;
  api: KubeApi;
  collect: CollectContext;
  signal: AbortSignal;
  /** A fresh random token (pod names, nonces the agent must echo). */
  nonce(): string;
  /** Time left for this probe, ms. */
  budgetMs(): number;
  /** activeDeadlineSeconds for its pods: the run's time left, plus the disposer's. */
  podDeadlineSeconds(): number;
}

export interface ProbeInfo {
  name: string;
  fact: string;
  proves: string;
}

type RanValue<K extends FactId> = Extract<FactMap[K], { state: 'ran' }>;

export interface ProbeDefinition<K extends FactId> {
  /** --probe <name> */
  name: string;
  fact: K;
  /** What it proves, to finish "the probe would prove …" (lower case, no final period). */
  proves: string;
  /** What it creates or reads besides the layer's own (the namespace, the agent's ConfigMap, pods); in `namespace` unless cluster-scoped. */
  needs(namespace: string, ctx: CollectContext): AccessQuestion[];
  run(p: ProbeContext): Promise<Omit<RanValue<K>, keyof ProbeRan>>;
}

export type ProbeCollector<K extends FactId = FactId> = Collector<K> & { probe: ProbeInfo };

/**
 * The rules that would grant `missing`: one per API group and set of verbs (so nothing more than
 * asked is granted), without resourceNames (the scratch namespace is new each run: a ClusterRole).
 */
export function rulesFor(missing: readonly AccessQuestion[]): string[] {
  const verbsOf = new Map<string, Set<string>>();
  for (const q of missing) {
    const k = JSON.stringify([q.group, q.resource]);
    if (!verbsOf.has(k)) verbsOf.set(k, new Set());
    verbsOf.get(k)!.add(q.verb);
  }
  const rules = new Map<string, AccessQuestion[]>();
  for (const [k, verbs] of verbsOf) {
    const [group, resource] = JSON.parse(k) as [string, string];
    const key = JSON.stringify([group, [...verbs].sort()]);
    if (!rules.has(key)) rules.set(key, []);
    for (const verb of [...verbs].sort()) rules.get(key)!.push({ verb, group, resource, namespace: '' });
  }
  return [...rules.values()].map((qs) => ruleFor(qs));
}

export function defineProbe<K extends FactId>(def: ProbeDefinition<K>): ProbeCollector<K> {
  if (!/^[a-z][a-z0-9-]*$/.test(def.name)) throw new Error(`bad probe name ${def.name}`);
  return {
    id: def.fact,
    // The run's --timeout bounds a probe (the session's deadline); this is only a backstop.
    timeoutMs: 600_000,
    probe: { name: def.name, fact: def.fact, proves: def.proves },
    async collect(ctx): Promise<FactMap[K]> {
      const session = ctx.target.probes;
      if (!session?.selected(def.name)) return { state: 'not-selected', probe: def.name, proves: def.proves } as FactMap[K];
      return withKube(ctx, `run the ${def.name} probe`, async (k8s, kc) => {
        const api = session.connect(k8s, kc);
        // What the probes did goes into a support bundle (--bundle): objects created and removed, each probe's result.
        const attachments = await attachmentsFor(ctx.resources);
        session.record(attachments);
        const ns = session.namespace;
        const secret = session.settings.pullSecret;
        const qs: AccessQuestion[] = [
          ...namespaceNeeds(ns),
          ...(secret
            ? [
                { verb: 'get', group: '', resource: 'secrets', namespace: secret.namespace, name: secret.name },
                { verb: 'create', group: '', resource: 'secrets', namespace: ns },
              ]
            : []),
          ...def.needs(ns, ctx),
        ];
        const answers = await session.allowed(qs);
        const missing = answers.filter((a) => !a.allowed);
        if (missing.length) return { state: 'forbidden', probe: def.name, proves: def.proves, missing: missing.map(describeAccess), rules: rulesFor(missing) } as FactMap[K];
        const started = Date.now();
        await session.prepare();
        const result = await def.run({
          session,
          api,
          collect: ctx,
          signal: ctx.signal,
          nonce: () => randomBytes(6).toString('hex'),
          budgetMs: () => session.remainingMs(),
          podDeadlineSeconds: () => Math.ceil((session.remainingMs(0) + 60_000) / 1000),
        });
        const value = { state: 'ran', probe: def.name, runId: session.runId, namespace: ns, image: session.settings.image, durationMs: Date.now() - started, ...result };
        attachments.addEvent({ event: 'probe-finished', probe: def.name, durationMs: value.durationMs });
        attachments.addFile(`${def.name}/result.json`, `${JSON.stringify(value, null, 2)}\n`);
        return value as unknown as FactMap[K];
      });
    },
  };
}

export const isProbe = (c: Collector): c is ProbeCollector => typeof (c as Partial<ProbeCollector>).probe?.name === 'string';

/** Every probe of the registry (built-in and plugins'), in registry order. */
export function probesOf(collectors: CollectorRegistry): ProbeInfo[] {
  return Object.values(collectors).filter(isProbe).map((c) => c.probe);
}
