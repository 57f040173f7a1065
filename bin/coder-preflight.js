#!/usr/bin/env node
// Launcher: refuse old Node with one line, turn on the module compile cache, run the bundle.
const [major] = process.versions.node.split('.').map(Number);
if (major < 22) {
  process.stderr.write(`coder-preflight: needs Node.js 22 or newer, this is ${process.version} — install Node 22+ (or run "npm run setup" in the repository)\n`);
  process.exit(2);
}
try {
  const { enableCompileCache } = await import('node:module');
  enableCompileCache?.();
} catch {
  /* older 22.x: no compile cache */
}
const { cli } = await import('../dist/cli.js');
await cli();
