// tcp-client: connect to host:port again and again, each attempt on a fresh connection with a
// timeout, and say what happened to each: reached (the server's line with the expected token), a
// wrong answer, a timeout (dropped), refused/reset/unreachable (rejected). Stops when the asked-for
// condition is met (reachable, or blocked `consecutive` times in a row) or the window is over.
// It talks only to the host:port it is given: the layer gives it a server pod it created.
import { connect } from 'node:net';
import type { TcpClientArgs, TcpClientResult, TcpOutcome } from './report.ts';

const LETTER: Record<TcpOutcome, string> = { reached: 'R', 'wrong-answer': 'W', timeout: 'T', refused: 'C', reset: 'X', unreachable: 'U', error: 'E' };
const BLOCKED = new Set<TcpOutcome>(['timeout', 'refused', 'reset', 'unreachable']);

function classify(code: string | undefined): TcpOutcome {
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'reset';
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EHOSTDOWN') return 'unreachable';
  if (code === 'ETIMEDOUT') return 'timeout';
  return 'error';
}

/** One attempt: a fresh connection, the server's line read and checked. */
export function attempt(host: string, port: number, token: string, timeoutMs: number): Promise<{ outcome: TcpOutcome; ms: number; code?: string }> {
  const started = performance.now();
  return new Promise((resolve) => {
    let data = '';
    let settled = false;
    const sock = connect({ host, port });
    const done = (outcome: TcpOutcome, code?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ outcome, ms: Math.round((performance.now() - started) * 100) / 100, ...(code ? { code } : {}) });
    };
    const timer = setTimeout(() => done('timeout', 'TIMEOUT'), timeoutMs);
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      data += d;
      const nl = data.indexOf('\n');
      if (nl < 0 && data.length < 4096) return;
      try {
        done((JSON.parse(data.slice(0, nl < 0 ? undefined : nl)) as { token?: unknown }).token === token ? 'reached' : 'wrong-answer');
      } catch {
        done('wrong-answer');
      }
    });
    sock.on('end', () => done(data ? 'wrong-answer' : 'reset', data ? undefined : 'EOF'));
    sock.on('error', (e: NodeJS.ErrnoException) => done(classify(e.code), e.code));
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
};

export async function tcpClient(a: TcpClientArgs): Promise<TcpClientResult> {
  const port = Number(a.port);
  if (typeof a.host !== 'string' || !a.host || !Number.isInteger(port)) throw Object.assign(new Error('args.host/port are missing'), { code: 'BAD_ARGS' });
  const maxAttempts = Math.max(1, Math.min(Number(a.attempts) || 10, 500));
  const need = Math.max(1, Number(a.consecutive) || 2);
  const timeoutMs = Math.max(50, Number(a.timeoutMs) || 1000);
  const intervalMs = Math.max(0, Number(a.intervalMs) || 0);
  const windowMs = Math.max(0, Number(a.windowMs) || 10_000);
  const counts: TcpClientResult['counts'] = {};
  const errors = new Set<string>();
  const reachedMs: number[] = [];
  let timeline = '';
  let metAtMs: number | undefined;
  let run = 0;
  let runStart = 0;
  const t0 = performance.now();
  let n = 0;
  while (n < maxAttempts) {
    const at = performance.now() - t0;
    if (n > 0 && at > windowMs) break;
    n++;
    const r = await attempt(a.host, port, String(a.token), timeoutMs);
    counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
    timeline += LETTER[r.outcome];
    if (r.code && errors.size < 5) errors.add(r.code);
    if (r.outcome === 'reached') reachedMs.push(r.ms);
    if (a.until === 'reachable' && r.outcome === 'reached') {
      metAtMs = Math.round(at);
      break;
    }
    if (a.until === 'blocked') {
      if (BLOCKED.has(r.outcome)) {
        if (run++ === 0) runStart = at;
        if (run >= need) {
          metAtMs = Math.round(runStart);
          break;
        }
      } else run = 0;
    }
    if (intervalMs) await new Promise((res) => setTimeout(res, intervalMs));
  }
  return {
    attempts: n,
    counts,
    met: a.until === 'count' ? true : metAtMs !== undefined,
    ...(metAtMs !== undefined ? { metAtMs } : {}),
    timeline: timeline.length > 200 ? `${timeline.slice(0, 100)}…${timeline.slice(-99)}` : timeline,
    errors: [...errors],
    ...(reachedMs.length ? { reachedMs: { min: Math.min(...reachedMs), p50: median(reachedMs), max: Math.max(...reachedMs) } } : {}),
  };
}
