// The volume probe: a PersistentVolumeClaim on the class Coder's workspaces would use (the values'
// class, else the default), with a consumer pod on the workspace nodes (so a WaitForFirstConsumer
// class provisions where a workspace would run), timed until Bound; the pod writes random bytes
// to the volume, fsyncs, reads them back and compares. When it does not get there within the
// run's time, the Warning events of the claim and the pod say why.
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { VolumeWriteArgs, VolumeWriteResult } from '../../probes/agent/report.ts';
import { defineProbe, type ProbeContext, type ProbeFact } from '../../probes/define.ts';
import { describePod, eventsOf, isFinished, nodeSeen, placementWords, probePod, readReport, waitPod } from '../../probes/pods.ts';

export const VOLUME_SIZE = '1Gi';
const MOUNT = '/data';

export interface DynamicProvisioningResult {
  verdict: 'written' | 'write-failed' | 'not-bound' | 'not-mounted' | 'no-class' | 'inconclusive';
  /** For no-class, not-bound, not-mounted and inconclusive: what was seen, in words. */
  reason?: string;
  storageClass?: string;
  /** Where the class came from (the values, the default class). */
  classSource: string;
  bindingMode?: string;
  provisioner?: string;
  claim?: string;
  volume?: string;
  reclaimPolicy?: string;
  /** ms from creating the claim to seeing it Bound. */
  bindMs?: number;
  /** ms from creating the claim to the agent's report. */
  totalMs?: number;
  node?: string;
  zone?: string;
  placement: string;
  write?: VolumeWriteResult;
  writeError?: { code: string; message: string };
  /** The claim's and the pod's events (Warning first), when it did not get there. */
  events: string[];
  limitMs: number;
}

declare module '../types.ts' {
  interface FactMap {
    'probe.dynamic-provisioning': ProbeFact<DynamicProvisioningResult>;
  }
}

const MOUNT_TROUBLE = /FailedMount|FailedAttachVolume|FailedMapVolume/;

