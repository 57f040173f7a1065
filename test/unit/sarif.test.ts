// SARIF output, validated against the SARIF 2.1.0 JSON Schema (test/helpers/sarif-schema.ts), and
// the -o sarif=<file> path through the CLI's own main().
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checks } from '../../checks/index.ts';
import { main } from '../../src/app.ts';
import type { Report } from '../../src/report/model.ts';
import { render } from '../../src/report/renderers.ts';
import { artifactUri, PLACEHOLDER_URI, renderSarif, ruleName } from '../../src/report/sarif.ts';
import { assertValidReport, report, result } from '../helpers/report.ts';
import { sarifProblems } from '../helpers/sarif-schema.ts';

const file = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));

interface Sarif {
  $schema: string;
  version: string;
  runs: {
    tool: { driver: { name: string; version: string; semanticVersion?: string; informationUri: string; rules: Rule[] } };
    invocations: { executionSuccessful: boolean; exitCode: number; startTimeUtc: string; endTimeUtc?: string }[];
    results: SarifResult[];
    properties: Record<string, unknown>;
  }[];
}
interface Rule {
  id: string;
  name: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  help: { text: string; markdown: string };
  helpUri?: string;
  properties: { category: string; tags: string[] };
}
interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: { text: string };
  locations: { physicalLocation: { artifactLocation: { uri: string }; region: Record<string, number> }; logicalLocations: { name: string; fullyQualifiedName: string }[] }[];
  partialFingerprints: { primaryLocationLineHash: string };
  properties: { status: string; undecided?: boolean; evidence: Record<string, unknown>; vantage: string };
}

/** Parse and validate; throws with every schema violation listed. */
function parseSarif(text: string): Sarif {
  const json = JSON.parse(text);
  const problems = sarifProblems(json);
  if (problems) throw new Error(`not valid SARIF 2.1.0:\n${problems}`);
  return json as Sarif;
}

const ids = {
  pass: 'postgres.connect',
  warn: 'postgres.version',
  fail: 'kubernetes.api',
  skip: 'kubernetes.storage-class',
  error: 'kubernetes.cni',
} as const;

const mixed = report(
  [
    result({ id: ids.pass, status: 'pass', evidence: { serverVersion: '17.2', tls: true } }),
    result({ id: ids.warn, status: 'warn', summary: 'PostgreSQL 13 is below the recommended 14', evidence: { major: 13 }, vantage: 'this machine (ci-runner)' }),
    result({ id: ids.fail, status: 'fail', summary: 'the API server <x> & "y" did not answer', remediation: 'check --kubeconfig' }),
    result({ id: ids.skip, status: 'skip', summary: 'no cluster', remediation: 'pass --kubeconfig' }),
    result({ id: ids.error, status: 'error', summary: 'forbidden: cannot list daemonsets', remediation: 'grant list on daemonsets', evidence: { reason: 'forbidden' } }),
    result({ id: 'acme/postgres.same-region', status: 'fail', summary: 'database in eu-west-1, nodes in us-east-1', docs: 'https://example.com/region' }),
  ],
  { exitCode: 3, target: { kubernetes: { context: 'admin', server: 'https://127.0.0.1:6443', source: '--kubeconfig' }, postgres: { url: 'postgres://coder:[REDACTED]@db:5432/coder', source: '--postgres-url' }, namespace: 'coder', valuesFile: 'deploy/values.yaml', vantage: 'this machine (test)' } },
);

