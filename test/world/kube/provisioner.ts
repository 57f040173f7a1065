// A small external volume provisioner (run as a daemon): what sig-storage-lib-external-provisioner
// does, for hostPath dirs below --dir. kube-controller-manager's PV binder does the binding; we only
// create a PV pre-bound (claimRef) to each claim that the binder has handed to us, and delete the
// PVs we made once they are Released (reclaimPolicy Delete).
//
//   node test/world/kube/provisioner.ts --kubeconfig=F --dir=D [--name=preflight.test/hostpath]
//
// When to act on a PVC (as the lib does): spec.volumeName empty; annotation
// volume.kubernetes.io/storage-provisioner (or the beta key) equals our name, which the PV binder only
// sets for classes with our provisioner; for a WaitForFirstConsumer class additionally
// volume.kubernetes.io/selected-node set (by the scheduler); and no PV pvc-<uid> yet.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  CoreV1Api,
  KubeConfig,
  StorageV1Api,
  Watch,
  type V1PersistentVolume,
  type V1PersistentVolumeClaim,
  type V1StorageClass,
} from '@kubernetes/client-node';

const ANN_PROVISIONER = 'volume.kubernetes.io/storage-provisioner';
const ANN_PROVISIONER_BETA = 'volume.beta.kubernetes.io/storage-provisioner';
const ANN_SELECTED_NODE = 'volume.kubernetes.io/selected-node';
const ANN_PROVISIONED_BY = 'pv.kubernetes.io/provisioned-by';

const { values } = parseArgs({
  options: { kubeconfig: { type: 'string' }, dir: { type: 'string' }, name: { type: 'string', default: 'preflight.test/hostpath' } },
});
if (!values.kubeconfig || !values.dir) {
  console.error('usage: provisioner.ts --kubeconfig=FILE --dir=DIR [--name=PROVISIONER]');
  process.exit(2);
}
const name = values.name ?? 'preflight.test/hostpath';
const volumesDir = values.dir;
const kc = new KubeConfig();
kc.loadFromFile(values.kubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const storage = kc.makeApiClient(StorageV1Api);
const log = (m: string) => console.log(`${new Date().toISOString()} ${m}`);
const code = (e: unknown) => (e as { code?: number }).code;

function wantsUs(pvc: V1PersistentVolumeClaim, sc: V1StorageClass | undefined): boolean {
  const ann = pvc.metadata?.annotations ?? {};
  if (pvc.spec?.volumeName) return false;
  if (pvc.metadata?.deletionTimestamp) return false;
  if ((ann[ANN_PROVISIONER] ?? ann[ANN_PROVISIONER_BETA]) !== name) return false;
  if (!sc || sc.provisioner !== name) return false;
  if (sc.volumeBindingMode === 'WaitForFirstConsumer' && !ann[ANN_SELECTED_NODE]) return false;
  return true;
}

function pvFor(pvc: V1PersistentVolumeClaim, sc: V1StorageClass): V1PersistentVolume {
  const uid = pvc.metadata!.uid!;
  const pvName = `pvc-${uid}`;
  const node = pvc.metadata?.annotations?.[ANN_SELECTED_NODE];
  const path = join(volumesDir, pvName);
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: {
      name: pvName,
      annotations: { [ANN_PROVISIONED_BY]: name },
      labels: { 'preflight.test/provisioner': name.replace(/\//g, '_') },
    },
    spec: {
      // Set claimRef; the PV controller binds both sides and sets bound-by-controller.
      claimRef: {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        namespace: pvc.metadata!.namespace!,
        name: pvc.metadata!.name!,
        uid,
        resourceVersion: pvc.metadata!.resourceVersion!,
      },
      storageClassName: sc.metadata!.name!,
      persistentVolumeReclaimPolicy: sc.reclaimPolicy ?? 'Delete',
      accessModes: pvc.spec?.accessModes ?? ['ReadWriteOnce'],
      capacity: { storage: pvc.spec?.resources?.requests?.storage ?? '1Gi' },
      volumeMode: pvc.spec?.volumeMode ?? 'Filesystem',
      mountOptions: sc.mountOptions,
      hostPath: { path, type: 'DirectoryOrCreate' },
      ...(node
        ? {
            nodeAffinity: {
              required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] },
            },
          }
        : {}),
    },
  };
}

