// Read a support bundle for --from-bundle: its facts (a --save-facts snapshot, replayed exactly as
// --from-facts replays one) and its meta.json. Every problem is one line (exit 2).
import { readFileSync } from 'node:fs';
import { ConfigError, fileProblem } from '../errors.ts';
import { parseSnapshot, type FactSnapshot } from '../facts/snapshot.ts';
import { BUNDLE_FILES, BUNDLE_FORMAT, BUNDLE_KIND, type BundleMeta } from './format.ts';
import { untarGz } from './tar.ts';

export interface ReadBundle {
  snapshot: FactSnapshot;
  meta: BundleMeta;
  /** Every file, by its path inside the bundle's directory. */
  files: Map<string, Buffer>;
}

const HINT = 'give a file written by coder-preflight --bundle <file.tar.gz>';

export function readBundle(file: string): ReadBundle {
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch (e) {
    throw new ConfigError(`cannot read bundle ${file}: ${fileProblem(e)}`, HINT);
  }
  let entries;
  try {
    entries = untarGz(raw);
  } catch (e) {
    throw new ConfigError(`bundle ${file} is not a gzipped tar archive (${(e as Error).message.split('\n')[0]})`, HINT);
  }
  // Files sit in one top directory (coder-preflight-bundle/); accept them at the top level too (re-packed by hand).
  const files = new Map<string, Buffer>();
  for (const e of entries) {
    const parts = e.path.split('/').filter(Boolean);
    const inDir = parts.length > 1 ? parts.slice(1).join('/') : parts.join('/');
    files.set(inDir, Buffer.from(e.data));
  }
  const metaText = files.get(BUNDLE_FILES.meta);
  const factsText = files.get(BUNDLE_FILES.facts);
  if (!metaText || !factsText) throw new ConfigError(`${file} is not a coder-preflight bundle (no ${!metaText ? BUNDLE_FILES.meta : BUNDLE_FILES.facts} in it)`, HINT);
  let meta: Partial<BundleMeta>;
  try {
    meta = JSON.parse(metaText.toString('utf8')) as Partial<BundleMeta>;
  } catch {
    throw new ConfigError(`the ${BUNDLE_FILES.meta} of bundle ${file} is not JSON`, HINT);
  }
  if (meta.kind !== BUNDLE_KIND) throw new ConfigError(`${file} is not a coder-preflight bundle (${BUNDLE_FILES.meta} kind is not "${BUNDLE_KIND}")`, HINT);
  if (meta.formatVersion !== BUNDLE_FORMAT) throw new ConfigError(`bundle ${file} has format version ${String(meta.formatVersion)}; this coder-preflight reads version ${BUNDLE_FORMAT}`, 'replay it with the coder-preflight version that wrote it');
  const snapshot = parseSnapshot(factsText.toString('utf8'), `${file} (${BUNDLE_FILES.facts})`);
  return { snapshot, meta: meta as BundleMeta, files };
}
