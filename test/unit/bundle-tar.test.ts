// The bundle's tar+gzip: what we write, GNU tar reads (and the other way round), byte for byte.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tar, tarGz, untar, untarGz } from '../../src/bundle/tar.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'cp-tar-'));
const long = `d/${'x'.repeat(120)}/${'y'.repeat(90)}.txt`;
const files = [
  { path: 'b/', data: Buffer.alloc(0) },
  { path: 'b/report.json', data: Buffer.from('{"a":1}\n') },
  { path: 'b/empty.txt', data: Buffer.alloc(0) },
  { path: 'b/block.bin', data: Buffer.alloc(512, 7) },
  { path: 'b/utf8-é.md', data: Buffer.from('ünïcode ✅\n') },
  { path: long, data: Buffer.from('long name\n') },
];

describe('tar.gz', () => {
  it('round-trips files (directories are not returned), sizes on block boundaries and long paths', () => {
    const back = untarGz(tarGz(files));
    expect(back.map((e) => [e.path, Buffer.from(e.data).toString('hex')])).toEqual(files.filter((f) => !f.path.endsWith('/')).map((f) => [f.path, f.data.toString('hex')]));
    expect(tar(files).length % 512).toBe(0);
  });

  it('GNU tar lists and extracts what we write, with the same bytes', () => {
    const d = tmp();
    writeFileSync(join(d, 'a.tar.gz'), tarGz(files));
    const listed = execFileSync('tar', ['--quoting-style=literal', '-tzf', join(d, 'a.tar.gz')], { encoding: 'utf8' }).trim().split('\n');
    expect(listed).toEqual(files.map((f) => f.path));
    const out = join(d, 'x');
    mkdirSync(out);
    execFileSync('tar', ['xzf', join(d, 'a.tar.gz'), '-C', out]);
    for (const f of files.filter((x) => !x.path.endsWith('/'))) expect(readFileSync(join(out, f.path)).equals(f.data), f.path).toBe(true);
  });

  it('reads what GNU tar writes (ustar, gnu and pax formats)', () => {
    const d = tmp();
    mkdirSync(join(d, 'src', 'coder-preflight-bundle'), { recursive: true });
    writeFileSync(join(d, 'src', 'coder-preflight-bundle', 'meta.json'), '{}\n');
    writeFileSync(join(d, 'src', 'coder-preflight-bundle', `${'n'.repeat(150)}.txt`), 'long\n');
    for (const format of ['gnu', 'pax']) {
      execFileSync('tar', [`--format=${format}`, '-czf', join(d, `${format}.tgz`), '-C', join(d, 'src'), 'coder-preflight-bundle']);
      const got = untarGz(readFileSync(join(d, `${format}.tgz`)));
      expect(got.map((e) => e.path).sort(), format).toEqual(['coder-preflight-bundle/meta.json', `coder-preflight-bundle/${'n'.repeat(150)}.txt`].sort());
    }
  });

  it('refuses what is not a tar archive, and an archive that inflates past the limit', () => {
    expect(() => untar(Buffer.alloc(1024, 1))).toThrow(/bad header checksum/);
    expect(() => untarGz(tarGz([{ path: 'big', data: Buffer.alloc(1 << 20) }]), 64 * 1024)).toThrow();
  });
});
