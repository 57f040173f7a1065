// Run the whole vitest suite (or the given vitest args) and end with one plain line
// "Tests: N passed, N failed, N skipped" that CI systems read; exit with vitest's code.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, '.world', 'vitest-results.json');
mkdirSync(join(root, '.world'), { recursive: true });
rmSync(out, { force: true });
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
const r = spawnSync(process.execPath, [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...process.argv.slice(2)], { stdio: 'inherit', cwd: root });
let code = r.status ?? 1;
if (existsSync(out)) {
  const j = JSON.parse(readFileSync(out, 'utf8'));
  const skipped = (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
  const failedSuites = (j.testResults ?? []).filter((t) => t.status === 'failed' && (t.assertionResults ?? []).length === 0).length;
  // Skips that would hide: the real-node tests need root. Say so in one line, and with
  // CODER_PREFLIGHT_REQUIRE_NODE=1 (CI) fail when they did not run.
  const nodeFile = (j.testResults ?? []).find((t) => t.name?.endsWith('test/integration/node-world.test.ts'));
  if (nodeFile) {
    const ran = (nodeFile.assertionResults ?? []).filter((a) => a.status === 'passed' || a.status === 'failed').length;
    const notRun = (nodeFile.assertionResults ?? []).filter((a) => a.status === 'skipped' || a.status === 'pending').length;
    if (notRun > 0) {
      console.log(`\nreal-node tests: ${notRun} did not run (${ran} ran)${process.getuid?.() !== 0 ? ': they need root (containerd, network namespaces, iptables)' : ''}`);
      if (process.env.CODER_PREFLIGHT_REQUIRE_NODE === '1') {
        console.log('CODER_PREFLIGHT_REQUIRE_NODE=1: the real-node tests must run here');
        code = code || 1;
      }
    }
  } else if (process.env.CODER_PREFLIGHT_REQUIRE_NODE === '1' && !process.argv.slice(2).length) {
    console.log('CODER_PREFLIGHT_REQUIRE_NODE=1, but test/integration/node-world.test.ts did not run');
    code = code || 1;
  }
  console.log(`\nTests: ${j.numPassedTests} passed, ${j.numFailedTests + failedSuites} failed, ${skipped} skipped`);
  if (j.numTotalTests === 0) {
    console.log('no test ran');
    code = code || 1;
  }
} else {
  console.log('\nTests: 0 passed, 1 failed, 0 skipped (vitest wrote no results)');
  code = code || 1;
}
process.exit(code);
