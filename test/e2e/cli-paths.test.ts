// CLI paths the other e2e files do not take: --verbose and --debug output, more usage errors, and
// the other ways to name a cluster — several files in KUBECONFIG, and the in-cluster service account.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { Report } from '../../src/report/model.ts';
import { cleanEnv, cliBin, expectUsageError, hasCommand, nodeBin, resultOf, root, runCli, runJson, type CliRun } from '../helpers/cli.ts';
import { assertValidReport } from '../helpers/report.ts';
import { kubeConfig } from '../world/kube/kube.ts';
import { resetScenario } from '../world/kube/scenario.ts';
import { createTokenUser } from '../world/kube/users.ts';

const kube = inject('kube');
const kc = kubeConfig(kube, 'admin');
const SCENARIO = `cli-paths-${process.pid}`;
const tmp = () => mkdtempSync(join(tmpdir(), 'cp-e2e-paths-'));
const isRoot = process.getuid?.() === 0;

afterAll(async () => {
  await resetScenario(kc, SCENARIO);
});

/** One line on stderr, no stack trace, exit 2. */

describe('usage errors: one line, a hint, exit 2', () => {
  it('an invalid --replicas', async () => {
    for (const n of ['0', 'three', '2.5', '1001']) {
      expectUsageError(await runCli(['--replicas', n]), new RegExp(`^coder-preflight: --replicas "${n.replace('.', '\\.')}" is not a replica count\\n  hint: give the number of Coder replicas, e.g. --replicas 3\\n$`));
    }
  });
  it('explain without a check id, or with two', async () => {
    expectUsageError(await runCli(['explain']), /^coder-preflight: explain needs a check id\n {2}hint: e\.g\. coder-preflight explain postgres\.connect/);
    expectUsageError(await runCli(['explain', 'postgres.connect', 'postgres.version']), /^coder-preflight: unexpected argument "postgres\.version"\n {2}hint: explain takes one check id\n$/);
  });
  it('an unexpected positional argument', async () => {
    expectUsageError(await runCli(['run', 'postgres.connect']), /^coder-preflight: unexpected argument "postgres\.connect"\n {2}hint: see coder-preflight --help\n$/);
    expectUsageError(await runCli(['list', 'extra']), /^coder-preflight: unexpected argument "extra"\n/);
  });
  it('-o json=<a directory>', async () => {
    const d = tmp();
    expectUsageError(await runCli(['-o', `json=${d}`]), new RegExp(`^coder-preflight: cannot write ${d}: it is a directory\\n  hint: give a file name\\n$`));
  });
});

describe('--verbose and --debug', () => {
  const args = ['--kubeconfig', kube.kubeconfig, '--check', 'kubernetes.api,postgres.connect'];

  it('--verbose adds an Evidence section with each result\'s evidence', async () => {
    const plain = await runCli(args);
    expect(plain.code).toBe(0);
    expect(plain.stdout).not.toContain('Evidence:');
    const r = await runCli([...args, '--verbose']);
    expect(r.code).toBe(0);
    const evidence = r.stdout.slice(r.stdout.indexOf('\nEvidence:\n'));
    expect(evidence).toMatch(/^\nEvidence:\n/);
    const line = /^ {2}kubernetes\.api: (\{.*\})$/m.exec(evidence);
    expect(line, r.stdout).not.toBeNull();
    expect(JSON.parse(line![1]!)).toMatchObject({ server: kube.server, context: kube.contexts.admin, kubeconfig: '--kubeconfig', version: kube.version });
    expect(evidence).toMatch(/^ {2}postgres\.connect: \{"reason":"not-configured","fact":"postgres\.server"\}$/m);
  });

  it('--debug prints a line per gathered fact on stderr: ok with its time, or the failure', async () => {
    const r = await runCli([...args, '--debug']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^debug: fact kubernetes\.version: ok \((started \+\d+(\.\d+)? ms, )?\d+(\.\d+)? ms\)$/m);
    expect(r.stderr).toMatch(/^debug: fact postgres\.server: not-configured: No database configured \((started \+\d+(\.\d+)? ms, )?\d+(\.\d+)? ms\)$/m);
    expect(r.stdout).toContain('kubernetes.api');
  });
});

/** A kubeconfig file holding one context of the admin kubeconfig (with its cluster and user). */
function onlyContext(name: string): string {
  const doc = parse(readFileSync(kube.kubeconfig, 'utf8')) as { contexts: { name: string; context: { cluster: string; user: string } }[]; users: { name: string }[]; clusters: { name: string }[] } & Record<string, unknown>;
  const ctx = doc.contexts.find((c) => c.name === name)!;
  const out = {
    ...doc,
    contexts: [ctx],
    users: doc.users.filter((u) => u.name === ctx.context.user),
    clusters: doc.clusters.filter((c) => c.name === ctx.context.cluster),
    'current-context': name,
  };
  const f = join(tmp(), `${name}.kubeconfig`);
  writeFileSync(f, stringify(out));
  return f;
}

