// Coder's own check of CODER_WILDCARD_ACCESS_URL (appurl.CompileHostnamePattern, v2.30.0), built
// from the Go module cache with no network (GOPROXY=off; `scripts/setup.sh --world` put Coder's
// module there when it built the coder server) into the build cache, and asked about patterns.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, repoRoot } from './proc.ts';

const SRC = join(repoRoot, 'test/world/go/appurl-oracle');

export interface PatternVerdict {
  pattern: string;
  ok: boolean;
  error: string;
}

function goBin(): string {
  for (const p of ['/usr/local/go/bin/go', 'go']) {
    try {
      execFileSync(p, ['version'], { stdio: 'pipe' });
      return p;
    } catch {
      /* next */
    }
  }
  throw new Error('no Go toolchain: the wildcard oracle is built with go (scripts/setup.sh --world installs it)');
}

/** The oracle binary, built once per go version. */
export function appurlOracleBin(): string {
  const go = goBin();
  const ver = execFileSync(go, ['env', 'GOVERSION'], { encoding: 'utf8' }).trim();
  const dir = join(cacheDir, 'bin', `appurl-oracle-coder-v2.30.0-${ver}`);
  const bin = join(dir, 'appurl-oracle');
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true });
    execFileSync(go, ['build', '-o', bin, '.'], { cwd: SRC, stdio: 'pipe', env: { ...process.env, GOPROXY: 'off', GOSUMDB: 'off', GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local' } });
  }
  return bin;
}

export function judgePatterns(patterns: readonly string[]): PatternVerdict[] {
  const out = execFileSync(appurlOracleBin(), [], { input: patterns.map((p) => JSON.stringify(p)).join('\n') + '\n', encoding: 'utf8' });
  return out.trim().split('\n').map((l) => JSON.parse(l) as PatternVerdict);
}
