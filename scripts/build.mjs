// Bundle the CLI into dist/ with esbuild: one small entry chunk for --help/--version and
// lazily loaded chunks for @kubernetes/client-node, pg and ora (measured: importing the
// unbundled Kubernetes client costs ~330 ms, bundled ~110 ms).
import { build } from 'esbuild';
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
// Build next to dist/ and swap it in, so a CLI started meanwhile (a test, another terminal) never
// finds dist/ half written or gone.
const dist = fileURLToPath(new URL('../dist', import.meta.url));
const next = `${dist}.next-${process.pid}`;
rmSync(next, { recursive: true, force: true });
const started = performance.now();
const result = await build({
  entryPoints: { cli: 'src/cli.ts', api: 'src/api.ts' },
  outdir: next,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  sourcemap: 'linked',
  minifySyntax: true,
  legalComments: 'linked',
  chunkNames: 'chunks/[name]-[hash]',
  define: { __CODER_PREFLIGHT_VERSION__: JSON.stringify(pkg.version) },
  external: ['pg-native', 'bufferutil', 'utf-8-validate'],
  // CommonJS dependencies inside an ESM bundle still call require().
  banner: { js: "import { createRequire as __cpCreateRequire } from 'node:module'; const require = __cpCreateRequire(import.meta.url);" },
  metafile: true,
  logLevel: 'warning',
});
// Keep what other steps put in dist/ (the API's type declarations), then swap.
if (existsSync(join(dist, 'types'))) renameSync(join(dist, 'types'), join(next, 'types'));
const old = `${dist}.old-${process.pid}`;
if (existsSync(dist)) renameSync(dist, old);
renameSync(next, dist);
rmSync(old, { recursive: true, force: true });
const outputs = Object.entries(result.metafile.outputs).filter(([f]) => f.endsWith('.js'));
const total = outputs.reduce((a, [, o]) => a + o.bytes, 0);
console.log(`built dist/ (${outputs.length} chunks, ${(total / 1024).toFixed(0)} KiB) in ${(performance.now() - started).toFixed(0)} ms`);
