// Saved facts: a FactSource over plain JSON, written by --save-facts and read by --from-facts (and
// by the check tester). Settings are saved with the facts, so a replay judges exactly as the run
// did (after Lighthouse's asset-saver: -G saves artifacts with their settings, -A audits them later).
import { readFileSync } from 'node:fs';
import { ConfigError, fileProblem } from '../errors.ts';
import type { Deployment, Options, Profile } from '../engine/types.ts';
import type { FactId, FactMap, FactResult, FactSource } from './types.ts';

export const SNAPSHOT_KIND = 'coder-preflight/facts';
export const SNAPSHOT_FORMAT = 1;

/** The run a snapshot came from: enough to judge again exactly as it did. */
export interface SavedContext {
  profile: Profile;
  deployment: Deployment;
  vantage: string;
  /** The described target (no secrets), as in the report. */
  target: unknown;
  /** Each check's resolved options (defaults for the profile with config overrides), by check id. */
  options: Record<string, Options & { source: string }>;
  /** The checks that ran. */
  checks: string[];
}

export interface FactSnapshot {
  kind: typeof SNAPSHOT_KIND;
  formatVersion: typeof SNAPSHOT_FORMAT;
  tool: { name: 'coder-preflight'; version: string };
  savedAt: string;
  context: SavedContext;
  facts: Record<string, FactResult<unknown>>;
}

export class SnapshotFactSource implements FactSource {
  private readonly facts: Record<string, FactResult<unknown>>;
  private readonly read = new Set<string>();
  private readonly from: string;

  constructor(facts: Record<string, FactResult<unknown>>, from = 'the snapshot') {
    this.facts = facts;
    this.from = from;
  }

  async get<K extends FactId>(id: K): Promise<FactResult<FactMap[K]>> {
    this.read.add(id);
    const f = Object.hasOwn(this.facts, id) ? this.facts[id] : undefined;
    if (f) return f as FactResult<FactMap[K]>;
    return {
      ok: false,
      reason: 'not-collected',
      message: `${id} is not in ${this.from} (the run that saved it did not gather it)`,
      hint: 'save the facts again from a live run that includes this check (--save-facts)',
      durationMs: 0,
    };
  }

  async snapshot(): Promise<Record<string, FactResult<unknown>>> {
    const out: Record<string, FactResult<unknown>> = {};
    for (const id of this.read) if (this.facts[id]) out[id] = this.facts[id]!;
    return out;
  }
}

/** Read and validate a snapshot file; every problem is one line (exit 2). */
export function readSnapshot(file: string): FactSnapshot {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read facts file ${file}: ${fileProblem(e)}`, 'give a file written by --save-facts');
  }
  return parseSnapshot(text, file);
}

/** Validate a snapshot's text (a facts file, or the facts.json of a support bundle). */
export function parseSnapshot(text: string, file: string): FactSnapshot {
  let doc: Partial<FactSnapshot>;
  try {
    doc = JSON.parse(text) as Partial<FactSnapshot>;
  } catch {
    throw new ConfigError(`facts file ${file} is not JSON`, 'give a file written by --save-facts');
  }
  if (!doc || typeof doc !== 'object' || doc.kind !== SNAPSHOT_KIND) throw new ConfigError(`${file} is not a coder-preflight facts snapshot (kind is not "${SNAPSHOT_KIND}")`, 'give a file written by --save-facts');
  if (doc.formatVersion !== SNAPSHOT_FORMAT) {
    throw new ConfigError(`facts file ${file} has format version ${String(doc.formatVersion)}; this coder-preflight reads version ${SNAPSHOT_FORMAT}`, 'replay it with the coder-preflight version that saved it');
  }
  if (!doc.facts || typeof doc.facts !== 'object' || !doc.context || typeof doc.context !== 'object') throw new ConfigError(`facts file ${file} has no facts or no context`, 'give a file written by --save-facts');
  return doc as FactSnapshot;
}
