// volume-write: write a file of random bytes on the mounted volume, fsync it and its directory,
// read it back and compare. Proves the volume is mounted, writable by this pod's user, and keeps
// what was written (not just that a PVC says Bound).
import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, readFile, statfs, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { VolumeWriteArgs, VolumeWriteResult } from './report.ts';

const ms = (t: number) => Math.round((performance.now() - t) * 100) / 100;

export async function volumeWrite(a: VolumeWriteArgs): Promise<VolumeWriteResult> {
  if (typeof a.dir !== 'string' || !a.dir) throw Object.assign(new Error('args.dir is missing'), { code: 'BAD_ARGS' });
  const bytes = Math.max(1, Math.min(Number(a.bytes) || 65536, 16 * 1024 * 1024));
  const data = randomBytes(bytes);
  const file = join(a.dir, `coder-preflight-${String(a.nonce).replace(/[^a-z0-9-]/gi, '').slice(0, 32) || 'probe'}`);
  let t = performance.now();
  const fh = await open(file, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
  let writeMs: number;
  let fsyncMs: number;
  try {
    await fh.write(data, 0, data.length, 0);
    writeMs = ms(t);
    t = performance.now();
    await fh.sync();
  } finally {
    await fh.close();
  }
  // The directory entry too, or a crash could lose the file itself.
  const dir = await open(a.dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
  fsyncMs = ms(t);
  t = performance.now();
  const back = await readFile(file);
  const readMs = ms(t);
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  const match = back.length === data.length && sha(back) === sha(data);
  let fs: VolumeWriteResult['fs'];
  try {
    const s = await statfs(a.dir);
    fs = { totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
  } catch {
    /* not every filesystem answers statfs */
  }
  await unlink(file).catch(() => undefined);
  return { file, bytes, match, writeMs, fsyncMs, readMs, ...(fs ? { fs } : {}), uid: process.getuid?.() ?? -1, gid: process.getgid?.() ?? -1 };
}
