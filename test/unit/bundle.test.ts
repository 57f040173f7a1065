// The bundle's files from a report and saved facts (no world needed): what the probe layer adds
// lands under probes/ through the redactor, meta.json masks the command line, the manifest counts
// per file, and readBundle gets the facts back in the --from-facts format.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { attachmentsFor, BundleAttachments } from '../../src/bundle/attachments.ts';
import { readBundle } from '../../src/bundle/read.ts';
import { tarGz } from '../../src/bundle/tar.ts';
import { bundleEntries, commandLine, writeBundle } from '../../src/bundle/write.ts';
import { ConfigError } from '../../src/errors.ts';
import { Resources } from '../../src/facts/collector.ts';
import { SNAPSHOT_FORMAT, SNAPSHOT_KIND, type FactSnapshot } from '../../src/facts/snapshot.ts';
import { MASK, Redactor } from '../../src/redact.ts';
import { report, result } from '../helpers/report.ts';

const SECRET = 'unit-bundle-secret-0001';
const snapshot: FactSnapshot = {
  kind: SNAPSHOT_KIND,
  formatVersion: SNAPSHOT_FORMAT,
  tool: { name: 'coder-preflight', version: '0.0.0-test' },
  savedAt: '2026-01-01T00:00:00.000Z',
  context: { profile: { name: 'baseline', source: 'default' }, deployment: { replicas: 1, replicasSource: 'default' }, vantage: 'this machine (t)', target: {}, options: {}, checks: ['postgres.connect'] },
  facts: { 'postgres.server': { ok: false, reason: 'unauthorized', message: `login failed for ${SECRET}`, durationMs: 1 } },
};

function input(attachments?: BundleAttachments) {
  const redactor = new Redactor();
  redactor.add(SECRET, 'password from --postgres-url');
  return {
    file: join(mkdtempSync(join(tmpdir(), 'cp-bundle-')), 'b.tar.gz'),
    report: report([result({ id: 'postgres.connect', status: 'fail', summary: 'refused' })]),
    renderOptions: { width: 100, verbose: false },
    snapshot,
    ...(attachments ? { attachments } : {}),
    argv: ['--postgres-url', `postgres://coder:${SECRET}@db/coder`, '--bundle', 'b.tar.gz'],
    env: { CODER_PG_CONNECTION_URL: `postgres://coder:${SECRET}@db/coder`, KUBECONFIG: '/k', HOME: '/h' },
    inCluster: false,
    redactor,
  };
}

describe('bundle files', () => {
  it('puts what the probe layer adds under probes/, redacted, events first as JSON lines', async () => {
    const resources = new Resources();
    const a = new BundleAttachments();
    await resources.use('bundle.attachments', async () => a);
    const hook = await attachmentsFor(resources);
    expect(hook).toBe(a);
    hook.addEvent({ probe: 'pvc-bind', event: 'created', object: 'PersistentVolumeClaim x/y' });
    hook.addFile('pvc-bind/pod.log', `line 1 ${SECRET}\n`);
    hook.addFile('pvc-bind/pod.log', 'line 2\n');
    hook.addFile('../../etc/passwd', 'kept inside probes/');
    const i = input(a);
    const { entries, meta } = bundleEntries(i);
    const files = new Map(entries.map((e) => [e.path, Buffer.from(e.data).toString('utf8')]));
    expect([...files.keys()]).toEqual([
      'coder-preflight-bundle/',
      'coder-preflight-bundle/probes/',
      ...['report.json', 'report.md', 'junit.xml', 'report.html', 'facts.json', 'probes/events.jsonl', 'probes/pvc-bind/pod.log', 'probes/etc/passwd', 'meta.json', 'redaction.json'].map((f) => `coder-preflight-bundle/${f}`),
    ]);
    expect(files.get('coder-preflight-bundle/probes/pvc-bind/pod.log')).toBe(`line 1 ${MASK}\nline 2\n`);
    expect(JSON.parse(files.get('coder-preflight-bundle/probes/events.jsonl')!.trim())).toMatchObject({ probe: 'pvc-bind', event: 'created', at: expect.any(String) });
    expect(meta.probes).toBe('3 files under probes/');
    const manifest = JSON.parse(files.get('coder-preflight-bundle/redaction.json')!);
    expect(manifest.secrets[0]).toMatchObject({ what: 'password from --postgres-url', masked: { 'bundle probes/pvc-bind/pod.log': 1, 'bundle facts.json': 1, 'bundle meta.json': 1 } });
    for (const [name, text] of files) expect(text, name).not.toContain(SECRET);
    expect(() => hook.addFile('../..', 'x')).toThrow(/bad probe attachment path/);
  });

  it('meta.json: the command line masked and quoted, which variables were set (no secret value), versions and vantage', () => {
    const { meta } = bundleEntries(input());
    expect(meta.command).toEqual({ argv: ['--postgres-url', `postgres://coder:${MASK}@db/coder`, '--bundle', 'b.tar.gz'], line: `coder-preflight --postgres-url 'postgres://coder:${MASK}@db/coder' --bundle b.tar.gz` });
    expect(meta.environment).toEqual({ KUBECONFIG: '/k', CODER_PG_CONNECTION_URL: 'set (value not shown)' });
    expect(meta).toMatchObject({ kind: 'coder-preflight/bundle', formatVersion: 1, node: process.version, vantage: { where: 'this machine (test)', inCluster: false }, hostsRedacted: false, run: { facts: 'live', exitCode: 0 } });
    expect(commandLine(["it's", 'a b', 'plain'])).toBe(`coder-preflight 'it'\\''s' 'a b' plain`);
  });

  it('readBundle gets the snapshot back; a file that is not a bundle is a ConfigError', () => {
    const i = input();
    writeBundle(i);
    const back = readBundle(i.file);
    expect(back.snapshot).toMatchObject({ kind: SNAPSHOT_KIND, tool: snapshot.tool, context: { checks: ['postgres.connect'] } });
    expect(back.snapshot.facts['postgres.server']).toMatchObject({ message: `login failed for ${MASK}` });
    expect(back.meta.files).toEqual(['report.json', 'report.md', 'junit.xml', 'report.html', 'facts.json', 'meta.json', 'redaction.json']);
    const d = mkdtempSync(join(tmpdir(), 'cp-bundle-'));
    writeFileSync(join(d, 'x.tar.gz'), tarGz([{ path: 'x/readme.txt', data: Buffer.from('hi') }]));
    expect(() => readBundle(join(d, 'x.tar.gz'))).toThrow(ConfigError);
    expect(() => readBundle(join(d, 'x.tar.gz'))).toThrow(/is not a coder-preflight bundle \(no meta\.json in it\)/);
  });
});