export default defineProbe({
  name: 'dynamic-provisioning',
  fact: 'probe.dynamic-provisioning',
  proves: 'that a PersistentVolumeClaim on the workspaces\' StorageClass binds, mounts on a workspace node and keeps what is written to it',
  needs: (ns) => [
    { verb: 'create', group: '', resource: 'persistentvolumeclaims', namespace: ns },
    { verb: 'get', group: '', resource: 'persistentvolumeclaims', namespace: ns },
  ],
  async run(p: ProbeContext): Promise<DynamicProvisioningResult> {
    const d = p.collect.target.deployment;
    const placement = d.workspaces;
    const base = { placement: placementWords(placement, 'workspace'), events: [] as string[], limitMs: p.budgetMs() };
    // Which class: the values', else the default one.
    const classes = await p.collect.fact('kubernetes.storageclasses');
    let storageClass = d.storageClass?.name;
    let classSource = d.storageClass ? d.storageClass.where : 'the default StorageClass';
    let info: { bindingMode?: string; provisioner?: string } = {};
    if (classes.ok) {
      if (!storageClass) {
        const defaults = classes.value.items.filter((c) => c.isDefault);
        if (!defaults.length) return { verdict: 'no-class', reason: 'no StorageClass is marked default and the values name none, so a claim without a class never binds', classSource: 'none', ...base };
        storageClass = defaults[0]!.name;
      }
      const sc = classes.value.items.find((c) => c.name === storageClass);
      if (!sc) return { verdict: 'no-class', reason: `StorageClass ${storageClass} (${classSource}) does not exist`, storageClass, classSource, ...base };
      info = { bindingMode: sc.volumeBindingMode, provisioner: sc.provisioner };
    } else {
      classSource = `${storageClass ? classSource : 'the cluster\'s default (StorageClasses could not be read)'}`;
    }

    const id = p.nonce();
    const claim = `volume-${id}`;
    const podName = `volume-writer-${id}`;
    const nonce = p.nonce();
    const t0 = Date.now();
    await p.session.create<V1PersistentVolumeClaim>({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: claim },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: VOLUME_SIZE } }, ...(storageClass ? { storageClassName: storageClass } : {}) },
    });
    const args: VolumeWriteArgs = { nonce, dir: MOUNT, bytes: 1024 * 1024 };
    await p.session.create(
      probePod(p.session, {
        name: podName,
        probe: 'dynamic-provisioning',
        role: 'writer',
        mode: 'volume-write',
        args: args as unknown as Record<string, unknown>,
        ...(placement ? { placement } : {}),
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: claim } }],
        mounts: [{ name: 'data', mountPath: MOUNT }],
        deadlineSeconds: p.podDeadlineSeconds(),
      }),
    );

    // Watch both: the claim until Bound, the pod until it has written (or cannot).
    const limitMs = base.limitMs;
    let pvc: V1PersistentVolumeClaim | undefined;
    let bindMs: number | undefined;
    let pod;
    let stuck: string | undefined;
    let node: Awaited<ReturnType<typeof nodeSeen>> | undefined;
    for (;;) {
      if (p.signal.aborted) throw p.signal.reason instanceof Error ? p.signal.reason : new Error('aborted');
      pvc = await p.api.core.readNamespacedPersistentVolumeClaim({ name: claim, namespace: p.session.namespace });
      if (bindMs === undefined && pvc.status?.phase === 'Bound') bindMs = Date.now() - t0;
      const w = await waitPod(p.api, p.session.namespace, podName, isFinished, { budgetMs: 0, signal: p.signal });
      pod = w.pod;
      if (w.met) break;
      if (w.stuck) {
        stuck = w.stuck;
        break;
      }
      // The scheduler's pick shows on the claim first (WaitForFirstConsumer), on the pod once bound.
      const picked = pod?.spec?.nodeName ?? pvc.metadata?.annotations?.['volume.kubernetes.io/selected-node'];
      if (picked && node?.name !== picked) {
        node = await nodeSeen(p.api, picked);
        if (node.fake) break;
      }
      if (Date.now() - t0 >= limitMs) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const totalMs = Date.now() - t0;
    storageClass ??= pvc?.spec?.storageClassName;
    const volume = pvc?.spec?.volumeName || undefined;
    let pvInfo: { reclaimPolicy?: string; provisioner?: string } = {};
    if (volume) {
      try {
        const pv = await p.api.core.readPersistentVolume({ name: volume });
        pvInfo = {
          ...(pv.spec?.persistentVolumeReclaimPolicy ? { reclaimPolicy: pv.spec.persistentVolumeReclaimPolicy } : {}),
          ...(pv.metadata?.annotations?.['pv.kubernetes.io/provisioned-by'] ? { provisioner: pv.metadata.annotations['pv.kubernetes.io/provisioned-by'] } : {}),
        };
      } catch {
        /* reading PVs is not required: the claim names its volume */
      }
      // A Retain class would keep the volume (and its disk) after the claim goes: it is this run's
      // volume, so hand it to the provisioner to delete with the claim, if this user may.
      // (Only a volume provisioned for this claim: a static PV it bound to is someone's disk.)
      if (pvInfo.reclaimPolicy === 'Retain' && pvInfo.provisioner) {
        try {
          await p.api.core.patchPersistentVolume({ name: volume, body: [{ op: 'replace', path: '/spec/persistentVolumeReclaimPolicy', value: 'Delete' }] });
          pvInfo.reclaimPolicy = 'Retain (set to Delete for this probe\'s volume)';
        } catch {
          pvInfo.reclaimPolicy = 'Retain (this volume stays after the run: delete it and its disk)';
        }
      }
    }
    const nodeName = pod?.spec?.nodeName ?? pvc?.metadata?.annotations?.['volume.kubernetes.io/selected-node'];
    if (nodeName && node?.name !== nodeName) node = await nodeSeen(p.api, nodeName);
    const common = {
      storageClass,
      classSource,
      ...(info.bindingMode ? { bindingMode: info.bindingMode } : {}),
      ...((pvInfo.provisioner ?? info.provisioner ?? pvc?.metadata?.annotations?.['volume.kubernetes.io/storage-provisioner']) ? { provisioner: pvInfo.provisioner ?? info.provisioner ?? pvc?.metadata?.annotations?.['volume.kubernetes.io/storage-provisioner'] } : {}),
      claim,
      ...(volume ? { volume } : {}),
      ...(pvInfo.reclaimPolicy ? { reclaimPolicy: pvInfo.reclaimPolicy } : {}),
      ...(bindMs !== undefined ? { bindMs } : {}),
      totalMs,
      ...(node ? { node: node.name, ...(node.zone ? { zone: node.zone } : {}) } : {}),
      placement: base.placement,
      limitMs,
    };
    // The claim's and the pod's events together, Warning first.
    const events = async () => {
      const all = [...(await eventsOf(p.api, p.session.namespace, 'PersistentVolumeClaim', claim)), ...(await eventsOf(p.api, p.session.namespace, 'Pod', podName))];
      return [...all.filter((e) => e.startsWith('Warning')), ...all.filter((e) => !e.startsWith('Warning'))];
    };

    if (node?.fake) return { verdict: 'inconclusive', reason: `the writer landed on node ${node.name}, which fakes pods (${node.why}): nothing was written`, ...common, events: [] };
    if (pod && isFinished(pod)) {
      const r = readReport<VolumeWriteResult>(pod, nonce);
      if ('problem' in r) return { verdict: 'inconclusive', reason: r.problem, ...common, events: await events() };
      if (r.report.ok && r.report.result) return { verdict: r.report.result.match ? 'written' : 'write-failed', ...common, write: r.report.result, events: [] };
      return { verdict: 'write-failed', ...common, ...(r.report.error ? { writeError: r.report.error } : {}), events: await events() };
    }
    const ev = await events();
    if (bindMs === undefined) return { verdict: 'not-bound', reason: `the claim was still ${pvc?.status?.phase ?? 'missing'} after ${Math.round(totalMs / 1000)} s${stuck ? `; the pod: ${stuck}` : ''}`, ...common, events: ev };
    if (ev.some((e) => e.startsWith('Warning') && MOUNT_TROUBLE.test(e))) return { verdict: 'not-mounted', reason: `the claim bound in ${bindMs} ms, but the pod could not use the volume (${describePod(pod)})`, ...common, events: ev };
    return { verdict: 'inconclusive', reason: `the claim bound in ${bindMs} ms, but the writer did not report: ${stuck ?? describePod(pod)}`, ...common, events: ev };
  },
});
