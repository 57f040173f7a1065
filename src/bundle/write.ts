// Write the support bundle: every file goes through the run's redactor (counted per file for the
// manifest), then one gzipped tar is written with mode 0600 (it describes the customer's systems).
import { writeFileSync } from 'node:fs';
import { arch, platform, release } from 'node:os';
import { ConfigError, errorMessage } from '../errors.ts';
import type { FactSnapshot } from '../facts/snapshot.ts';
import type { Redactor } from '../redact.ts';
import type { Report } from '../report/model.ts';
import { render, type RenderOptions } from '../report/renderers.ts';
import { VERSION } from '../version.ts';
import type { BundleAttachments } from './attachments.ts';
import { BUNDLE_DIR, BUNDLE_FILES, BUNDLE_FORMAT, BUNDLE_KIND, type BundleMeta } from './format.ts';
import { tarGz, type TarEntry } from './tar.ts';

export interface BundleInput {
  file: string;
  /** The report (already redacted; rendered here again through the redactor). */
  report: Report;
  renderOptions: Omit<RenderOptions, 'color'>;
  /** The facts every check saw, with the run's settings (redacted here). */
  snapshot: FactSnapshot;
  attachments?: BundleAttachments;
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  inCluster: boolean;
  redactor: Redactor;
}

/** Variables coder-preflight reads, and whether their value may be shown. */
const ENV: Record<string, boolean> = { KUBECONFIG: true, CODER_PG_CONNECTION_URL: false, CODER_PG_AUTH: true, CI: true, NO_COLOR: true, KUBERNETES_SERVICE_HOST: true };

/** A shell-quoted command line (for reading, not for running: secrets are masked). */
export function commandLine(argv: readonly string[]): string {
  return ['coder-preflight', ...argv].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export function bundleEntries(i: BundleInput): { entries: TarEntry[]; meta: BundleMeta } {
  const r = i.redactor;
  const at = (name: string) => `bundle ${name}`;
  const mtime = Math.floor(Date.now() / 1000);
  const files: { path: string; data: Buffer }[] = [];
  const text = (name: string, s: string) => files.push({ path: name, data: Buffer.from(r.redact(s, at(name)), 'utf8') });
  const opts = { ...i.renderOptions, color: false };

  text(BUNDLE_FILES.report, render('json', i.report, opts));
  text(BUNDLE_FILES.markdown, render('markdown', i.report, opts));
  text(BUNDLE_FILES.junit, render('junit', i.report, opts));
  text(BUNDLE_FILES.html, render('html', i.report, opts));
  text(BUNDLE_FILES.facts, `${JSON.stringify(r.redactValue(i.snapshot, at(BUNDLE_FILES.facts)), null, 2)}\n`);
  const probes = i.attachments?.entries() ?? [];
  for (const p of probes) {
    const name = `${BUNDLE_FILES.probes}${p.path}`;
    // Probe files are text (events, pod logs); anything else is kept as it is, masked only where its bytes are text.
    files.push({ path: name, data: Buffer.from(r.redact(p.data.toString('utf8'), at(name)), 'utf8') });
  }

  const environment: Record<string, string> = {};
  for (const [k, show] of Object.entries(ENV)) if (i.env[k] !== undefined) environment[k] = show ? i.env[k]! : 'set (value not shown)';
  const argv = i.argv.map((a) => r.redact(a, at(BUNDLE_FILES.meta)));
  const f = i.report.facts;
  const meta: BundleMeta = {
    kind: BUNDLE_KIND,
    formatVersion: BUNDLE_FORMAT,
    tool: { name: 'coder-preflight', version: VERSION },
    node: process.version,
    platform: { os: platform(), arch: arch(), release: release() },
    command: { argv, line: commandLine(argv) },
    environment,
    createdAt: new Date().toISOString(),
    run: { startedAt: i.report.startedAt, durationMs: i.report.durationMs, exitCode: i.report.exitCode, facts: f?.source ?? 'live', ...(f?.file ? { replayedFrom: f.file } : {}) },
    vantage: { where: i.report.target.vantage, inCluster: i.inCluster },
    hostsRedacted: r.hosts,
    files: [...files.map((x) => x.path), BUNDLE_FILES.meta, BUNDLE_FILES.redaction],
    probes: probes.length ? `${probes.length} file${probes.length === 1 ? '' : 's'} under probes/` : 'no probe ran (probes run with --active or --probe); probes/ is empty',
  };
  text(BUNDLE_FILES.meta, `${JSON.stringify(meta, null, 2)}\n`);
  // Last, so it counts every other file; it holds no value to mask, but goes through the redactor too.
  const manifest = { kind: 'coder-preflight/redaction', formatVersion: 1, note: 'What was masked, where and how many times; never the values. "bundle <file>" is a file of this bundle; "stdout", "stderr" and "file <path>" are the run\'s other outputs; "fact <id>" and "result <id>" are masks made while gathering and judging (the outputs then hold the masked text).', ...r.manifest() };
  text(BUNDLE_FILES.redaction, `${JSON.stringify(manifest, null, 2)}\n`);

  const entries: TarEntry[] = [
    { path: `${BUNDLE_DIR}/`, data: Buffer.alloc(0), mtime },
    { path: `${BUNDLE_DIR}/${BUNDLE_FILES.probes}`, data: Buffer.alloc(0), mtime },
    ...files.map((x) => ({ path: `${BUNDLE_DIR}/${x.path}`, data: x.data, mtime })),
  ];
  return { entries, meta };
}

export function writeBundle(i: BundleInput): { bytes: number; meta: BundleMeta } {
  const { entries, meta } = bundleEntries(i);
  const archive = tarGz(entries);
  try {
    writeFileSync(i.file, archive, { mode: 0o600 });
  } catch (e) {
    throw new ConfigError(`cannot write the bundle ${i.file}: ${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}`, 'choose a path you can write to for --bundle');
  }
  return { bytes: archive.length, meta };
}
