// Coder's workspaces (and the v1 chart's built-in database) ask for PersistentVolumeClaims, most
// without a storageClassName: they need a default StorageClass whose provisioner creates volumes
// (coder-requirements.md §1e, §6: dynamic provisioning; Coder v2 does not validate local/hostPath).
import { defineCheck } from '../../src/engine/define.ts';
import type { StorageClassFact } from '../../src/facts/kubernetes/storageclasses.ts';
import type { CheckOutcome } from '../../src/engine/types.ts';

/** Provisioners whose volumes live on one node's disk. */
const NODE_LOCAL = /^(rancher\.io\/local-path|k8s\.io\/minikube-hostpath|microk8s\.io\/hostpath|docker\.io\/hostpath|kubernetes\.io\/host-path|openebs\.io\/local|local\.csi\.openebs\.io|topolvm\.io|lvm\.csi\.metal-stack\.io)$/;
const NO_PROVISIONER = 'kubernetes.io/no-provisioner';
const describeClass = (c: StorageClassFact) => `${c.name} (${c.provisioner}, ${c.volumeBindingMode})`;
const topology = (c: StorageClassFact) => (c.allowedTopologies.length ? c.allowedTopologies.map((t) => t.map((e) => `${e.key} in [${e.values.join(', ')}]`).join(' and ')).join(' or ') : 'anywhere');

/** Whether the provisioner is a registered CSI driver, in words; `missing` when it looks like one and is not. */
function csiState(c: StorageClassFact, drivers: string[] | null): { text: string; missing: boolean } {
  if (c.provisioner.startsWith('kubernetes.io/')) return { text: 'in-tree (no CSIDriver object needed)', missing: false };
  if (drivers === null) return { text: 'unknown (CSIDriver objects could not be listed)', missing: false };
  if (drivers.includes(c.provisioner)) return { text: `CSIDriver ${c.provisioner} is registered`, missing: false };
  // Only names that say CSI: external provisioners such as rancher.io/local-path register no CSIDriver.
  if (/(^|[.-])csi([.-]|$)/i.test(c.provisioner)) return { text: `no CSIDriver object ${c.provisioner} (registered: ${drivers.join(', ') || 'none'})`, missing: true };
  return { text: 'not a registered CSI driver (an external provisioner)', missing: false };
}