describe('SARIF renderer', () => {
  const sarif = parseSarif(renderSarif(mixed, checks));
  const run = sarif.runs[0]!;
  const resultFor = (id: string) => run.results.find((r) => r.ruleId === id);

  it('is valid SARIF 2.1.0 with one run and the tool described', () => {
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.$schema).toBe('https://json.schemastore.org/sarif-2.1.0.json');
    expect(sarif.runs).toHaveLength(1);
    expect(run.tool.driver).toMatchObject({ name: 'coder-preflight', version: '0.0.0-test', semanticVersion: '0.0.0-test' });
    expect(run.tool.driver.informationUri).toMatch(/^https:\/\//);
    expect(run.invocations[0]).toMatchObject({ executionSuccessful: true, exitCode: 3, startTimeUtc: mixed.startedAt, endTimeUtc: '2026-11-22T00:00:01.234Z' });
  });

  it('has one rule per check in the report, from the check metadata', () => {
    expect(run.tool.driver.rules.map((r) => r.id)).toEqual(mixed.results.map((r) => r.id));
    const connect = checks.find((c) => c.id === ids.pass)!;
    const rule = run.tool.driver.rules.find((r) => r.id === ids.pass)!;
    expect(rule).toMatchObject({ name: 'PostgresConnect', shortDescription: { text: connect.title }, fullDescription: { text: connect.explain.what }, helpUri: connect.docs });
    for (const part of [connect.explain.what, connect.explain.why, connect.explain.fix, connect.docs]) {
      expect(rule.help.text).toContain(part);
      expect(rule.help.markdown).toContain(part);
    }
    expect(rule.properties.category).toBe('postgres');
    // A check the renderer has no metadata for (a plugin's, when not given) still gets a rule from the report.
    const plugin = run.tool.driver.rules.find((r) => r.id === 'acme/postgres.same-region')!;
    expect(plugin).toMatchObject({ name: 'AcmePostgresSameRegion', shortDescription: { text: 'acme/postgres.same-region title' }, helpUri: 'https://example.com/region' });
    expect(plugin.help.text).toContain('https://example.com/region');
  });

  it('has results only for warn, fail and error: fail → error, warn → warning, error → warning marked undecided', () => {
    expect(run.results.map((r) => r.ruleId).sort()).toEqual([ids.warn, ids.fail, ids.error, 'acme/postgres.same-region'].sort());
    expect(resultFor(ids.pass)).toBeUndefined();
    expect(resultFor(ids.skip)).toBeUndefined();
    expect(resultFor(ids.fail)!.level).toBe('error');
    expect(resultFor(ids.warn)!.level).toBe('warning');
    expect(resultFor(ids.error)).toMatchObject({ level: 'warning', properties: { status: 'error', undecided: true } });
    expect(resultFor(ids.fail)!.properties.undecided).toBeUndefined();
    for (const r of run.results) expect(run.tool.driver.rules[r.ruleIndex]!.id).toBe(r.ruleId);
  });

  it('says the summary and what to do, with status, evidence and vantage as properties', () => {
    expect(resultFor(ids.fail)!.message.text).toBe('the API server <x> & "y" did not answer. What to do: check --kubeconfig');
    expect(resultFor(ids.error)!.message.text).toBe('Could not decide: forbidden: cannot list daemonsets. What to do: grant list on daemonsets');
    expect(resultFor(ids.warn)!.properties).toMatchObject({ status: 'warn', evidence: { major: 13 }, vantage: 'this machine (ci-runner)' });
    // A result that names no vantage was judged from where the run ran.
    expect(resultFor(ids.error)!.properties).toMatchObject({ evidence: { reason: 'forbidden' }, vantage: 'this machine (test)' });
  });

  it('locates every result at the values file and, logically, at the check on its target; fingerprints are stable', () => {
    for (const r of run.results) {
      expect(r.locations).toHaveLength(1);
      expect(r.locations[0]!.physicalLocation).toEqual({ artifactLocation: { uri: 'deploy/values.yaml' }, region: { startLine: 1, startColumn: 1, endLine: 1, endColumn: 1 } });
      expect(r.locations[0]!.logicalLocations[0]!.name).toBe(r.ruleId);
      expect(r.partialFingerprints.primaryLocationLineHash).toMatch(/^[0-9a-f]{16}:1$/);
    }
    expect(resultFor(ids.fail)!.locations[0]!.logicalLocations[0]!.fullyQualifiedName).toContain('https://127.0.0.1:6443');
    expect(resultFor(ids.warn)!.locations[0]!.logicalLocations[0]!.fullyQualifiedName).toContain('postgres://coder:[REDACTED]@db:5432/coder');
    // The same check on the same target is the same alert next time; on another cluster it is another.
    const again = parseSarif(renderSarif({ ...mixed, startedAt: '2026-12-01T00:00:00.000Z', durationMs: 99 }, checks)).runs[0]!;
    expect(again.results.map((r) => r.partialFingerprints)).toEqual(run.results.map((r) => r.partialFingerprints));
    const other = parseSarif(renderSarif({ ...mixed, target: { ...mixed.target, kubernetes: { context: 'prod', server: 'https://prod:6443', source: 'x' } } }, checks)).runs[0]!;
    expect(other.results.find((r) => r.ruleId === ids.fail)!.partialFingerprints).not.toEqual(resultFor(ids.fail)!.partialFingerprints);
  });

  it('points at the placeholder when the values file is not a path inside the working directory', () => {
    expect(artifactUri(null)).toBe(PLACEHOLDER_URI);
    expect(artifactUri('./values.yaml')).toBe('values.yaml');
    expect(artifactUri('deploy\\my values.yaml')).toBe('deploy/my%20values.yaml');
    expect(artifactUri('../elsewhere/values.yaml')).toBe(PLACEHOLDER_URI);
    expect(artifactUri('/home/ci/work/values.yaml')).toBe('file:///home/ci/work/values.yaml');
    const none = parseSarif(renderSarif({ ...mixed, target: { ...mixed.target, valuesFile: null } }, checks)).runs[0]!;
    expect(none.results[0]!.locations[0]!.physicalLocation.artifactLocation.uri).toBe('coder-preflight');
    const abs = parseSarif(renderSarif({ ...mixed, target: { ...mixed.target, valuesFile: '/tmp/x y/values.yaml' } }, checks));
    expect(abs.runs[0]!.results[0]!.locations[0]!.physicalLocation.artifactLocation.uri).toBe('file:///tmp/x%20y/values.yaml');
  });

  it('adds nothing that is not in the report, the check metadata or the renderer itself (no environment, no host, no secret)', () => {
    process.env.CODER_PREFLIGHT_TEST_CANARY = 'canary-s3cr3t-value';
    try {
      const secretive = report([result({ id: ids.fail, status: 'fail', summary: 'password authentication failed for [REDACTED]' })], { target: { ...mixed.target, postgres: { url: 'postgres://coder:[REDACTED]@db/coder', source: 'env' } } });
      const text = renderSarif(secretive, checks);
      expect(text).not.toContain('canary-s3cr3t-value');
      expect(text).toContain('password authentication failed for [REDACTED]');
      // Every word of the output comes from the report, the checks' metadata or sarif.ts's own text.
      const allowed = [JSON.stringify(secretive), JSON.stringify(checks.map((c) => ({ ...c, evaluate: undefined }))), readFileSync(file('src/report/sarif.ts'), 'utf8')].join('\n');
      // Every string in the output, less what the renderer computes (our fingerprint hashes; the end time, start + duration).
      const leaves: string[] = [];
      const walk = (v: unknown, key = ''): void => {
        if (typeof v === 'string') {
          if (key !== 'primaryLocationLineHash' && key !== 'endTimeUtc') leaves.push(v);
        } else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, Array.isArray(v) ? key : k);
      };
      walk(JSON.parse(text));
      // Rule names are the ids in CamelCase: compare words, not case.
      const words = new Set(leaves.flatMap((l) => l.replace(/([a-z])([A-Z])/g, '$1 $2').match(/[A-Za-z0-9_]{4,}/g) ?? []).map((w) => w.toLowerCase()));
      const lower = allowed.toLowerCase();
      const foreign = [...words].filter((w) => !lower.includes(w));
      expect(foreign).toEqual([]);
    } finally {
      delete process.env.CODER_PREFLIGHT_TEST_CANARY;
    }
  });

  it('with no warn, fail or error: the rules and no results, still valid', () => {
    const quiet = parseSarif(renderSarif(report([result({ id: ids.pass, status: 'pass' }), result({ id: ids.skip, status: 'skip' })]), checks)).runs[0]!;
    expect(quiet.results).toEqual([]);
    expect(quiet.tool.driver.rules.map((r) => r.id)).toEqual([ids.pass, ids.skip]);
  });

  it('is in the renderer table as -o sarif, with the run\'s checks (built-in and plugins) for its rules', () => {
    const viaTable = parseSarif(render('sarif', mixed, { color: false, width: 80, verbose: false, checks }));
    expect(viaTable).toEqual(sarif);
    const plugin = { id: 'acme/postgres.same-region', title: 'Database and cluster share a region', category: 'postgres', docs: 'https://example.com/region', explain: { what: 'Compares regions.', why: 'Latency.', fix: 'Move one.' } };
    const withPlugin = parseSarif(render('sarif', mixed, { color: false, width: 80, verbose: false, checks: [...checks, plugin] }));
    expect(withPlugin.runs[0]!.tool.driver.rules.find((r) => r.id === plugin.id)).toMatchObject({ shortDescription: { text: plugin.title }, fullDescription: { text: 'Compares regions.' } });
  });

  it('rule names are identifiers', () => {
    expect(ruleName('postgres.listen-notify')).toBe('PostgresListenNotify');
    expect(ruleName('kubernetes.load-balancer')).toBe('KubernetesLoadBalancer');
  });
});