describe('several files in KUBECONFIG, merged like kubectl', () => {
  it('a context from the second file is usable with --context; missing entries are skipped; the first current-context wins', async () => {
    // Both files name the same cluster (as kubeconfigs for one cluster do); the viewer's context and
    // user are only in the second.
    const admin = onlyContext(kube.contexts.admin);
    const viewer = onlyContext(kube.contexts.viewer);
    expect(readFileSync(admin, 'utf8')).not.toContain(kube.contexts.viewer);
    const env = cleanEnv({ KUBECONFIG: [join(tmp(), 'missing.kubeconfig'), admin, viewer].join(':') });

    const { r, report } = await runJson(['--context', kube.contexts.viewer, '--check', 'kubernetes.api,kubernetes.cni'], env);
    const api = resultOf(report, 'kubernetes.api');
    expect(api, JSON.stringify(api)).toMatchObject({ status: 'pass', evidence: { context: kube.contexts.viewer, kubeconfig: 'KUBECONFIG', server: kube.server } });
    // Listing DaemonSets needs the viewer's credentials from the second file (anonymous may not).
    expect(resultOf(report, 'kubernetes.cni').status).not.toBe('error');
    expect(r.code).toBe(0);
    expect(report.target.kubernetes).toMatchObject({ context: kube.contexts.viewer });

    const first = await runJson(['--check', 'kubernetes.api'], env);
    expect(resultOf(first.report, 'kubernetes.api')).toMatchObject({ status: 'pass', evidence: { context: kube.contexts.admin } });
  });
});

/** Run the CLI inside its own mount namespace, with `files` as /var/run/secrets/kubernetes.io/serviceaccount. */
function runInPod(files: Record<string, string>, args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  const src = tmp();
  for (const [name, content] of Object.entries(files)) writeFileSync(join(src, name), content);
  // A tmpfs over /run (what /var/run points to) in a private mount namespace: the machine's own
  // /run is never touched, and the directory exists only for this process.
  const script = [
    'set -e',
    'run=$(readlink -f /var/run)',
    'mount -t tmpfs -o mode=755 tmpfs "$run"',
    'sa=/var/run/secrets/kubernetes.io/serviceaccount',
    'mkdir -p "$sa"',
    `cp "${src}"/* "$sa"/`,
    'exec "$@"',
  ].join('\n');
  return new Promise((resolve, reject) => {
    const child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', nodeBin, cliBin, ...args], { env, cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

describe.skipIf(!isRoot || !hasCommand('unshare'))('in a pod: the in-cluster service account', () => {
  it('with no kubeconfig, uses KUBERNETES_SERVICE_HOST/PORT and the mounted token, CA and namespace', async () => {
    const user = await createTokenUser(kc, kube, SCENARIO, { name: `in-cluster-${process.pid}`, rules: [{ apiGroups: ['apps'], resources: ['daemonsets'], verbs: ['list'] }] });
    const port = new URL(kube.server).port;
    const env = cleanEnv({ KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: port });
    const r = await runInPod({ token: user.token, 'ca.crt': readFileSync(kube.caFile, 'utf8'), namespace: user.namespace }, ['--check', 'kubernetes.api,kubernetes.cni', '-o', 'json'], env);
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout) as Report;
    assertValidReport(report);
    const api = resultOf(report, 'kubernetes.api');
    expect(api).toMatchObject({
      status: 'pass',
      summary: `API server https://127.0.0.1:${port} answers: Kubernetes ${kube.version} (context in-cluster)`,
      evidence: { server: `https://127.0.0.1:${port}`, context: 'in-cluster', kubeconfig: 'in-cluster service account', version: kube.version },
    });
    expect(report.target.kubernetes).toMatchObject({ server: `https://127.0.0.1:${port}`, context: 'in-cluster' });
    // Listing DaemonSets is what the token's ClusterRole allows: the token was sent, not nothing.
    expect(resultOf(report, 'kubernetes.cni').status).not.toBe('error');
    expect(r.code).toBe(0);
  });

  it('without the token file it is not configured (and never reads the machine\'s real /var/run)', async () => {
    const r = await runInPod({ 'ca.crt': readFileSync(kube.caFile, 'utf8') }, ['--check', 'kubernetes.api', '-o', 'json'], cleanEnv({ KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: new URL(kube.server).port }));
    const report = JSON.parse(r.stdout) as Report;
    expect(resultOf(report, 'kubernetes.api'), r.stdout).toMatchObject({ status: 'skip', summary: 'No Kubernetes cluster configured', remediation: expect.stringMatching(/^no kubeconfig found/) });
    expect(r.code).toBe(0);
  });
});
