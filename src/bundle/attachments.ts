// What the probes leave for the support bundle: their events and the logs of the pods they ran.
// The probe layer calls `attachmentsFor(ctx.resources)` (or takes the run's `BundleAttachments`
// directly) and adds files; the bundle writes them under probes/, through the redactor like every
// other file. Without --bundle the run still collects them (cheaply, in memory) and drops them.
import type { Resources } from '../facts/collector.ts';

/** The hook the probe layer writes to. */
export interface ProbeAttachments {
  /** A file under probes/ in the bundle, e.g. addFile('pvc-bind/pod.log', text). Adding a path again appends. */
  addFile(path: string, content: string | Uint8Array): void;
  /** One event (a probe started, an object created or removed, a measurement), kept in order in probes/events.jsonl. */
  addEvent(event: Record<string, unknown>): void;
}

/** The key the run's attachments are kept under in the run's Resources. */
export const ATTACHMENTS_RESOURCE = 'bundle.attachments';

export class BundleAttachments implements ProbeAttachments {
  private readonly files = new Map<string, Buffer[]>();
  private readonly events: Record<string, unknown>[] = [];

  addFile(path: string, content: string | Uint8Array): void {
    const clean = safePath(path);
    const parts = this.files.get(clean) ?? [];
    parts.push(Buffer.from(content));
    this.files.set(clean, parts);
  }

  addEvent(event: Record<string, unknown>): void {
    this.events.push({ at: new Date().toISOString(), ...event });
  }

  /** Files to write under probes/ (paths relative to it): events.jsonl first when there are events. */
  entries(): { path: string; data: Buffer }[] {
    const out: { path: string; data: Buffer }[] = [];
    if (this.events.length) out.push({ path: 'events.jsonl', data: Buffer.from(this.events.map((e) => JSON.stringify(e)).join('\n') + '\n') });
    for (const [path, parts] of this.files) out.push({ path, data: Buffer.concat(parts) });
    return out;
  }

  get empty(): boolean {
    return this.events.length === 0 && this.files.size === 0;
  }
}

/** The run's attachments, from a collector's or probe's context (`ctx.resources`). */
export function attachmentsFor(resources: Resources): Promise<ProbeAttachments> {
  return resources.use(ATTACHMENTS_RESOURCE, async () => new BundleAttachments());
}

/** A relative path without "..", leading "/" or empty parts (a probe names its files; nothing escapes probes/). */
function safePath(path: string): string {
  const parts = path.split(/[\\/]+/).filter((p) => p !== '' && p !== '.' && p !== '..');
  if (!parts.length) throw new Error(`bad probe attachment path "${path}"`);
  return parts.join('/');
}
