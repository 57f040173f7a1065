// Coder's workspaces (and the v1 chart's built-in database) ask for PersistentVolumeClaims, most
// without a storageClassName: they need a default StorageClass whose provisioner creates volumes
// (coder-requirements.md §1e, §6: dynamic provisioning; Coder v2 does not validate local/hostPath).
import { defineCheck } from '../../src/engine/define.ts';
import type { StorageClassFact } from '../../src/facts/kubernetes/storageclasses.ts';

/** Provisioners whose volumes live on one node's disk. */
const NODE_LOCAL = /^(rancher\.io\/local-path|k8s\.io\/minikube-hostpath|microk8s\.io\/hostpath|docker\.io\/hostpath|kubernetes\.io\/host-path|openebs\.io\/local|local\.csi\.openebs\.io|topolvm\.io|lvm\.csi\.metal-stack\.io)$/;
const NO_PROVISIONER = 'kubernetes.io/no-provisioner';
const describeClass = (c: StorageClassFact) => `${c.name} (${c.provisioner}, ${c.volumeBindingMode})`;

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
  evaluate({ 'kubernetes.storageclasses': f }) {
    const classes = f.items;
    const defaults = classes.filter((c) => c.isDefault);
    const evidence = {
      storageClasses: classes.map((c) => c.name),
      defaults: defaults.map((c) => c.name),
      ...(defaults.length === 1 && defaults[0]
        ? { provisioner: defaults[0].provisioner, volumeBindingMode: defaults[0].volumeBindingMode, reclaimPolicy: defaults[0].reclaimPolicy, allowVolumeExpansion: defaults[0].allowVolumeExpansion }
        : {}),
    };
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
    const d = defaults[0]!;
    if (d.provisioner === NO_PROVISIONER) {
      return {
        status: 'fail',
        summary: `The default StorageClass ${d.name} uses ${NO_PROVISIONER}: nothing creates volumes for new claims`,
        remediation: `make a class with a dynamic provisioner (a CSI driver) the default: ${markDefault}`,
        evidence,
      };
    }
    if (NODE_LOCAL.test(d.provisioner)) {
      return {
        status: 'warn',
        summary: `The default StorageClass ${describeClass(d)} keeps volumes on one node's disk: a workspace's data is tied to that node and lost with it`,
        remediation: 'for production, make a networked CSI class (EBS, Persistent Disk, Azure Disk, Ceph, NFS…) the default; local volumes are fine for trials',
        evidence,
      };
    }
    return { status: 'pass', summary: `Default StorageClass ${describeClass(d)}`, evidence };
  },
});
