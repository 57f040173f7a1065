// The CI examples (examples/ci/) are valid YAML, pin every action to a commit, call coder-preflight
// with flags and formats it has, publish the files it writes, and appear verbatim in docs/ci.md.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { OPTIONS } from '../../src/cli/options.ts';
import { FORMATS } from '../../src/report/renderers.ts';

const read = (p: string) => readFileSync(fileURLToPath(new URL(`../../${p}`, import.meta.url)), 'utf8');
const GITHUB = 'examples/ci/github-actions.yml';
const GITLAB = 'examples/ci/gitlab-ci.yml';

const longFlags = new Set(Object.keys(OPTIONS).map((k) => `--${k}`));
const shortFlags = new Set(Object.values(OPTIONS).flatMap((o) => ('short' in o ? [`-${o.short}`] : [])));

/** Each coder-preflight command line in a shell script: its words after the program name. */
function invocations(script: string): string[][] {
  const joined = script.replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .filter((line) => /\bcoder-preflight(@\S*)?["']?\s/.test(line) && !line.trim().startsWith('#') && !line.includes('echo '))
    .map((line) => {
      const rest = line.slice(line.search(/coder-preflight/));
      return (rest.match(/"[^"]*"|'[^']*'|\S+/g) ?? []).slice(1).map((w) => w.replace(/^(["'])(.*)\1$/, '$2'));
    });
}

/** The --output values of a command line: format → file. */
function outputs(words: string[]): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  words.forEach((w, i) => {
    if ((w === '-o' || w === '--output') && words[i + 1]) {
      const [format, ...file] = words[i + 1]!.split('=');
      out.set(format!, file.length ? file.join('=').replace(/^"(.*)"$/, '$1') : undefined);
    }
  });
  return out;
}

function expectKnownFlags(words: string[], where: string) {
  expect(words.length, `${where}: a coder-preflight command`).toBeGreaterThan(0);
  for (const w of words) {
    if (!w.startsWith('-')) continue;
    const flag = w.split('=')[0]!;
    if (flag.startsWith('--')) expect(longFlags, `${flag} in ${where}`).toContain(flag);
    else expect(shortFlags, `${flag} in ${where}`).toContain(flag);
  }
  for (const format of outputs(words).keys()) expect(FORMATS, `-o ${format} in ${where}`).toContain(format);
}

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, string>;
}

describe('GitHub Actions workflow', () => {
  const text = read(GITHUB);
  const doc = parse(text) as { on: Record<string, unknown>; jobs: Record<string, { steps: Step[]; permissions?: Record<string, string> }> };
  const steps = Object.values(doc.jobs).flatMap((j) => j.steps);
  const commands = steps.flatMap((s) => (s.run ? invocations(s.run) : []));

  it('runs on pushes, pull requests and a schedule', () => {
    expect(Object.keys(doc.on)).toEqual(expect.arrayContaining(['push', 'pull_request', 'schedule']));
  });

  it('pins every action to a full commit SHA, with the version as a comment', () => {
    const uses = steps.flatMap((s) => (s.uses ? [s.uses] : []));
    expect(uses.length).toBeGreaterThanOrEqual(3);
    for (const u of uses) expect(u, u).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
    const lines = text.split('\n').filter((l) => /^\s*(-\s+)?uses:/.test(l));
    expect(lines).toHaveLength(uses.length);
    for (const l of lines) expect(l, l).toMatch(/@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
  });

  it('calls coder-preflight with known flags, -o junit=… and -o sarif=…, and gates on warnings', () => {
    expect(commands).toHaveLength(1);
    const words = commands[0]!;
    expectKnownFlags(words, GITHUB);
    const o = outputs(words);
    expect(o.get('junit')).toMatch(/\.xml$/);
    expect(o.get('sarif')).toMatch(/\.sarif$/);
    expect(words.join(' ')).toContain('--fail-on warn');
  });

  it('uploads the SARIF file it wrote to code scanning, with the permission that needs', () => {
    const sarif = outputs(commands[0]!).get('sarif');
    const upload = steps.find((s) => s.uses?.startsWith('github/codeql-action/upload-sarif@'));
    expect(upload?.with?.sarif_file).toBe(sarif);
    expect(Object.values(doc.jobs).some((j) => j.permissions?.['security-events'] === 'write')).toBe(true);
    expect(steps.some((s) => s.uses?.startsWith('actions/upload-artifact@'))).toBe(true);
  });

  it('takes the kubeconfig and the database URL from secrets, and explains every exit code', () => {
    expect(text).toMatch(/\$\{\{ secrets\.PREFLIGHT_KUBECONFIG \}\}/);
    expect(text).toMatch(/CODER_PG_CONNECTION_URL: \$\{\{ secrets\.CODER_PG_CONNECTION_URL \}\}/);
    const gate = steps.find((s) => s.run?.includes('case "$CODE"'))!;
    for (const code of [0, 1, 2, 3, 4]) expect(gate.run).toMatch(new RegExp(`^\\s*${code}\\) `, 'm'));
  });
});

describe('GitLab CI job', () => {
  const doc = parse(read(GITLAB)) as Record<string, { script: string[]; artifacts: { when: string; paths: string[]; reports: { junit: string } }; allow_failure?: { exit_codes: number[] } }>;
  const job = doc['coder-preflight']!;
  const commands = job.script.flatMap(invocations);

  it('calls coder-preflight with known flags, -o junit=… and -o sarif=…', () => {
    expect(commands).toHaveLength(1);
    expectKnownFlags(commands[0]!, GITLAB);
    const o = outputs(commands[0]!);
    expect(o.get('junit')).toMatch(/\.xml$/);
    expect(o.get('sarif')).toMatch(/\.sarif$/);
  });

  it('reports the JUnit file it wrote and keeps the SARIF file, also when the job fails', () => {
    const o = outputs(commands[0]!);
    expect(job.artifacts.reports.junit).toBe(o.get('junit'));
    expect(job.artifacts.when).toBe('always');
    expect(job.artifacts.paths.some((p) => o.get('sarif')!.startsWith(p))).toBe(true);
    expect(job.allow_failure?.exit_codes).toEqual([4]);
  });
});

describe('docs/ci.md', () => {
  const md = read('docs/ci.md');
  it('shows both files as they are', () => {
    for (const f of [GITHUB, GITLAB]) {
      expect(md, `${f} is not in docs/ci.md verbatim`).toContain(`\`\`\`yaml\n${read(f)}\`\`\``);
      expect(md).toContain(`(../${f})`);
    }
  });
  it('explains exit codes 0 to 4 and --fail-on warn', () => {
    for (const code of [0, 1, 2, 3, 4]) expect(md).toMatch(new RegExp(`^\\| ${code} \\|`, 'm'));
    expect(md).toContain('--fail-on warn');
  });
});
