// Local OCI images for the world's real node. There is no registry here, so the two images every
// pod needs are written from files already on the machine and imported into containerd:
//   - the probe image: Debian's busybox-static (sh, httpd, wget, nc, sleep, mkdir, rm, ...)
//   - the pause image: the static Go pause built by scripts/build-node.sh, under the exact
//     `sandbox_image` name containerd's CRI plugin is configured with (otherwise it would pull).
// Each is an OCI image layout (oci-layout, index.json, blobs/sha256/*) packed into one tar, which
// `ctr -n k8s.io images import` takes. The layer is an uncompressed tar, so its digest is also the
// diff_id containerd checks when unpacking.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PROBE_IMAGE = 'preflight.local/busybox:1';
/** containerd 1.6's CRI pulls `sandbox_image` unless it is present locally; keep both in sync. */
export const PAUSE_IMAGE = 'registry.k8s.io/pause:3.10.1';
export const BUSYBOX = '/bin/busybox';

interface Blob {
  digest: string;
  size: number;
}

function putBlob(layout: string, data: Buffer): Blob {
  const hex = createHash('sha256').update(data).digest('hex');
  const dir = join(layout, 'blobs', 'sha256');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, hex), data);
  return { digest: `sha256:${hex}`, size: data.length };
}

/** Deterministic tar of `entries` (paths relative to `root`): fixed mtime, root-owned. */
function tarOf(root: string, entries: string[]): Buffer {
  return execFileSync(
    'tar',
    ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '--format=posix', '--pax-option=delete=atime,delete=ctime', '-C', root, '-cf', '-', ...entries],
    { maxBuffer: 256 * 1024 * 1024 },
  );
}

export interface ImageSpec {
  name: string; // full reference, e.g. preflight.local/busybox:1
  rootfs: string; // directory whose `entries` become the single layer
  entries: string[];
  entrypoint?: string[];
  cmd?: string[];
  /** Image environment (default: a PATH of /bin, /sbin, /usr/bin, /usr/sbin). */
  env?: string[];
  /** OCI config labels (provenance). */
  labels?: Record<string, string>;
}

/** Write an OCI layout for `spec` under `work` and pack it to `<out>`; returns the manifest digest. */
export function writeOciArchive(spec: ImageSpec, work: string, out: string): string {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const layer = putBlob(work, tarOf(spec.rootfs, spec.entries));
  const config = putBlob(
    work,
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        created: '1970-01-01T00:00:00Z',
        config: {
          Env: spec.env ?? ['PATH=/bin:/sbin:/usr/bin:/usr/sbin'],
          WorkingDir: '/',
          ...(spec.labels ? { Labels: spec.labels } : {}),
          ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
          ...(spec.cmd ? { Cmd: spec.cmd } : {}),
        },
        rootfs: { type: 'layers', diff_ids: [layer.digest] },
      }),
    ),
  );
  const manifest = putBlob(
    work,
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
      }),
    ),
  );
  const tag = spec.name.slice(spec.name.lastIndexOf(':') + 1);
  writeFileSync(join(work, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(work, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...manifest,
          annotations: { 'io.containerd.image.name': spec.name, 'org.opencontainers.image.ref.name': tag },
        },
      ],
    }),
  );
  writeFileSync(out, tarOf(work, ['blobs', 'index.json', 'oci-layout']));
  rmSync(work, { recursive: true, force: true });
  return manifest.digest;
}

function busyboxRootfs(dir: string): string[] {
  rmSync(dir, { recursive: true, force: true });
  for (const d of ['bin', 'etc', 'tmp', 'var/www', 'proc', 'sys', 'dev']) mkdirSync(join(dir, d), { recursive: true });
  chmodSync(join(dir, 'tmp'), 0o1777);
  copyFileSync(BUSYBOX, join(dir, 'bin', 'busybox'));
  chmodSync(join(dir, 'bin', 'busybox'), 0o755);
  const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => a && a !== 'busybox');
  for (const a of applets) symlinkSync('busybox', join(dir, 'bin', a));
  writeFileSync(join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  writeFileSync(join(dir, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
  writeFileSync(join(dir, 'var', 'www', 'index.html'), 'preflight probe\n');
  return ['bin', 'dev', 'etc', 'proc', 'sys', 'tmp', 'var'];
}

export interface BuiltImages {
  probe: { name: string; archive: string };
  pause: { name: string; archive: string };
}

/** Build both image archives into `dir` (a few MB, well under a second each). */
export function buildImages(dir: string, pauseBinary: string): BuiltImages {
  mkdirSync(dir, { recursive: true });
  if (!statSync(BUSYBOX, { throwIfNoEntry: false })) {
    throw new Error(`${BUSYBOX} missing: run scripts/install-node-deps.sh (Debian busybox-static)`);
  }
  const probeRoot = join(dir, 'rootfs-busybox');
  const probeArchive = join(dir, 'busybox.oci.tar');
  writeOciArchive({ name: PROBE_IMAGE, rootfs: probeRoot, entries: busyboxRootfs(probeRoot), cmd: ['sh'] }, join(dir, 'layout-busybox'), probeArchive);
  rmSync(probeRoot, { recursive: true, force: true });

  const pauseRoot = join(dir, 'rootfs-pause');
  rmSync(pauseRoot, { recursive: true, force: true });
  mkdirSync(pauseRoot, { recursive: true });
  copyFileSync(pauseBinary, join(pauseRoot, 'pause'));
  chmodSync(join(pauseRoot, 'pause'), 0o755);
  const pauseArchive = join(dir, 'pause.oci.tar');
  writeOciArchive({ name: PAUSE_IMAGE, rootfs: pauseRoot, entries: ['pause'], entrypoint: ['/pause'] }, join(dir, 'layout-pause'), pauseArchive);
  rmSync(pauseRoot, { recursive: true, force: true });
  return { probe: { name: PROBE_IMAGE, archive: probeArchive }, pause: { name: PAUSE_IMAGE, archive: pauseArchive } };
}

/** For tests: the names an imported archive declares. */
export function archiveNames(archive: string): string[] {
  const index = JSON.parse(execFileSync('tar', ['-xOf', archive, 'index.json'], { encoding: 'utf8' })) as {
    manifests: { annotations?: Record<string, string> }[];
  };
  return index.manifests.map((m) => m.annotations?.['io.containerd.image.name'] ?? '');
}