export default defineCheck({
  id: 'kubernetes.storage-class',
  title: 'A default StorageClass with a dynamic provisioner exists',
  category: 'kubernetes',
  facts: ['kubernetes.storageclasses'],
  docs: 'https://coder.com/docs/admin/infrastructure/validated-architectures',
  explain: {
    what: 'Lists the StorageClasses and finds the default one (storageclass.kubernetes.io/is-default-class=true): exactly one should exist, and its provisioner must create volumes dynamically. Reports binding mode, reclaim policy and expansion. It does not create a volume, so it cannot prove that a claim really binds.',
    why: 'Workspace templates and the v1 built-in database create PersistentVolumeClaims, usually without naming a class. Without a default class those claims stay Pending forever and workspaces never start; with kubernetes.io/no-provisioner nothing creates the volumes; with several defaults it is not obvious which one is used. Node-local provisioners (local-path, hostPath) tie a workspace\'s data to one node, which Coder\'s validated architectures do not cover.',
    fix: 'Mark one class as default: kubectl patch storageclass <name> -p \'{"metadata":{"annotations":{"storageclass.kubernetes.io/is-default-class":"true"}}}\' (and set it to "false" on the others). Install your platform\'s CSI driver (EBS, Persistent Disk, Azure Disk, Ceph, …) if no class provisions dynamically.',
  },
  evaluate({ 'kubernetes.storageclasses': f }, { deployment }) {
    const classes = f.items;
    const defaults = classes.filter((c) => c.isDefault);
    const named = deployment.storageClass;
    const chosen = named ? classes.find((c) => c.name === named.name) : defaults.length === 1 ? defaults[0] : undefined;
    const evidence = {
      storageClasses: classes.map((c) => c.name),
      defaults: defaults.map((c) => c.name),
      ...(named ? { namedInValues: `${named.name} (${named.where})` } : {}),
      ...(chosen
        ? { provisioner: chosen.provisioner, volumeBindingMode: chosen.volumeBindingMode, reclaimPolicy: chosen.reclaimPolicy, allowVolumeExpansion: chosen.allowVolumeExpansion, allowedTopologies: topology(chosen), csiDriver: csiState(chosen, f.csiDrivers).text }
        : {}),
    };
    if (named && !chosen) {
      return {
        status: 'fail',
        summary: `The values name StorageClass ${named.name} (${named.where}), which does not exist (classes: ${classes.map((c) => c.name).join(', ') || 'none'}): its claims stay Pending`,
        remediation: `create StorageClass ${named.name}, or name an existing one`,
        evidence,
      };
    }
    if (named && chosen) return judgeClass(chosen, `StorageClass ${chosen.name} (named in ${named.where})`, f.csiDrivers, evidence);
    const markDefault = 'kubectl patch storageclass <name> -p \'{"metadata":{"annotations":{"storageclass.kubernetes.io/is-default-class":"true"}}}\'';
    if (classes.length === 0) {
      return { status: 'fail', summary: 'The cluster has no StorageClass: no PersistentVolumeClaim can be provisioned', remediation: 'install your platform\'s CSI driver and a StorageClass for it, and mark it default', evidence };
    }
    if (defaults.length === 0) {
      return {
        status: 'fail',
        summary: `None of the ${classes.length} StorageClasses (${classes.map(describeClass).join('; ')}) is the default: claims without a storageClassName stay Pending`,
        remediation: `mark the class for workspace volumes as default: ${markDefault}`,
        evidence,
      };
    }
    if (defaults.length > 1) {
      return {
        status: 'warn',
        summary: `${defaults.length} StorageClasses are marked default (${defaults.map(describeClass).join('; ')}): claims without a class get whichever the API server picks`,
        remediation: 'keep exactly one default: set storageclass.kubernetes.io/is-default-class to "false" on the others',
        evidence,
      };
    }
    return judgeClass(defaults[0]!, `The default StorageClass ${defaults[0]!.name}`, f.csiDrivers, evidence);
  },
});

function judgeClass(d: StorageClassFact, what: string, drivers: string[] | null, evidence: Record<string, unknown>): CheckOutcome {
  const markDefault = 'kubectl patch storageclass <name> -p \'{"metadata":{"annotations":{"storageclass.kubernetes.io/is-default-class":"true"}}}\'';
  const ev = evidence as CheckOutcome['evidence'];
  if (d.provisioner === NO_PROVISIONER) {
    return { status: 'fail', summary: `${what} uses ${NO_PROVISIONER}: nothing creates volumes for new claims`, remediation: `make a class with a dynamic provisioner (a CSI driver) the default: ${markDefault}`, evidence: ev };
  }
  const csi = csiState(d, drivers);
  if (csi.missing) {
    return { status: 'warn', summary: `${what} names the CSI driver ${d.provisioner}, but the cluster has ${csi.text.replace(/^no CSIDriver object \S+ /, 'no CSIDriver object for it ')}: is the driver installed? Claims stay Pending without it`, remediation: `install the ${d.provisioner} CSI driver (its Helm chart or the platform add-on), then check kubectl get csidriver`, evidence: ev };
  }
  if (NODE_LOCAL.test(d.provisioner)) {
    return {
      status: 'warn',
      summary: `${what} (${d.provisioner}, ${d.volumeBindingMode}) keeps volumes on one node's disk: a workspace's data is tied to that node and lost with it`,
      remediation: 'for production, make a networked CSI class (EBS, Persistent Disk, Azure Disk, Ceph, NFS…) the default; local volumes are fine for trials',
      evidence: ev,
    };
  }
  return { status: 'pass', summary: `${what}: ${d.provisioner}, ${d.volumeBindingMode}, reclaim ${d.reclaimPolicy}, ${d.allowVolumeExpansion ? 'expandable' : 'not expandable'}`, evidence: ev };
}
