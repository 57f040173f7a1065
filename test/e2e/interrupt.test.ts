// A server that accepts and never answers: the run must end on --timeout, on Ctrl-C and SIGTERM,
// and never hang; the result says what happened. A second Ctrl-C quits at once, even while a
// client's cleanup would wait forever.
import { createServer, type Server, type Socket } from 'node:net';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, cliBin, nodeBin, runCli } from '../helpers/cli.ts';

let server: Server;
let port = 0;
const sockets = new Set<Socket>();
let accepted = 0;
let stuckPlugin = '';

beforeAll(async () => {
  server = createServer((s) => {
    sockets.add(s);
    accepted++;
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
  // A plugin whose client connects to the black hole and, when closed, waits for the server to
  // close the connection too — which it never does: a cleanup that never finishes.
  stuckPlugin = join(mkdtempSync(join(tmpdir(), 'cp-e2e-stuck-')), 'stuck.mjs');
  writeFileSync(
    stuckPlugin,
    `import { connect } from 'node:net';
export default {
  name: 'stuck',
  collectors: [{
    id: 'stuck/net.conn',
    timeoutMs: 60000,
    collect: async (ctx) => {
      await ctx.resources.use('stuck.conn', () => new Promise((resolve, reject) => { const s = connect(${port}, '127.0.0.1', () => resolve(s)); s.on('error', reject); }), (s) => new Promise((resolve) => s.on('close', resolve)));
      return new Promise(() => {});
    },
  }],
  checks: [{ id: 'stuck/postgres.never', title: 'A check whose client never closes', category: 'postgres', facts: ['stuck/net.conn'], docs: 'https://example.com', explain: { what: 'w', why: 'y', fix: 'f' }, evaluate: () => ({ status: 'pass', summary: 'unreachable' }) }],
};
`,
  );
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
});

const blackHoleUrl = () => `postgres://coder:x@127.0.0.1:${port}/coder?sslmode=disable`;

/** Start the CLI; resolves once it has connected to the black hole. */
async function startConnected(args: string[]) {
  const before = accepted;
  const child = spawn(nodeBin, [cliBin, ...args], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d) => (out.stdout += d));
  child.stderr.on('data', (d) => (out.stderr += d));
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    // A safety net so a hang fails the test instead of stalling it, not a timing assertion.
    const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('close', (code, signal) => {
      clearTimeout(t);
      resolve({ code, signal });
    });
  });
  const deadline = Date.now() + 10_000;
  while (accepted === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(accepted).toBeGreaterThan(before);
  return { child, out, closed };
}

const until = async (what: () => boolean) => {
  for (let i = 0; i < 500 && !what(); i++) await new Promise((r) => setTimeout(r, 20));
};

describe('a database that never answers', () => {
  it('--timeout ends the run with the run-timeout error (exit 1), well before the collector\'s own 10 s limit', async () => {
    // 500 ms is far below the PostgreSQL collector's own 10 s limit, whose error says "no answer
    // within 10000 ms": only the run's deadline produces this message.
    const r = await runCli(['--postgres-url', blackHoleUrl(), '--timeout', '500ms', '-o', 'json'], { timeoutMs: 30_000 });
    expect(r.signal).toBeNull();
    expect(r.code).toBe(1);
    const pg = JSON.parse(r.stdout).results.find((x: { id: string }) => x.id === 'postgres.connect');
    expect(pg.status).toBe('error');
    expect(pg.evidence.reason).toBe('timeout');
    expect(pg.summary).toContain('the run ran out of time (--timeout) before this was gathered');
    expect(pg.summary).not.toContain('no answer within');
    expect(pg.remediation).toMatch(/^raise --timeout/);
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal === 'SIGINT' ? 'Ctrl-C (SIGINT)' : 'SIGTERM'} stops the run, prints the partial report and exits 130`, async () => {
      const { child, out, closed } = await startConnected(['--postgres-url', blackHoleUrl(), '-o', 'json']);
      child.kill(signal);
      const { code, signal: killed } = await closed;
      expect(killed).toBeNull();
      expect(code).toBe(130);
      expect(out.stderr).toBe('\ncoder-preflight: interrupted — stopping and cleaning up (Ctrl-C again to quit at once)\n');
      const report = JSON.parse(out.stdout);
      expect(report.exitCode).toBe(130);
      const pg = report.results.find((x: { id: string }) => x.id === 'postgres.connect');
      expect(pg).toMatchObject({ status: 'error', evidence: { reason: 'aborted' } });
      expect(pg.summary).toContain('the run was interrupted before this was gathered');
    });
  }
});

describe('a client whose cleanup never finishes', () => {
  it('a second Ctrl-C quits at once (exit 130, no report) while the first waits for the cleanup', async () => {
    const { child, out, closed } = await startConnected(['--plugin', stuckPlugin, '--check', 'stuck', '-o', 'json']);
    child.kill('SIGINT');
    await until(() => out.stderr.includes('interrupted'));
    expect(out.stderr).toContain('Ctrl-C again to quit at once');
    child.kill('SIGINT');
    const { code, signal } = await closed;
    expect(signal).toBeNull();
    expect(code).toBe(130);
    expect(out.stdout).toBe(''); // quit before the report: it did not wait for the cleanup
    expect(out.stderr.match(/interrupted/g)).toHaveLength(1);
  });

  it('--timeout still ends the run: a cleanup gets a grace period, not forever', async () => {
    const r = await runCli(['--plugin', stuckPlugin, '--check', 'stuck', '--timeout', '500ms', '-o', 'json'], { timeoutMs: 30_000 });
    expect(r.signal).toBeNull();
    expect(r.code).toBe(1);
    const res = JSON.parse(r.stdout).results.find((x: { id: string }) => x.id === 'stuck/postgres.never');
    expect(res).toMatchObject({ status: 'error', evidence: { reason: 'timeout' } });
  });
});
