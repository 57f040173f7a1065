// Bundle the CLI into dist/ with esbuild: one small entry chunk for --help/--version and
// lazily loaded chunks for @kubernetes/client-node, pg and ora (measured: importing the
// unbundled Kubernetes client costs ~330 ms, bundled ~110 ms, the part we use ~60 ms).
import { build, transform } from 'esbuild';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
// Build next to dist/ and swap it in, so a CLI started meanwhile (a test, another terminal) never
// finds dist/ half written or gone.
const dist = fileURLToPath(new URL('../dist', import.meta.url));
const next = `${dist}.next-${process.pid}`;
rmSync(next, { recursive: true, force: true });
// Our collectors load only the part of @kubernetes/client-node that src/kubernetes/k8s-core.ts
// names (tree-shaken: ~7 MB instead of 16.7). Plugins get the whole client (loadK8sFull in
// src/kubernetes/client.ts): that one import is left to Node, which loads the installed package,
// because esbuild splits chunks by module, not by statement, so bundling both would put the
// part we need back in one 16.7 MB chunk with the rest.
const wholeKubeClientUnbundled = {
  name: 'whole-kube-client-unbundled',
  setup(b) {
    b.onResolve({ filter: /^@kubernetes\/client-node$/ }, (args) =>
      args.kind === 'dynamic-import' && args.importer.endsWith(join('src', 'kubernetes', 'client.ts')) ? { path: args.path, external: true } : undefined,
    );
  },
};
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
  plugins: [wholeKubeClientUnbundled],
  // CommonJS dependencies inside an ESM bundle still call require().
  banner: { js: "import { createRequire as __cpCreateRequire } from 'node:module'; const require = __cpCreateRequire(import.meta.url);" },
  metafile: true,
  logLevel: 'warning',
});
// Chunks of third-party code only (the Kubernetes client's): without whitespace they are less than
// half the size (7.4 -> 3.4 MB), and every run reads, hashes and holds the source text of what it
// loads (~30 ms and ~15 MiB of RSS for that chunk). Our own chunks keep their lines, so a stack
// trace from --debug stays readable; the source maps still lead to the original files.
for (const [file, out] of Object.entries(result.metafile.outputs)) {
  if (!file.endsWith('.js') || out.bytes < 512 * 1024) continue;
  const ours = Object.entries(out.inputs).reduce((a, [input, i]) => a + (input.includes('node_modules/') ? 0 : i.bytesInOutput), 0);
  if (ours > 1024) continue;
  const map = readFileSync(`${file}.map`, 'utf8');
  // The input map comes in as a data URL, so the new map leads to the original files still.
  const code = `${readFileSync(file, 'utf8').replace(/\/\/# sourceMappingURL=\S+\s*$/, '')}//# sourceMappingURL=data:application/json;base64,${Buffer.from(map).toString('base64')}\n`;
  const min = await transform(code, { minifyWhitespace: true, sourcemap: 'external', sourcefile: basename(file), legalComments: 'eof', format: 'esm', platform: 'node', target: 'node22', logLevel: 'warning' });
  writeFileSync(file, `${min.code}//# sourceMappingURL=${basename(file)}.map\n`);
  writeFileSync(`${file}.map`, min.map);
  out.bytes = Buffer.byteLength(min.code);
}
// The probe agent (src/probes/agent/): one self-contained file that runs inside probe pods, mounted
// from a ConfigMap into a stock Node image (`node /probe/agent.mjs <mode> '<json>'`). No splitting;
// .mjs so Node runs it as ESM whatever package.json the image has; createRequire for CommonJS deps.
await build({
  entryPoints: ['src/probes/agent/main.ts'],
  outfile: join(next, 'probe-agent.mjs'),
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  minifySyntax: true,
  legalComments: 'none',
  banner: { js: "import { createRequire as __cpCreateRequire } from 'node:module'; const require = __cpCreateRequire(import.meta.url);" },
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
