// The support bundle's layout: one gzipped tar with a top directory, and in it the report in every
// form a person or a tool reads, the facts every check saw (a --save-facts file: the bundle replays
// with --from-bundle, and doubles as a test fixture), what the probes left, what ran where, and the
// redaction manifest.
export const BUNDLE_KIND = 'coder-preflight/bundle';
export const BUNDLE_FORMAT = 1;
/** Every file sits in this directory, so `tar xzf` does not spill into the working directory. */
export const BUNDLE_DIR = 'coder-preflight-bundle';

export const BUNDLE_FILES = {
  report: 'report.json',
  markdown: 'report.md',
  junit: 'junit.xml',
  html: 'report.html',
  facts: 'facts.json',
  probes: 'probes/',
  meta: 'meta.json',
  redaction: 'redaction.json',
} as const;

/** meta.json: which tool wrote the bundle, where, from what command line (secrets removed). */
export interface BundleMeta {
  kind: typeof BUNDLE_KIND;
  formatVersion: typeof BUNDLE_FORMAT;
  tool: { name: 'coder-preflight'; version: string };
  node: string;
  platform: { os: string; arch: string; release: string };
  /** The command line as given, secrets masked (and hosts, with --redact-hosts). */
  command: { argv: string[]; line: string };
  /** Which of the variables coder-preflight reads were set (values only where they are not secret). */
  environment: Record<string, string>;
  createdAt: string;
  run: { startedAt: string; durationMs: number; exitCode: number; facts: 'live' | 'snapshot' | 'bundle'; replayedFrom?: string };
  /** Where the measurements were taken. */
  vantage: { where: string; inCluster: boolean };
  hostsRedacted: boolean;
  /** The files of the bundle, relative to its directory. */
  files: string[];
  probes: string;
}
