// One run's probes: its id, its scratch namespace `coder-preflight-<run id>`, every object it
// creates (labelled with the tool and the run), the access questions asked before creating
// anything, and the one disposer that removes it all — at the end of the run, after Ctrl-C/SIGTERM
// or --timeout (run.ts calls dispose() from its close()), and after a probe throws (the same
// close()). This is the only code that writes to a cluster: probes create through create().
import { hostname } from 'node:os';
import type { CoreV1Api, KubeConfig, KubernetesObject, KubernetesObjectApi } from '@kubernetes/client-node';
import { selfAccess, type AccessAnswer, type AccessQuestion } from '../kubernetes/access.ts';
import { classifyKubeError, type K8sModule } from '../kubernetes/client.ts';
import { ClassifiedError } from '../errors.ts';
import { VERSION } from '../version.ts';
import type { ProbeAttachments } from '../bundle/attachments.ts';
import { agentSource } from './agent-source.ts';
import { AGENT_CONFIGMAP, AGENT_KEY, EXPIRES_KEY, newRunId, runLabels, scratchNamespace, STARTED_BY_KEY } from './labels.ts';
import type { ProbeSettings } from './settings.ts';

export interface KubeApi {
  k8s: K8sModule;
  kc: KubeConfig;
  core: CoreV1Api;
  objects: KubernetesObjectApi;
}

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

export interface DisposeReport {
  namespace: string;
  /** What was removed ("namespace coder-preflight-x", "PersistentVolume pvc-…"). */
  removed: string[];
  /** What is still there when the disposer gave up (cleanup removes it later). */
  left: string[];
  ms: number;
}

export interface SessionOptions {
  settings: ProbeSettings;
  runId?: string;
  /** The run's --timeout: probes return within it, the disposer runs after it. */
  timeoutMs: number;
  /** How long the disposer waits for the namespace and the volumes to be gone (default 45 s). */
  disposeMs?: number;
  /** Lines for --debug. */
  debug?: (line: string) => void;
  /** Lines the user must see (what was left behind). */
  warn?: (line: string) => void;
  /** The agent script (default: the bundled dist/probe-agent.mjs). */
  agent?: () => string;
}

const ref = (o: ObjectRef) => `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`;
const statusOf = (e: unknown) => classifyKubeError(e).status ?? (e as { code?: number }).code;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The namespace questions every probe needs: the disposer deletes it and watches it go. */
export function namespaceNeeds(namespace: string): AccessQuestion[] {
  return [
    { verb: 'create', group: '', resource: 'namespaces', namespace: '' },
    { verb: 'delete', group: '', resource: 'namespaces', namespace: '', name: namespace },
    { verb: 'get', group: '', resource: 'namespaces', namespace: '', name: namespace },
    { verb: 'create', group: '', resource: 'configmaps', namespace },
    { verb: 'create', group: '', resource: 'pods', namespace },
    { verb: 'get', group: '', resource: 'pods', namespace },
  ];
}

export class ProbeSession {
  readonly runId: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly settings: ProbeSettings;
  readonly startedAt = Date.now();
  /** Probes must have returned by then (epoch ms): the run's abort comes right after. */
  readonly deadline: number;
  private readonly opts: SessionOptions;
  private api?: KubeApi;
  private closing = false;
  private readonly inflight = new Set<Promise<unknown>>();
  /** Objects created outside the scratch namespace (recorded before they are created). */
  private readonly outside: ObjectRef[] = [];
  /** Pods and claims in the scratch namespace: removed first, so the namespace goes faster. */
  private readonly inside: ObjectRef[] = [];
  private prepared?: Promise<void>;
  private namespaceAsked = false;
  private readonly access = new Map<string, Promise<AccessAnswer>>();
  private readonly agents = new Map<string, Promise<string>>();
  private disposing?: Promise<DisposeReport>;
  private attachments?: ProbeAttachments;
  private disposed = false;
  private readonly onExit = () => {
    if (this.namespaceAsked && !this.disposed) {
      process.stderr.write(`coder-preflight: quit before the probes were cleaned up: namespace ${this.namespace} (label ${Object.entries(this.labels).map(([k, v]) => `${k}=${v}`).join(',')}) may remain; run coder-preflight cleanup\n`);
    }
  };

