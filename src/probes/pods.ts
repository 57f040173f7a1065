// Probe pods: their spec (restricted-PSA securityContext, requests/limits, a deadline, no service
// account token, the agent mounted from its ConfigMap, placed on the node group Coder would use),
// waiting for them, reading the agent's report back from the termination message, the node they
// landed on (a kwok node fakes pods: nothing ran there), and the events that say why not.
import type { V1Pod } from '@kubernetes/client-node';
import type { Placement, Toleration } from '../kubernetes/scheduling.ts';
import type { AgentReport } from './agent/report.ts';
import { AGENT_CONFIGMAP, AGENT_KEY, PROBE_KEY, ROLE_KEY } from './labels.ts';
import type { KubeApi, ProbeSession } from './session.ts';

/** The user the probe runs as (distroless "nonroot"; any non-zero uid passes the restricted profile). */
export const PROBE_UID = 65532;
export const AGENT_MOUNT = '/probe';

export interface ProbePodOptions {
  name: string;
  /** Another namespace than the scratch one (a workspace namespace, Coder's): session.agentIn() first. */
  namespace?: string;
  /** The agent's ConfigMap in that namespace (session.agentIn's answer). */
  agentConfigMap?: string;
  probe: string;
  role: string;
  mode: string;
  args: Record<string, unknown>;
  /** Where Coder's pods (or workspaces) would go; undefined: anywhere the scheduler likes. */
  placement?: Placement;
  /** Pin to this node (a client next to its server), keeping the placement's tolerations. */
  node?: string;
  volumes?: NonNullable<V1Pod['spec']>['volumes'];
  mounts?: { name: string; mountPath: string }[];
  /** A TCP port the kubelet checks for readiness (a server). */
  readinessPort?: number;
  /** A client that carries another workload's labels: never Ready, so no Service sends it traffic. */
  neverReady?: boolean;
  labels?: Record<string, string>;
  /** DNS search domains added after the pod's own (a bare Service name then resolves as in Coder's namespace). */
  dnsSearches?: string[];
  /** Seconds the pod may live at all (the kubelet kills it after). */
  deadlineSeconds: number;
}

function placementSpec(p: Placement | undefined, node: string | undefined): Partial<NonNullable<V1Pod['spec']>> {
  const tolerations: Toleration[] = p?.tolerations ?? [];
  if (node) {
    return {
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }] } } },
      ...(tolerations.length ? { tolerations: tolerations as never } : {}),
    };
  }
  if (!p) return {};
  return {
    ...(Object.keys(p.nodeSelector).length ? { nodeSelector: p.nodeSelector } : {}),
    ...(p.affinityTerms.length ? { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: p.affinityTerms.map((t) => ({ matchExpressions: t })) } } } } : {}),
    ...(tolerations.length ? { tolerations: tolerations as never } : {}),
  };
}

/** The pod spec of one probe pod (labels of the run are added by session.create). */
export function probePod(s: Pick<ProbeSession, 'namespace' | 'settings'>, o: ProbePodOptions): V1Pod {
  const secret = s.settings.pullSecret;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: o.name, namespace: o.namespace ?? s.namespace, labels: { [PROBE_KEY]: o.probe, [ROLE_KEY]: o.role, ...o.labels } },
    spec: {
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      activeDeadlineSeconds: Math.max(10, Math.ceil(o.deadlineSeconds)),
      terminationGracePeriodSeconds: 1,
      securityContext: { runAsNonRoot: true, runAsUser: PROBE_UID, runAsGroup: PROBE_UID, fsGroup: PROBE_UID, fsGroupChangePolicy: 'OnRootMismatch', seccompProfile: { type: 'RuntimeDefault' } },
      ...(secret ? { imagePullSecrets: [{ name: secret.name }] } : {}),
      ...placementSpec(o.placement, o.node),
      ...(o.dnsSearches?.length ? { dnsConfig: { searches: o.dnsSearches } } : {}),
      containers: [
        {
          name: 'probe',
          image: s.settings.image,
          imagePullPolicy: 'IfNotPresent',
          command: ['node', `${AGENT_MOUNT}/${AGENT_KEY}`, o.mode, JSON.stringify(o.args)],
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } },
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          ...(o.readinessPort
            ? { ports: [{ containerPort: o.readinessPort, protocol: 'TCP' }], readinessProbe: { tcpSocket: { port: o.readinessPort as never }, periodSeconds: 1, failureThreshold: 3, timeoutSeconds: 1 } }
            : o.neverReady
              ? { readinessProbe: { exec: { command: ['false'] }, periodSeconds: 300, failureThreshold: 1, timeoutSeconds: 1 } }
              : {}),
          volumeMounts: [{ name: 'agent', mountPath: AGENT_MOUNT, readOnly: true }, ...(o.mounts ?? [])],
        },
      ],
      volumes: [{ name: 'agent', configMap: { name: o.agentConfigMap ?? AGENT_CONFIGMAP, defaultMode: 0o444 } }, ...(o.volumes ?? [])],
    },
  };
}

