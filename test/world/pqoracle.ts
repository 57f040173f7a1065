// The PostgreSQL driver oracle (test/world/go/pqoracle, built by scripts/build-oracles.sh): Coder's
// own driver judging one connection string. Tests compare coder-preflight's verdicts with it.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './proc.ts';

export interface OracleParsed {
  host: string;
  port: string;
  user: string;
  dbname: string;
  /** As the driver holds it ("" when the string has none: lib/pq then means require). */
  sslmode: string;
  passwordLength: number | null;
  params: Record<string, string>;
  runtimeParams: string[];
}

export interface OracleResult {
  oracle: string;
  escape: 'unchanged' | 'rewritten' | 'error';
  escapedAt?: number[];
  form: 'url' | 'dsn';
  parsed?: OracleParsed;
  dial?: { network: string; address: string };
  connected: boolean;
  /** escape | open | ping | version | config (parse-only, all driver checks passed) | connected */
  stage: string;
  error?: string;
  code?: string;
  /** ok | config-ok | url-parse | sslmode-unsupported | dns | refused | timeout | tls-not-offered | … */
  category: string;
  serverVersionNum?: number;
  versionOk?: boolean;
  tls?: boolean;
}

let cached: string | undefined;

/** The oracle binary: built (or found up to date) by scripts/build-oracles.sh, once per process. */
export function pqOracleBin(): string {
  if (cached) return cached;
  let out: string;
  try {
    out = execFileSync('bash', [join(repoRoot, 'scripts', 'build-oracles.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`scripts/build-oracles.sh failed (needs Go at /usr/local/go/bin and the Go module proxy):\n${err.stderr || err.message}`);
  }
  const bin = out.trim().split('\n').pop()!;
  cached = bin;
  return bin;
}

export interface OracleOptions {
  /** Only the driver's parse and pre-network checks (no connection). */
  parseOnly?: boolean;
  /** Ping timeout (default 5 s, Coder's per try). */
  timeoutMs?: number;
  /**
   * Run with a private mount namespace whose /etc/resolv.conf names 127.0.0.1 (nothing listens
   * there), so a name lookup fails here and sends no packet off this machine.
   */
  isolatedDns?: boolean;
}

/** A resolv.conf that sends lookups nowhere (for isolatedDns). */
export function deadResolvConf(): string {
  const f = join(mkdtempSync(join(tmpdir(), 'cp-resolv-')), 'resolv.conf');
  writeFileSync(f, 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
  return f;
}

/** argv that runs `cmd args` with /etc/resolv.conf replaced by `resolv` in a private mount namespace. */
export function withDeadDns(resolv: string, cmd: string, args: string[]): [string, string[]] {
  return ['unshare', ['-m', 'sh', '-c', 'mount --bind "$0" /etc/resolv.conf && exec "$@"', resolv, cmd, ...args]];
}

/**
 * Judge `input` (given exactly, trailing newline and all, on stdin) with Coder's driver. The
 * environment is empty but for HOME (lib/pq reads PG* variables and ~/.postgresql).
 */
export function runPqOracle(input: string, o: OracleOptions = {}): Promise<OracleResult> {
  const bin = pqOracleBin();
  const args = [...(o.parseOnly ? ['--parse-only'] : []), `--timeout=${o.timeoutMs ?? 5000}ms`];
  const [cmd, argv] = o.isolatedDns ? withDeadDns(deadResolvConf(), bin, args) : [bin, args];
  const home = mkdtempSync(join(tmpdir(), 'cp-oracle-home-'));
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, argv, { env: { HOME: home, USER: 'root' }, timeout: (o.timeoutMs ?? 5000) + 10_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`pqoracle failed: ${err.message}\n${stderr}`));
      try {
        resolve(JSON.parse(stdout) as OracleResult);
      } catch {
        reject(new Error(`pqoracle printed no JSON:\n${stdout}\n${stderr}`));
      }
    });
    child.stdin!.end(input);
  });
}