  constructor(o: SessionOptions) {
    this.opts = o;
    this.settings = o.settings;
    this.runId = o.runId ?? newRunId();
    this.namespace = scratchNamespace(this.runId);
    this.labels = runLabels(this.runId);
    this.deadline = this.startedAt + o.timeoutMs - 500;
  }

  selected(probe: string): boolean {
    return this.settings.selected.includes(probe);
  }

  /** Time left for probe work, ms, keeping `reserveMs` to report before the run's deadline. */
  remainingMs(reserveMs = 1000): number {
    return Math.max(0, this.deadline - Date.now() - reserveMs);
  }

  get isClosing(): boolean {
    return this.closing;
  }

  /** The clients of this run (the first probe's connection is every probe's). */
  connect(k8s: K8sModule, kc: KubeConfig): KubeApi {
    this.api ??= { k8s, kc, core: kc.makeApiClient(k8s.CoreV1Api), objects: k8s.KubernetesObjectApi.makeApiClient(kc) };
    return this.api;
  }

  private need(): KubeApi {
    if (!this.api) throw new Error('probe session used before connect()');
    return this.api;
  }

  /** Where the objects created and removed are recorded for the support bundle. */
  record(a: ProbeAttachments): void {
    this.attachments ??= a;
  }

  /** SelfSubjectAccessReviews, each question asked once per run. */
  async allowed(qs: readonly AccessQuestion[]): Promise<AccessAnswer[]> {
    const api = this.need();
    return Promise.all(
      qs.map((q) => {
        const key = `${q.verb}|${q.group}|${q.resource}|${q.namespace}|${q.name ?? ''}`;
        let p = this.access.get(key);
        if (!p) {
          p = selfAccess(api.k8s, api.kc, [q]).then((a) => a[0]!);
          this.access.set(key, p);
        }
        return p;
      }),
    );
  }

  /** The scratch namespace, the agent's ConfigMap and the pull Secret, once per run. */
  prepare(): Promise<void> {
    this.prepared ??= this.doPrepare();
    return this.prepared;
  }