/** What a pod looked like, in words (for inconclusive results). */
export function describePod(p: V1Pod | undefined): string {
  if (!p) return 'the pod was never seen';
  const st = p.status;
  const parts = [`phase ${st?.phase ?? 'unknown'}`];
  if (p.spec?.nodeName) parts.push(`on node ${p.spec.nodeName}`);
  const sched = st?.conditions?.find((c) => c.type === 'PodScheduled');
  if (sched?.status === 'False') parts.push(`not scheduled: ${sched.reason ?? ''}${sched.message ? ` (${sched.message})` : ''}`);
  const cs = st?.containerStatuses?.[0];
  if (cs?.state?.waiting) parts.push(`waiting: ${cs.state.waiting.reason ?? ''}${cs.state.waiting.message ? ` (${cs.state.waiting.message.slice(0, 200)})` : ''}`);
  if (cs?.state?.terminated) parts.push(`terminated: exit ${cs.state.terminated.exitCode}${cs.state.terminated.reason ? ` ${cs.state.terminated.reason}` : ''}`);
  if (st?.reason) parts.push(`${st.reason}${st.message ? `: ${st.message}` : ''}`);
  return parts.join(', ');
}

/** Waiting reasons after which the pod will not run the agent: stop waiting, say why. */
const HOPELESS = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull', 'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);

