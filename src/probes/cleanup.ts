// Leftovers of earlier runs (killed with SIGKILL, a lost connection, a second Ctrl-C): every
// object with the tool's run label, cluster-wide — scratch namespaces, labelled objects in other
// namespaces, cluster-scoped ones — and the PersistentVolumes their claims left. Runs that may
// still be going (their namespace's expiry is ahead) are left alone and named.
import type { KubernetesObject, V1PersistentVolume } from '@kubernetes/client-node';
import { classifyKubeError } from '../kubernetes/client.ts';
import { EXPIRES_KEY, NAMESPACE_PREFIX, RUN_KEY, STARTED_BY_KEY, TOOL_SELECTOR } from './labels.ts';
import type { KubeApi } from './session.ts';

/** Kinds a probe may put outside its scratch namespace (namespaced), and cluster-scoped ones. */
const NAMESPACED: [string, string][] = [
  ['v1', 'Pod'],
  ['v1', 'ConfigMap'],
  ['v1', 'Secret'],
  ['v1', 'Service'],
  ['v1', 'PersistentVolumeClaim'],
  ['v1', 'ServiceAccount'],
  ['networking.k8s.io/v1', 'NetworkPolicy'],
  ['rbac.authorization.k8s.io/v1', 'Role'],
  ['rbac.authorization.k8s.io/v1', 'RoleBinding'],
];
const CLUSTER: [string, string][] = [
  ['v1', 'PersistentVolume'],
  ['rbac.authorization.k8s.io/v1', 'ClusterRole'],
  ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding'],
];

export interface Leftover {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  run?: string;
  /** Why it is a leftover, or why it is kept. */
  note?: string;
}

export interface CleanupResult {
  removed: Leftover[];
  /** Objects of runs that may still be going. */
  skipped: Leftover[];
  /** What could not be listed or removed, in words. */
  problems: string[];
  /** Namespaces and volumes still being deleted when the wait ended ("Namespace x", "PersistentVolume y"). */
  terminating: string[];
}

const show = (o: Leftover) => `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`;
export const describeLeftover = (o: Leftover) => `${show(o)}${o.run ? ` (run ${o.run})` : ''}${o.note ? `: ${o.note}` : ''}`;

export async function cleanupLeftovers(api: KubeApi, o: { now?: number; waitMs?: number } = {}): Promise<CleanupResult> {
  const now = o.now ?? Date.now();
  const res: CleanupResult = { removed: [], skipped: [], problems: [], terminating: [] };
  const del = async (x: Leftover) => {
    try {
      await api.objects.delete({ apiVersion: x.apiVersion, kind: x.kind, metadata: { name: x.name, ...(x.namespace ? { namespace: x.namespace } : {}) } }, undefined, undefined, undefined, undefined, 'Background');
      res.removed.push(x);
    } catch (e) {
      const c = classifyKubeError(e);
      if (c.status === 404) res.removed.push(x);
      else res.problems.push(`could not remove ${show(x)}: ${c.message}`);
    }
  };

  // 1. Scratch namespaces (everything in them goes with them).
  const live = new Set<string>();
  const doomed = new Set<string>();
  try {
    const list = await api.core.listNamespace({ labelSelector: TOOL_SELECTOR });
    for (const ns of list.items) {
      const name = ns.metadata?.name ?? '';
      const run = ns.metadata?.labels?.[RUN_KEY];
      const expires = Date.parse(ns.metadata?.annotations?.[EXPIRES_KEY] ?? '');
      const by = ns.metadata?.annotations?.[STARTED_BY_KEY];
      const x: Leftover = { apiVersion: 'v1', kind: 'Namespace', name, ...(run ? { run } : {}) };
      if (Number.isFinite(expires) && expires > now) {
        live.add(name);
        res.skipped.push({ ...x, note: `its run may still be going (until ${new Date(expires).toISOString()}${by ? `, ${by}` : ''}); run cleanup again after that` });
        continue;
      }
      doomed.add(name);
      await del({ ...x, ...(by ? { note: `started by ${by}${ns.metadata?.creationTimestamp ? ` at ${new Date(ns.metadata.creationTimestamp).toISOString()}` : ''}` } : {}) });
    }
  } catch (e) {
    res.problems.push(`could not list namespaces: ${classifyKubeError(e).message}`);
  }
  const runsLive = new Set(res.skipped.map((x) => x.run).filter(Boolean));
  /** Volumes left to their provisioner to delete (waited for below). */
  const handed = new Set<string>();

  // 2. Labelled objects elsewhere (inside a doomed namespace they go with it; a live run's stay).
  const byKind = async (apiVersion: string, kind: string, each: (o: KubernetesObject) => Promise<void>) => {
    try {
      const list = await api.objects.list(apiVersion, kind, undefined, undefined, undefined, undefined, undefined, TOOL_SELECTOR);
      for (const item of list.items) await each(item);
    } catch (e) {
      res.problems.push(`could not list ${kind}s: ${classifyKubeError(e).message}`);
    }
  };
  for (const [apiVersion, kind] of NAMESPACED) {
    await byKind(apiVersion, kind, async (item) => {
      const ns = item.metadata?.namespace ?? '';
      const run = item.metadata?.labels?.[RUN_KEY];
      if (doomed.has(ns)) return;
      const x: Leftover = { apiVersion, kind, namespace: ns, name: item.metadata?.name ?? '', ...(run ? { run } : {}) };
      if (live.has(ns) || (run && runsLive.has(run))) res.skipped.push({ ...x, note: 'its run may still be going' });
      else await del(x);
    });
  }

  // 3. Cluster-scoped: labelled ones, and the volumes of claims that were in a scratch namespace.
  for (const [apiVersion, kind] of CLUSTER) {
    if (kind === 'PersistentVolume') continue;
    await byKind(apiVersion, kind, async (item) => {
      const run = item.metadata?.labels?.[RUN_KEY];
      const x: Leftover = { apiVersion, kind, name: item.metadata?.name ?? '', ...(run ? { run } : {}) };
      if (run && runsLive.has(run)) res.skipped.push({ ...x, note: 'its run may still be going' });
      else await del(x);
    });
  }
  try {
    const pvs = await api.core.listPersistentVolume();
    for (const pv of pvs.items) await volume(api, pv, { doomed, live, runsLive }, res, del, handed);
  } catch (e) {
    res.problems.push(`could not list persistentvolumes: ${classifyKubeError(e).message}`);
  }

  // 4. Wait (bounded) for the namespaces and the volumes handed to their provisioners to be gone, so "removed" means gone.
  const until = now + (o.waitMs ?? 60_000);
  let pending: [string, () => Promise<unknown>][] = [
    ...[...doomed].map((name): [string, () => Promise<unknown>] => [`Namespace ${name}`, () => api.core.readNamespace({ name })]),
    ...[...handed].map((name): [string, () => Promise<unknown>] => [`PersistentVolume ${name}`, () => api.core.readPersistentVolume({ name })]),
  ];
  while (pending.length && Date.now() < until) {
    const still: typeof pending = [];
    for (const p of pending) {
      try {
        await p[1]();
        still.push(p);
      } catch {
        /* gone */
      }
    }
    pending = still;
    if (pending.length) await new Promise((r) => setTimeout(r, 250));
  }
  res.terminating = pending.map((p) => p[0]);
  return res;
}