  private async doPrepare(): Promise<void> {
    const api = this.need();
    if (this.closing) throw new ClassifiedError('aborted', 'the run is ending: no probe started');
    this.namespaceAsked = true;
    process.once('exit', this.onExit);
    const expires = new Date(this.startedAt + this.opts.timeoutMs + (this.opts.disposeMs ?? 45_000) + 60_000).toISOString();
    await this.create({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: this.namespace,
        // The probe pods are made to pass the restricted Pod Security Standard; the namespace enforces it.
        labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' },
        annotations: { [EXPIRES_KEY]: expires, [STARTED_BY_KEY]: `coder-preflight ${VERSION} on ${hostname()}` },
      },
    });
    const agent = (this.opts.agent ?? agentSource)();
    const secret = this.settings.pullSecret;
    await Promise.all([
      this.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: AGENT_CONFIGMAP }, data: { [AGENT_KEY]: agent } } as KubernetesObject),
      secret
        ? api.core.readNamespacedSecret({ namespace: secret.namespace, name: secret.name }).then((s) =>
            this.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: secret.name }, type: s.type, data: s.data ?? {} } as KubernetesObject),
          )
        : undefined,
    ]);
    this.opts.debug?.(`probes: namespace ${this.namespace} ready (+${Date.now() - this.startedAt} ms)`);
  }

  /**
   * Where a probe pod that stands for `namespace` (a workspace namespace, Coder's) runs: there, when
   * it exists and this user may create the pod and the agent's ConfigMap in it; else in the scratch
   * namespace, with the reason (the result says it was not walked from there).
   */
  async placeIn(namespace: string): Promise<{ namespace: string; fallback?: string }> {
    const api = this.need();
    try {
      await api.core.readNamespace({ name: namespace });
    } catch (e) {
      const code = statusOf(e);
      return { namespace: this.namespace, fallback: code === 404 ? `namespace ${namespace} does not exist yet` : `namespace ${namespace} could not be read (${code ?? (e as Error).message})` };
    }
    const answers = await this.allowed([
      { verb: 'create', group: '', resource: 'pods', namespace },
      { verb: 'get', group: '', resource: 'pods', namespace },
      { verb: 'create', group: '', resource: 'configmaps', namespace },
    ]);
    const no = answers.filter((a) => !a.allowed);
    return no.length ? { namespace: this.namespace, fallback: `this user may not ${no.map((a) => `${a.verb} ${a.resource}`).join(', ')} in ${namespace}` } : { namespace };
  }

  /**
   * The agent's ConfigMap in another namespace (a pod mounts ConfigMaps of its own namespace only),
   * created once per namespace and removed by the disposer with the run's other objects there.
   */
  agentIn(namespace: string): Promise<string> {
    if (namespace === this.namespace) return this.prepare().then(() => AGENT_CONFIGMAP);
    let p = this.agents.get(namespace);
    if (!p) {
      const name = `${AGENT_CONFIGMAP}-${this.runId}`;
      p = this.prepare().then(() => this.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data: { [AGENT_KEY]: (this.opts.agent ?? agentSource)() } } as KubernetesObject).then(() => name));
      this.agents.set(namespace, p);
    }
    return p;
  }

  /**
   * Create an object labelled with the tool and the run, in the scratch namespace unless it names
   * another (then it is recorded for the disposer before it is created). Refused once the run ends.
   */
  async create<T extends KubernetesObject>(obj: T): Promise<T> {
    if (this.closing) throw new ClassifiedError('aborted', 'the run is ending: no new probe objects');
    const api = this.need();
    const md = obj.metadata ?? {};
    const body = { ...obj, metadata: { ...md, labels: { ...(md.labels ?? {}), ...this.labels } } } as T;
    if (obj.kind !== 'Namespace' && !md.namespace) body.metadata!.namespace = this.namespace;
    const where = body.metadata!.namespace;
    const r: ObjectRef = { apiVersion: obj.apiVersion!, kind: obj.kind!, namespace: where, name: md.name! };
    if (obj.kind !== 'Namespace' && where !== this.namespace) this.outside.push(r);
    else if (obj.kind === 'Pod' || obj.kind === 'PersistentVolumeClaim') this.inside.push(r);
    const p = this.retryingServiceAccount(() => api.objects.create(body) as Promise<T>);
    this.attachments?.addEvent({ event: 'create', kind: r.kind, ...(r.namespace ? { namespace: r.namespace } : {}), name: r.name });
    this.inflight.add(p);
    p.then(
      () => this.inflight.delete(p),
      () => this.inflight.delete(p),
    );
    return p;
  }

  /**
   * A new namespace's `default` ServiceAccount comes a moment after the namespace; until then the
   * ServiceAccount admission plugin refuses pods ("serviceaccount default not found"). Retry that only.
   */
  private async retryingServiceAccount<T>(fn: () => Promise<T>): Promise<T> {
    const until = Date.now() + 15_000;
    for (;;) {
      try {
        return await fn();
      } catch (e) {
        const msg = String((e as { body?: unknown }).body ?? (e as Error).message);
        if (statusOf(e) === 403 && /serviceaccount/i.test(msg) && /not found/i.test(msg) && Date.now() < until && !this.closing) {
          await sleep(100);
          continue;
        }
        throw e;
      }
    }
  }

  /** Remove everything this run created and wait (bounded) until it is gone. Idempotent. */
  dispose(): Promise<DisposeReport> {
    this.disposing ??= this.doDispose();
    return this.disposing;
  }

  private async doDispose(): Promise<DisposeReport> {
    const started = Date.now();
    this.closing = true;
    const report: DisposeReport = { namespace: this.namespace, removed: [], left: [], ms: 0 };
    const api = this.api;
    if (!api || !this.namespaceAsked) {
      this.disposed = true;
      return report;
    }
    // A create whose answer has not come yet may still happen: wait for them (bounded) first.
    await Promise.race([Promise.allSettled([...this.inflight]), sleep(10_000)]);
    const limit = started + (this.opts.disposeMs ?? 45_000);
    const gone = (e: unknown) => statusOf(e) === 404;
    for (const o of this.outside) {
      try {
        await api.objects.delete({ apiVersion: o.apiVersion, kind: o.kind, metadata: { name: o.name, namespace: o.namespace } }, undefined, undefined, 0, undefined, 'Background');
        report.removed.push(ref(o));
      } catch (e) {
        if (gone(e)) report.removed.push(ref(o));
        else report.left.push(`${ref(o)} (${classifyKubeError(e).message})`);
      }
    }
    // Pods at once (grace 0: they are our agents, nothing to drain), which frees their claims from
    // the pvc-protection finalizer; then the claims; then the namespace, which has little left to do.
    // Deleting them needs no more than the namespace does; should it be refused, the namespace takes them.
    const now = (o: ObjectRef) => api.objects.delete({ apiVersion: o.apiVersion, kind: o.kind, metadata: { name: o.name, namespace: o.namespace } }, undefined, undefined, 0, undefined, 'Background').catch(() => undefined);
    await Promise.all(this.inside.filter((o) => o.kind === 'Pod').map(now));
    await Promise.all(this.inside.filter((o) => o.kind !== 'Pod').map(now));
    this.opts.debug?.(`probes: pods and claims deleted (+${Date.now() - started} ms)`);
    let nsGone = false;
    try {
      await api.core.deleteNamespace({ name: this.namespace, propagationPolicy: 'Background' });
    } catch (e) {
      if (gone(e)) nsGone = true;
      else report.left.push(`namespace ${this.namespace} (${classifyKubeError(e).message})`);
    }
    // Wait until the namespace (with its pods and claims) and the volumes its claims had are gone.
    let volumes: string[] = [];
    let canListVolumes = true;
    const retained = new Set<string>();
    const ourVolumes = async (): Promise<string[]> => {
      if (!canListVolumes) return [];
      try {
        const pvs = await api.core.listPersistentVolume();
        const ours = pvs.items.filter((pv) => pv.spec?.claimRef?.namespace === this.namespace);
        // A volume its class retains stays Released for good: nothing to wait for (cleanup lists it).
        for (const pv of ours) if (pv.spec?.persistentVolumeReclaimPolicy === 'Retain') retained.add(pv.metadata?.name ?? '');
        return ours.map((pv) => pv.metadata?.name ?? '').filter((n) => !retained.has(n));
      } catch {
        canListVolumes = false;
        return [];
      }
    };
    const seenVolumes = new Set<string>();
    let nsGoneAt = 0;
    for (;;) {
      if (!nsGone) {
        try {
          await api.core.readNamespace({ name: this.namespace });
        } catch (e) {
          if (gone(e)) nsGone = true;
        }
      }
      volumes = await ourVolumes();
      for (const v of volumes) seenVolumes.add(v);
      if (nsGone && !nsGoneAt) {
        nsGoneAt = Date.now() - started;
        this.opts.debug?.(`probes: namespace gone (+${nsGoneAt} ms)`);
      }
      if ((nsGone && volumes.length === 0) || Date.now() > limit) break;
      await sleep(250);
    }
    if (nsGone) report.removed.push(`namespace ${this.namespace}`);
    else if (!report.left.some((l) => l.startsWith('namespace '))) report.left.push(`namespace ${this.namespace} (still terminating)`);
    for (const v of seenVolumes) (volumes.includes(v) ? report.left : report.removed).push(`PersistentVolume ${v}`);
    for (const v of retained) report.left.push(`PersistentVolume ${v} (reclaimPolicy Retain: its disk stays too)`);
    report.ms = Date.now() - started;
    this.attachments?.addEvent({ event: 'disposed', namespace: this.namespace, removed: report.removed, left: report.left, ms: report.ms });
    this.disposed = true;
    process.off('exit', this.onExit);
    this.opts.debug?.(`probes: removed ${report.removed.join(', ') || 'nothing'} in ${report.ms} ms`);
    if (report.left.length) this.opts.warn?.(`coder-preflight: the probes could not remove everything within ${Math.round((this.opts.disposeMs ?? 45_000) / 1000)} s: ${report.left.join('; ')}; run coder-preflight cleanup later`);
    return report;
  }
}
