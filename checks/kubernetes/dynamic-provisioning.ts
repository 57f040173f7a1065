// Every Coder workspace with a home volume asks for a PersistentVolumeClaim; a class that exists
// but whose provisioner never acts, or whose volumes cannot be mounted where workspaces run,
// leaves workspaces Pending forever (coder-requirements.md §1e; coder-install-failures.md §1).
// Only creating a claim and using it proves it: this is the probe-backed half of storage-class.
import { defineCheck } from '../../src/engine/define.ts';
import type { DynamicProvisioningResult } from '../../src/facts/probe/dynamic-provisioning.ts';
import type { ProbeRan } from '../../src/probes/define.ts';
import { notRun, ranEvidence } from '../../src/probes/outcome.ts';

const WFFC_NOTE = 'templates on a WaitForFirstConsumer class need wait_until_bound = false on their kubernetes_persistent_volume_claim (Terraform waits for Bound otherwise, which never comes before the workspace pod exists)';
const s = (ms: number | undefined) => (ms === undefined ? '?' : ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`);
/** The events that say why a claim does not bind or mount (the rest stay in the evidence). */
const RELEVANT = /^(Warning (ProvisioningFailed|FailedScheduling|FailedMount|FailedAttachVolume|FailedMapVolume|FailedBinding|VolumeMismatch)|Normal ExternalProvisioning)\b/;
const short = (e: string) => (e.length > 160 ? `${e.slice(0, 157)}…` : e);
const mib = (b: number) => `${(b / 1048576).toFixed(b < 1048576 ? 2 : 0)} MiB`;

function evidenceOf(f: ProbeRan & DynamicProvisioningResult) {
  return {
    ...ranEvidence(f),
    verdict: f.verdict,
    storageClass: f.storageClass ?? null,
    classFrom: f.classSource,
    bindingMode: f.bindingMode ?? null,
    provisioner: f.provisioner ?? null,
    claim: f.claim ?? null,
    volume: f.volume ?? null,
    reclaimPolicy: f.reclaimPolicy ?? null,
    bindMs: f.bindMs ?? null,
    totalMs: f.totalMs ?? null,
    node: f.node ?? null,
    ...(f.zone ? { zone: f.zone } : {}),
    placement: f.placement,
    ...(f.write ? { written: `${mib(f.write.bytes)} as uid ${f.write.uid}: write ${f.write.writeMs} ms, fsync ${f.write.fsyncMs} ms, read back ${f.write.readMs} ms, ${f.write.match ? 'identical' : 'DIFFERENT'}` } : {}),
    ...(f.writeError ? { writeError: `${f.writeError.code}: ${f.writeError.message}` } : {}),
    ...(f.events.length ? { events: f.events } : {}),
    limitMs: f.limitMs,
  };
}

export default defineCheck({
  id: 'kubernetes.dynamic-provisioning',
  title: 'A volume on the workspaces\' StorageClass binds, mounts and keeps data',
  category: 'kubernetes',
  facts: ['probe.dynamic-provisioning'],
  docs: 'https://coder.com/docs/admin/templates/extending-templates/resource-persistence',
  tags: ['probe'],
  defaults: {
    baseline: { failAfterSeconds: 30, source: 'cloud CSI provisioners (EBS, Persistent Disk, Azure Disk) take seconds to tens of seconds to create and attach a volume: a claim not bound after less than this is inconclusive, not a failure' },
  },
  explain: {
    what: 'With --probe dynamic-provisioning (or --active): creates a 1 GiB PersistentVolumeClaim on the class workspaces would use (the values\' class, else the default) and a small pod on the workspace nodes that mounts it, waits for Bound, and has the pod write 1 MiB of random bytes, fsync and read them back. Reports the time to bind, the volume, the provisioner and the node; when it does not bind or mount in time, the claim\'s and the pod\'s Warning events (ProvisioningFailed, FailedScheduling, FailedMount). Everything is removed at the end of the run.',
    why: 'A StorageClass can exist and be the default while its provisioner is not installed, lacks cloud permissions, or makes volumes in a zone the workspace nodes are not in: then every workspace with a home volume stays Pending and Coder shows only "waiting for the volume". Reading the class cannot tell that; binding a claim can.',
    fix: 'Read the events in the result: ProvisioningFailed names the provisioner\'s error (CSI driver missing or not running, cloud IAM permissions, quota); FailedScheduling with volume node affinity conflicts means the volume\'s zone has no workspace node (use a WaitForFirstConsumer class); FailedMount/FailedAttachVolume points at the node\'s CSI plugin. On a WaitForFirstConsumer class, set wait_until_bound = false in the template\'s kubernetes_persistent_volume_claim.',
  },
  evaluate({ 'probe.dynamic-provisioning': f }, { options }) {
    const skipped = notRun(f);
    if (skipped) return skipped;
    const r = f as ProbeRan & DynamicProvisioningResult;
    const evidence = evidenceOf(r);
    const cls = `${r.storageClass ?? 'the default class'}${r.provisioner ? ` (${r.provisioner}${r.bindingMode ? `, ${r.bindingMode}` : ''})` : ''}`;
    const wffc = r.bindingMode === 'WaitForFirstConsumer';
    const events = r.events.filter((e) => RELEVANT.test(e)).slice(0, 3).map(short).join('; ');
    switch (r.verdict) {
      case 'written':
        return {
          status: 'pass',
          summary: `A claim on ${cls} bound in ${s(r.bindMs)} as ${r.volume ?? 'a volume'}, and a pod on node ${r.node ?? '?'} wrote and read back ${r.write ? mib(r.write.bytes) : 'a file'}${wffc ? `; ${WFFC_NOTE.split(' (')[0]}` : ''}`,
          evidence: { ...evidence, ...(wffc ? { note: WFFC_NOTE } : {}) },
          vantage: `a probe pod on node ${r.node ?? '?'}`,
        };
      case 'write-failed': {
        const code = r.writeError?.code ?? (r.write && !r.write.match ? 'MISMATCH' : 'ERROR');
        if (code === 'EACCES' || code === 'EPERM') {
          return {
            status: 'warn',
            summary: `A claim on ${cls} bound in ${s(r.bindMs)} and mounted on node ${r.node ?? '?'}, but a non-root pod (uid 65532, fsGroup 65532) could not write to it (${code})`,
            remediation: 'workspaces that run as a non-root user need the volume to honour fsGroup: use a CSI driver whose CSIDriver has fsGroupPolicy File (or ReadWriteOnceWithFSType), or set fsGroup/an init container in the template',
            evidence,
          };
        }
        return {
          status: 'fail',
          summary: `A claim on ${cls} bound and mounted on node ${r.node ?? '?'}, but writing to it failed: ${code === 'MISMATCH' ? 'the bytes read back differ from those written' : `${code}${r.writeError ? `: ${r.writeError.message}` : ''}`}`,
          remediation: 'check the storage backend and the node\'s CSI plugin (kubectl describe pv, the CSI node pod\'s logs): workspaces would lose or fail to write their files',
          evidence,
        };
      }
      case 'no-class':
        return {
          status: 'fail',
          summary: `No volume can be provisioned: ${r.reason ?? 'no StorageClass'}`,
          remediation: 'name the class workspaces use in the values, or mark one as default (coder-preflight explain kubernetes.storage-class)',
          evidence,
        };
      case 'not-bound': {
        // The run's --timeout may have left too little time to tell a slow provisioner from one that never acts.
        if (r.limitMs < options.failAfterSeconds * 1000 && !r.events.some((e) => /^Warning ProvisioningFailed/.test(e))) {
          return {
            status: 'warn',
            summary: `Inconclusive: a claim on ${cls} was not bound yet after ${s(r.limitMs)}, too short to tell a slow provisioner from one that never acts (${options.failAfterSeconds} s)${events ? ` (${events})` : ''}`,
            remediation: `give the probe more time: raise --timeout (the probes get the run's time; ${options.failAfterSeconds} s of waiting decides)`,
            evidence,
            threshold: { value: `not bound after ${options.failAfterSeconds} s fails` },
          };
        }
        const failed = r.events.some((e) => /^Warning ProvisioningFailed/.test(e));
        // "Waiting for a volume to be created … by the external provisioner" and nothing after it: it never acted.
        const idle = !failed && r.events.some((e) => /ExternalProvisioning/.test(e)) && !r.events.some((e) => /ProvisioningSucceeded/.test(e));
        const unschedulable = r.events.some((e) => /^Warning FailedScheduling/.test(e) && !/unbound immediate PersistentVolumeClaims/.test(e));
        return {
          status: 'fail',
          threshold: { value: `not bound after ${options.failAfterSeconds} s fails` },
          summary: `A claim on ${cls} did not bind within ${s(r.limitMs)}${idle ? `: the provisioner ${r.provisioner ?? ''} never created a volume` : ''}${events ? ` (${events})` : ` (${r.reason ?? 'no events'})`}`,
          remediation: `workspaces with a home volume would stay Pending: ${
            failed
              ? 'fix what ProvisioningFailed says (the CSI driver, its cloud permissions or quota)'
              : idle
                ? `make sure the provisioner ${r.provisioner ?? ''} is installed and running (its controller, e.g. the CSI driver's controller Deployment, acts on new claims), or use a class whose provisioner is`
                : unschedulable
                  ? 'no workspace node can take the pod with this volume (see FailedScheduling: zones, selectors, taints)'
                  : 'read the events in the evidence (kubectl describe pvc shows the same on a claim of your own)'
          }`,
          evidence,
        };
      }
      case 'not-mounted':
        return {
          status: 'fail',
          summary: `A claim on ${cls} bound in ${s(r.bindMs)}, but the pod on node ${r.node ?? '?'} could not mount it${events ? `: ${events}` : ''}`,
          remediation: 'check the CSI node plugin on that node (its DaemonSet pod and logs) and the volume\'s attachment (kubectl describe volumeattachment)',
          evidence,
        };
      default:
        return {
          status: 'warn',
          summary: `Inconclusive: ${r.reason ?? 'the probe did not get an answer'}`,
          remediation: 'see what was seen in the evidence; a probe pod that cannot pull its image needs --probe-image/--probe-registry (and --probe-pull-secret) pointing at a registry this cluster can reach',
          evidence,
        };
    }
  },
});
