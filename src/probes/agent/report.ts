// What the probe agent reports, shared by the agent (src/probes/agent/) and the layer that reads it
// back from the pod's termination message. Plain JSON; each mode's args and result are typed here.

/** Bumped when a mode's args or result change shape. */
export const AGENT_VERSION = 2;
/** The kubelet keeps at most 4096 bytes of a termination message. */
export const MAX_REPORT_BYTES = 4000;

export interface AgentReport<R = unknown> {
  agent: number;
  mode: string;
  /** Echo of args.nonce: proves this report came from the agent the layer started (not a fake pod). */
  nonce: string;
  ok: boolean;
  ms: number;
  result?: R;
  error?: { code: string; message: string };
}

export interface VolumeWriteArgs {
  nonce: string;
  dir: string;
  bytes: number;
}

export interface VolumeWriteResult {
  file: string;
  bytes: number;
  /** The bytes read back equal the bytes written. */
  match: boolean;
  writeMs: number;
  fsyncMs: number;
  readMs: number;
  /** statfs of the volume: what the pod sees. */
  fs?: { totalBytes: number; freeBytes: number };
  uid: number;
  gid: number;
}

export interface TcpServerArgs {
  nonce: string;
  port: number;
  /** Sent to every client: proves it reached this server. */
  token: string;
  /** Stop by itself after this long (the pod also has activeDeadlineSeconds). */
  maxMs: number;
}

export interface TcpServerResult {
  port: number;
  served: number;
}

export type TcpOutcome = 'reached' | 'wrong-answer' | 'timeout' | 'refused' | 'reset' | 'unreachable' | 'error';

export interface TcpClientArgs {
  nonce: string;
  host: string;
  port: number;
  token: string;
  /** reachable: stop at the first success; blocked: stop after `consecutive` blocked attempts in a row; count: every attempt. */
  until: 'reachable' | 'blocked' | 'count';
  attempts: number;
  consecutive?: number;
  intervalMs: number;
  timeoutMs: number;
  /** Stop when this long has passed since the first attempt. */
  windowMs: number;
}

export interface TcpClientResult {
  attempts: number;
  counts: Partial<Record<TcpOutcome, number>>;
  /** ms after the first attempt at which the stop condition was first met (reachable: the success; blocked: the first of the blocked run). */
  metAtMs?: number;
  met: boolean;
  /** One letter per attempt: R reached, W wrong answer, T timeout, C refused, X reset, U unreachable, E other. */
  timeline: string;
  /** Distinct error codes seen (first few). */
  errors: string[];
  /** Connect+answer time of the successful attempts, ms (min/median/max). */
  reachedMs?: { min: number; p50: number; max: number };
}

/** One line, under the kubelet's 4096-byte termination message limit. */
export function encodeReport(r: AgentReport): string {
  const line = JSON.stringify(r);
  if (Buffer.byteLength(line) <= MAX_REPORT_BYTES) return line;
  return JSON.stringify({ ...r, ok: false, result: undefined, error: { code: 'REPORT_TOO_LARGE', message: `the ${r.mode} result was ${Buffer.byteLength(line)} bytes` } });
}