describe('-o sarif=<file> through the CLI (a run with nothing to check: all skips)', () => {
  const sink = () => {
    let text = '';
    return { stream: { write: (s: string) => ((text += s), true) } as unknown as NodeJS.WritableStream, text: () => text };
  };
  const io = (cwd: string) => {
    const out = sink();
    const err = sink();
    return { out, err, io: { stdout: out.stream, stderr: err.stream, env: { HOME: cwd, CI: 'true' }, cwd } };
  };

  it('writes a SARIF file that validates, with a rule per check and no results, beside the JSON report', async () => {
    const d = mkdtempSync(join(tmpdir(), 'cp-sarif-'));
    const { out, err, io: i } = io(d);
    const code = await main(['-o', `sarif=${join(d, 'preflight.sarif')}`, '-o', `json=${join(d, 'report.json')}`], i);
    expect(err.text()).toBe('');
    expect(code).toBe(0);
    expect(out.text()).toMatch(/\d+ skip — \d+ checks/); // the table still goes to stdout
    const json = JSON.parse(readFileSync(join(d, 'report.json'), 'utf8')) as Report;
    assertValidReport(json);
    const sarif = parseSarif(readFileSync(join(d, 'preflight.sarif'), 'utf8'));
    expect(sarif.runs[0]!.tool.driver.rules.map((r) => r.id)).toEqual(json.results.map((r) => r.id));
    expect(sarif.runs[0]!.tool.driver.rules.length).toBe(checks.length);
    expect(sarif.runs[0]!.results).toEqual([]);
    expect(sarif.runs[0]!.invocations[0]).toMatchObject({ executionSuccessful: true, exitCode: 0 });
  });

  it('-o sarif prints only SARIF on stdout', async () => {
    const d = mkdtempSync(join(tmpdir(), 'cp-sarif-'));
    const { out, err, io: i } = io(d);
    expect(await main(['-o', 'sarif', '--check', 'postgres'], i)).toBe(0);
    expect(err.text()).toBe('');
    const sarif = parseSarif(out.text());
    expect(sarif.runs[0]!.tool.driver.rules.every((r) => r.id.startsWith('postgres.'))).toBe(true);
  });
});

describe('the SARIF schema the tests validate against', () => {
  it('rejects what is not SARIF 2.1.0 (so a pass above means something)', () => {
    expect(sarifProblems({ version: '2.1.0', runs: 'x' })).toMatch(/runs/);
    expect(sarifProblems({ version: '2.0.0', runs: [] })).toMatch(/version/);
    expect(sarifProblems({ version: '2.1.0', runs: [{ tool: { driver: {} } }] })).toMatch(/name/);
  });
});
