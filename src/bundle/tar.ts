// A gzipped tar archive (POSIX ustar) written and read with node:zlib alone: the support bundle
// holds a handful of small text files, and `tar xzf` on any system opens it. No dependency: a ustar
// header is 512 bytes of fixed fields (POSIX.1-1988, pax(1) "ustar Interchange Format").
import { gunzipSync, gzipSync } from 'node:zlib';

export interface TarEntry {
  /** Path inside the archive, "/"-separated; a trailing "/" makes a directory. */
  path: string;
  data: Uint8Array;
  /** Seconds since the epoch (default: now). */
  mtime?: number;
}

const BLOCK = 512;

/** Write a field as NUL-terminated octal (the way GNU and BSD tar do). */
function octal(buf: Buffer, offset: number, length: number, value: number): void {
  buf.write(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, length, 'ascii');
}

/** Split a long path into ustar's prefix (155) and name (100) at a "/". */
function splitPath(path: string): { name: string; prefix: string } {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: '' };
  for (let i = path.lastIndexOf('/', path.length - 2); i > 0; i = path.lastIndexOf('/', i - 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return { name, prefix };
  }
  throw new Error(`path too long for a tar archive: ${path}`);
}

function header(path: string, size: number, mtime: number, dir: boolean): Buffer {
  const h = Buffer.alloc(BLOCK);
  const { name, prefix } = splitPath(path);
  h.write(name, 0, 100, 'utf8');
  octal(h, 100, 8, dir ? 0o755 : 0o644);
  octal(h, 108, 8, 0); // uid
  octal(h, 116, 8, 0); // gid
  octal(h, 124, 12, size);
  octal(h, 136, 12, Math.floor(mtime));
  h.fill(' ', 148, 156); // checksum is computed with its own field as spaces
  h.write(dir ? '5' : '0', 156, 1, 'ascii');
  h.write('ustar\0', 257, 6, 'ascii');
  h.write('00', 263, 2, 'ascii');
  h.write('root', 265, 32, 'ascii');
  h.write('root', 297, 32, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return h;
}

/** The entries as a tar archive (uncompressed). */
export function tar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  const now = Date.now() / 1000;
  for (const e of entries) {
    const dir = e.path.endsWith('/');
    parts.push(header(e.path, dir ? 0 : e.data.length, e.mtime ?? now, dir));
    if (!dir) {
      parts.push(Buffer.from(e.data));
      const pad = (BLOCK - (e.data.length % BLOCK)) % BLOCK;
      if (pad) parts.push(Buffer.alloc(pad));
    }
  }
  parts.push(Buffer.alloc(BLOCK * 2)); // two zero blocks end the archive
  return Buffer.concat(parts);
}

export function tarGz(entries: readonly TarEntry[]): Buffer {
  return gzipSync(tar(entries), { level: 9 });
}

const str = (b: Buffer, start: number, len: number) => {
  const s = b.subarray(start, start + len);
  const nul = s.indexOf(0);
  return (nul >= 0 ? s.subarray(0, nul) : s).toString('utf8');
};
const num = (b: Buffer, start: number, len: number) => {
  const s = str(b, start, len).trim();
  return s === '' ? 0 : parseInt(s, 8);
};

/** The regular files of a tar archive (ustar, with GNU long names and pax path records understood). */
export function untar(archive: Buffer): TarEntry[] {
  const out: TarEntry[] = [];
  let longName: string | undefined;
  for (let off = 0; off + BLOCK <= archive.length; ) {
    const h = archive.subarray(off, off + BLOCK);
    if (h.every((b) => b === 0)) break;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
    if (sum !== num(h, 148, 8)) throw new Error(`not a tar archive (bad header checksum at byte ${off})`);
    const size = num(h, 124, 12);
    const type = String.fromCharCode(h[156]!);
    const prefix = h.subarray(257, 262).toString('ascii') === 'ustar' ? str(h, 345, 155) : '';
    const data = archive.subarray(off + BLOCK, off + BLOCK + size);
    if (data.length < size) throw new Error('truncated tar archive');
    off += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'L') {
      longName = str(data, 0, data.length);
      continue;
    }
    if (type === 'x') {
      const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString('utf8'));
      if (m) longName = m[1];
      continue;
    }
    const path = longName ?? (prefix ? `${prefix}/${str(h, 0, 100)}` : str(h, 0, 100));
    longName = undefined;
    if (type === '0' || type === '\0' || type === '7') out.push({ path, data: Buffer.from(data), mtime: num(h, 136, 12) });
  }
  return out;
}

/** Unzip and untar, refusing archives that inflate past `maxBytes` (a support bundle is small). */
export function untarGz(archive: Buffer, maxBytes = 256 * 1024 * 1024): TarEntry[] {
  return untar(gunzipSync(archive, { maxOutputLength: maxBytes }));
}
