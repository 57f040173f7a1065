// Open a support bundle in tests: every file as text, by its path inside the bundle's directory,
// and write one back with some files changed (an "older" bundle, a tampered one).
import { readFileSync, writeFileSync } from 'node:fs';
import { tarGz, untarGz } from '../../src/bundle/tar.ts';

export function bundleFiles(file: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of untarGz(readFileSync(file))) out.set(e.path.replace(/^[^/]+\//, ''), Buffer.from(e.data).toString('utf8'));
  return out;
}

/** The archive's paths as `tar tzf` lists them (directories too). */
export function bundlePaths(file: string): string[] {
  return untarGz(readFileSync(file)).map((e) => e.path);
}

export function rewriteBundle(from: string, to: string, edit: (path: string, text: string) => string): void {
  const entries = untarGz(readFileSync(from)).map((e) => ({ path: e.path, data: Buffer.from(edit(e.path.replace(/^[^/]+\//, ''), Buffer.from(e.data).toString('utf8'))) }));
  writeFileSync(to, tarGz(entries));
}