async function reconcile(): Promise<void> {
  const [pvcs, pvs, scs] = await Promise.all([
    core.listPersistentVolumeClaimForAllNamespaces(),
    core.listPersistentVolume(),
    storage.listStorageClass(),
  ]);
  const classes = new Map(scs.items.map((s) => [s.metadata!.name!, s]));
  const pvNames = new Set(pvs.items.map((p) => p.metadata!.name!));
  for (const pvc of pvcs.items) {
    const sc = classes.get(pvc.spec?.storageClassName ?? '');
    if (!wantsUs(pvc, sc) || pvNames.has(`pvc-${pvc.metadata!.uid}`)) continue;
    const pv = pvFor(pvc, sc!);
    mkdirSync(pv.spec!.hostPath!.path, { recursive: true });
    try {
      await core.createPersistentVolume({ body: pv });
      log(`provisioned ${pv.metadata!.name} for ${pvc.metadata!.namespace}/${pvc.metadata!.name} (${sc!.metadata!.name})`);
      await event(pvc, 'ProvisioningSucceeded', `Successfully provisioned volume ${pv.metadata!.name}`);
    } catch (e) {
      if (code(e) !== 409) throw e;
    }
  }
  for (const pv of pvs.items) {
    if (pv.metadata?.annotations?.[ANN_PROVISIONED_BY] !== name) continue;
    if (pv.status?.phase !== 'Released' || pv.spec?.persistentVolumeReclaimPolicy !== 'Delete') continue;
    if (pv.metadata.deletionTimestamp) continue;
    const path = pv.spec.hostPath?.path;
    if (path && dirname(path) === volumesDir) rmSync(path, { recursive: true, force: true });
    try {
      await core.deletePersistentVolume({ name: pv.metadata.name! });
      log(`deleted released ${pv.metadata.name}`);
    } catch (e) {
      if (code(e) !== 404) throw e;
    }
  }
}

async function event(pvc: V1PersistentVolumeClaim, reason: string, message: string): Promise<void> {
  const now = new Date();
  await core
    .createNamespacedEvent({
      namespace: pvc.metadata!.namespace!,
      body: {
        metadata: { generateName: `${pvc.metadata!.name}.`, namespace: pvc.metadata!.namespace! },
        involvedObject: {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          namespace: pvc.metadata!.namespace!,
          name: pvc.metadata!.name!,
          uid: pvc.metadata!.uid!,
        },
        reason,
        message,
        type: 'Normal',
        source: { component: `${name}_world-provisioner` },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      },
    })
    .catch((e: unknown) => log(`event failed: ${String(e)}`));
}

// Serialize passes: one running, at most one queued.
let running = false;
let again = false;
async function kick(): Promise<void> {
  if (running) {
    again = true;
    return;
  }
  running = true;
  try {
    do {
      again = false;
      await reconcile().catch((e: unknown) => log(`reconcile failed: ${String(e).split('\n')[0]}`));
    } while (again);
  } finally {
    running = false;
  }
}

function watch(path: string): void {
  const watcher = new Watch(kc);
  const restart = (err: unknown) => {
    if (err) log(`watch ${path} ended: ${String(err).split('\n')[0]}`);
    setTimeout(() => watch(path), 1000);
  };
  watcher.watch(path, {}, () => void kick(), restart).catch(restart);
}

watch('/api/v1/persistentvolumeclaims');
watch('/api/v1/persistentvolumes');
setInterval(() => void kick(), 5000); // backstop resync
await kick();
writeFileSync(join(dirname(volumesDir), 'provisioner.ready'), `${process.pid}\n`);
log(`serving ${name}, volumes in ${volumesDir}`);
process.on('SIGTERM', () => process.exit(0));
