// The bundled agent (dist/probe-agent.mjs, built by scripts/build.mjs from src/probes/agent/), read
// only when a probe runs. Found beside the running bundle (dist/cli.js, dist/chunks/*.js) or, when
// running from the sources (tests), in the repository's dist/.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const AGENT_FILE = 'probe-agent.mjs';

export function agentPath(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (let i = 0; i < 5; i++) {
    for (const p of [join(dir, AGENT_FILE), join(dir, 'dist', AGENT_FILE)]) if (existsSync(p)) return p;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new Error(`the probe agent (${AGENT_FILE}) is missing next to this build: run node scripts/build.mjs`);
}

let cached: string | undefined;
export function agentSource(): string {
  cached ??= readFileSync(agentPath(), 'utf8');
  return cached;
}