/** A volume left by a probe's claim: Retain ones are handed to their provisioner (reclaim Delete), released ones deleted. */
async function volume(api: KubeApi, pv: V1PersistentVolume, scope: { doomed: Set<string>; live: Set<string>; runsLive: Set<string | undefined> }, res: CleanupResult, del: (x: Leftover) => Promise<void>, handed: Set<string>): Promise<void> {
  const claimNs = pv.spec?.claimRef?.namespace ?? '';
  const run = pv.metadata?.labels?.[RUN_KEY] ?? (claimNs.startsWith(NAMESPACE_PREFIX) ? claimNs.slice(NAMESPACE_PREFIX.length) : undefined);
  const labelled = pv.metadata?.labels?.[RUN_KEY] !== undefined;
  if (!labelled && !claimNs.startsWith(NAMESPACE_PREFIX)) return;
  const name = pv.metadata?.name ?? '';
  const x: Leftover = { apiVersion: 'v1', kind: 'PersistentVolume', name, ...(run ? { run } : {}), note: `claim ${claimNs}/${pv.spec?.claimRef?.name ?? '?'}` };
  if (scope.live.has(claimNs) || scope.runsLive.has(run)) {
    res.skipped.push({ ...x, note: `${x.note}; its run may still be going` });
    return;
  }
  // A claim in a scratch namespace that is not ours by label (someone else's namespace of that name) is not touched.
  if (!labelled && !scope.doomed.has(claimNs)) {
    try {
      await api.core.readNamespace({ name: claimNs });
      return;
    } catch (e) {
      if (classifyKubeError(e).status !== 404) return;
    }
  }
  // A static PV the claim happened to bind to is someone's disk: never delete or hand it over.
  if (!pv.metadata?.annotations?.['pv.kubernetes.io/provisioned-by']) {
    res.skipped.push({ ...x, note: `${x.note}; not provisioned for the probe (a static volume its claim bound to): left as is — remove its spec.claimRef to make it Available again` });
    return;
  }
  if (pv.spec?.persistentVolumeReclaimPolicy === 'Retain') {
    try {
      await api.core.patchPersistentVolume({ name, body: [{ op: 'replace', path: '/spec/persistentVolumeReclaimPolicy', value: 'Delete' }] });
      res.removed.push({ ...x, note: `${x.note}; was Retain: handed to its provisioner to delete with its disk` });
      handed.add(name);
    } catch (e) {
      res.problems.push(`could not hand PersistentVolume ${name} (Retain) to its provisioner: ${classifyKubeError(e).message}`);
    }
    return;
  }
  // Reclaim policy Delete: its provisioner deletes it (with the claim, or now that it is Released);
  // only a volume whose deletion failed is removed here (its disk may then remain: said so).
  if (pv.status?.phase !== 'Failed') {
    res.removed.push({ ...x, note: `${x.note}; its provisioner deletes it${pv.status?.phase === 'Bound' ? ' with the claim' : ''}` });
    handed.add(name);
    return;
  }
  x.note = `${x.note}; its provisioner failed to delete it (${pv.status?.message ?? 'no message'}): the disk behind it may remain`;
  await del(x);
}
