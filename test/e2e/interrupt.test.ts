// A server that accepts and never answers: the run must end on --timeout, on Ctrl-C, and
// never hang; the result says what happened.
import { createServer, type Server, type Socket } from 'node:net';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, cliBin, nodeBin, runCli } from '../helpers/cli.ts';

let server: Server;
let port = 0;
const sockets = new Set<Socket>();
let accepted = 0;

beforeAll(async () => {
  server = createServer((s) => {
    sockets.add(s);
    accepted++;
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
});

describe('a database that never answers', () => {
  it('--timeout ends the run with an error result (exit 1), not a hang', async () => {
    const started = Date.now();
    const r = await runCli(['--postgres-url', `postgres://coder:x@127.0.0.1:${port}/coder?sslmode=disable`, '--timeout', '1s', '-o', 'json'], { timeoutMs: 20_000 });
    expect(r.signal).toBeNull();
    expect(r.code).toBe(1);
    const pg = JSON.parse(r.stdout).results.find((x: { id: string }) => x.id === 'postgres.connect');
    expect(pg.status).toBe('error');
    expect(pg.evidence.reason).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(15_000); // far below the 10 s collector limit + slack: the run timeout did it
  });

  it('Ctrl-C (SIGINT) stops the run, prints the partial report and exits 130', async () => {
    const before = accepted;
    const child = spawn(nodeBin, [cliBin, '--postgres-url', `postgres://coder:x@127.0.0.1:${port}/coder?sslmode=disable`, '-o', 'json'], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    // Wait until the CLI has connected to the black hole, then interrupt.
    const deadline = Date.now() + 10_000;
    while (accepted === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(accepted).toBeGreaterThan(before);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => {
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.on('close', (c) => {
        clearTimeout(t);
        resolve(c);
      });
    });
    expect(code).toBe(130);
    expect(stderr).toMatch(/interrupted/);
    const report = JSON.parse(stdout);
    expect(report.exitCode).toBe(130);
    expect(report.results.find((x: { id: string }) => x.id === 'postgres.connect').status).toBe('error');
  });
});