export const isReady = (p: V1Pod) => p.status?.phase === 'Running' && (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True') && !!p.status.podIP;
export const isFinished = (p: V1Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed' || !!p.status?.containerStatuses?.[0]?.state?.terminated;

export interface PodWait {
  pod?: V1Pod;
  /** The condition was met. */
  met: boolean;
  /** Why waiting stopped early (the pod cannot get there), if it did. */
  stuck?: string;
  ms: number;
}

/** Poll the pod until `until` holds, it cannot (image pull, config errors, ended early), the budget runs out or the run is aborted. */
export async function waitPod(api: KubeApi, namespace: string, name: string, until: (p: V1Pod) => boolean, o: { budgetMs: number; signal: AbortSignal; intervalMs?: number }): Promise<PodWait> {
  const t0 = Date.now();
  let pod: V1Pod | undefined;
  for (;;) {
    if (o.signal.aborted) throw o.signal.reason instanceof Error ? o.signal.reason : new Error('aborted');
    try {
      pod = await api.core.readNamespacedPod({ name, namespace });
    } catch (e) {
      if ((e as { code?: number }).code !== 404) throw e;
    }
    const ms = Date.now() - t0;
    if (pod && until(pod)) return { pod, met: true, ms };
    const waiting = pod?.status?.containerStatuses?.[0]?.state?.waiting?.reason;
    if (pod && waiting && HOPELESS.has(waiting)) return { pod, met: false, stuck: describePod(pod), ms };
    if (pod && isFinished(pod) && !until(pod)) return { pod, met: false, stuck: `the pod ended: ${describePod(pod)}`, ms };
    if (ms >= o.budgetMs) return { ...(pod ? { pod } : {}), met: false, ms };
    await new Promise((r) => setTimeout(r, Math.min(o.intervalMs ?? 200, Math.max(10, o.budgetMs - ms))));
  }
}

/** The agent's report from the pod's termination message, only if it carries our nonce. */
export function readReport<R>(pod: V1Pod, nonce: string): { report: AgentReport<R> } | { problem: string } {
  const t = pod.status?.containerStatuses?.[0]?.state?.terminated;
  if (!t) return { problem: `the agent has not finished (${describePod(pod)})` };
  const msg = (t.message ?? '').trim();
  if (!msg) return { problem: `the pod ended without a report (exit ${t.exitCode}${t.reason ? `, ${t.reason}` : ''})` };
  try {
    const r = JSON.parse(msg.split('\n').pop()!) as AgentReport<R>;
    if (r.nonce !== nonce) return { problem: 'the report in the pod\'s termination message is not from the agent this run started' };
    return { report: r };
  } catch {
    return { problem: `the pod's termination message is not the agent's report: ${JSON.stringify(msg.slice(0, 120))}` };
  }
}

export interface NodeSeen {
  name: string;
  /** A node whose pods are faked (kwok): nothing really runs there. */
  fake: boolean;
  why?: string;
  zone?: string;
  /** The node object could not be read (then `fake` is unknown, reported false, and the agent's report decides). */
  unreadable?: string;
}

/** kwok marks its nodes with this annotation; its docs' nodes also carry type=kwok. */
export const KWOK_ANNOTATION = 'kwok.x-k8s.io/node';

export async function nodeSeen(api: KubeApi, name: string): Promise<NodeSeen> {
  try {
    const n = await api.core.readNode({ name });
    const ann = n.metadata?.annotations ?? {};
    const labels = n.metadata?.labels ?? {};
    const zone = labels['topology.kubernetes.io/zone'];
    const why = ann[KWOK_ANNOTATION] !== undefined ? `annotation ${KWOK_ANNOTATION}=${ann[KWOK_ANNOTATION]}` : labels.type === 'kwok' ? 'label type=kwok' : (n.spec?.providerID ?? '').startsWith('kwok') ? `providerID ${n.spec?.providerID}` : undefined;
    return { name, fake: why !== undefined, ...(why ? { why } : {}), ...(zone ? { zone } : {}) };
  } catch (e) {
    return { name, fake: false, unreadable: String((e as { code?: number }).code ?? (e as Error).message) };
  }
}

/** The events of one object, Warning first, as "Warning FailedScheduling: …" lines (×count). */
export async function eventsOf(api: KubeApi, namespace: string, kind: string, name: string): Promise<string[]> {
  try {
    const list = await api.core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.kind=${kind},involvedObject.name=${name}` });
    return list.items
      .sort((a, b) => (a.type === b.type ? 0 : a.type === 'Warning' ? -1 : 1))
      .slice(0, 8)
      .map((e) => `${e.type ?? 'Normal'} ${e.reason ?? ''}: ${(e.message ?? '').trim().slice(0, 300)}${(e.count ?? 1) > 1 ? ` (×${e.count})` : ''}`);
  } catch (e) {
    return [`(the events of ${kind} ${name} could not be read: ${(e as { code?: number }).code ?? (e as Error).message})`];
  }
}

const nodes = new WeakMap<object, Map<string, Promise<NodeSeen>>>();
/** nodeSeen, once per node per run. */
function nodeOnce(session: object, api: KubeApi, name: string): Promise<NodeSeen> {
  let m = nodes.get(session);
  if (!m) nodes.set(session, (m = new Map()));
  let p = m.get(name);
  if (!p) m.set(name, (p = nodeSeen(api, name)));
  return p;
}

export interface PodRun<R> {
  pod?: V1Pod;
  node?: NodeSeen;
  report?: AgentReport<R>;
  /** Why there is no report from the agent (then the result is inconclusive). */
  problem?: string;
  ms: number;
}

/**
 * Create a probe pod and wait for what it must do: be scheduled (on a node that runs pods for
 * real), then `until` (default: finish, with the agent's report read back and its nonce checked).
 */
export async function runProbePod<R>(
  p: { session: ProbeSession; api: KubeApi; signal: AbortSignal },
  o: ProbePodOptions & { args: { nonce: string } },
  budgetMs: number,
  until: 'finished' | 'ready' = 'finished',
): Promise<PodRun<R>> {
  const t0 = Date.now();
  const left = () => Math.max(0, budgetMs - (Date.now() - t0));
  const ns = o.namespace ?? p.session.namespace;
  await p.session.create(probePod(p.session, o));
  const scheduled = await waitPod(p.api, ns, o.name, (x) => !!x.spec?.nodeName, { budgetMs: left(), signal: p.signal });
  if (!scheduled.met || !scheduled.pod) return { ...(scheduled.pod ? { pod: scheduled.pod } : {}), problem: scheduled.stuck ?? `pod ${o.name} was not scheduled within ${Math.round(budgetMs / 1000)} s (${describePod(scheduled.pod)})`, ms: Date.now() - t0 };
  const node = await nodeOnce(p.session, p.api, scheduled.pod.spec!.nodeName!);
  if (node.fake) return { pod: scheduled.pod, node, problem: `pod ${o.name} landed on node ${node.name}, which fakes pods (${node.why}): nothing ran there`, ms: Date.now() - t0 };
  const done = await waitPod(p.api, ns, o.name, until === 'ready' ? isReady : isFinished, { budgetMs: left(), signal: p.signal });
  const pod = done.pod ?? scheduled.pod;
  if (!done.met) return { pod, node, problem: done.stuck ?? `pod ${o.name} did not ${until === 'ready' ? 'become Ready' : 'finish'} within ${Math.round(budgetMs / 1000)} s (${describePod(pod)})`, ms: Date.now() - t0 };
  if (until === 'ready') return { pod, node, ms: Date.now() - t0 };
  const r = readReport<R>(pod, o.args.nonce);
  if ('problem' in r) return { pod, node, problem: `pod ${o.name}: ${r.problem}`, ms: Date.now() - t0 };
  return { pod, node, report: r.report, ms: Date.now() - t0 };
}

/** Why a probe pod's run gave no result: it never reported, or the agent reported a failure ("`what`: CODE: message"). */
export function runProblem(r: PodRun<unknown>, what: string): string | undefined {
  return r.problem ?? (r.report && !r.report.ok ? `${what}: ${r.report.error?.code}: ${r.report.error?.message}` : undefined);
}

/** Where a placement sends pods, in words. */
export function placementWords(p: Placement | undefined, what: string): string {
  if (!p) return `anywhere the scheduler puts it (no ${what} placement given)`;
  const sel = Object.entries(p.nodeSelector).map(([k, v]) => `${k}=${v}`);
  const aff = p.affinityTerms.map((t) => t.map((r) => `${r.key} ${r.operator}${r.values?.length ? ` ${r.values.join('|')}` : ''}`).join(' and '));
  return `${[...sel, ...aff].join(', ') || 'any node'}${p.tolerations.length ? ` with ${p.tolerations.length} toleration(s)` : ''} (${p.source})`;
}
