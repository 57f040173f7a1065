// The probe agent: the one program that runs inside a probe pod. It is bundled by
// scripts/build.mjs into dist/probe-agent.mjs (one file, no dependencies), mounted from a ConfigMap
// at /probe/agent.mjs into a stock Node image, and run as
//   node /probe/agent.mjs <mode> '<json args>'
// (.mjs: ESM whatever package.json the image has). It prints exactly one JSON line (an AgentReport)
// on stdout and writes the same line to the termination message path, which the layer reads from
// the pod's status (no log access needed).
// Nothing here decides anything: it measures and reports; the layer and the checks judge.
import { writeFileSync } from 'node:fs';
import { MODES } from './modes.ts';
import { AGENT_VERSION, encodeReport, type AgentReport } from './report.ts';

/** Where the kubelet reads the termination message (terminationMessagePolicy: File). */
const TERMINATION_LOG = process.env.PROBE_TERMINATION_LOG ?? '/dev/termination-log';

function errorOf(e: unknown): { code: string; message: string } {
  const err = e as NodeJS.ErrnoException;
  return { code: typeof err?.code === 'string' ? err.code : 'ERROR', message: String(err?.message ?? e).split('\n')[0]!.slice(0, 300) };
}

async function main(): Promise<number> {
  const [mode = '', raw = '{}'] = process.argv.slice(2);
  const started = performance.now();
  let args: Record<string, unknown> = {};
  let report: AgentReport;
  try {
    args = JSON.parse(raw) as Record<string, unknown>;
    const run = MODES[mode];
    if (!run) throw Object.assign(new Error(`unknown mode "${mode}" (known: ${Object.keys(MODES).join(', ')})`), { code: 'BAD_MODE' });
    const result = await run(args);
    report = { agent: AGENT_VERSION, mode, nonce: String(args.nonce ?? ''), ok: true, ms: Math.round(performance.now() - started), result };
  } catch (e) {
    report = { agent: AGENT_VERSION, mode, nonce: String(args.nonce ?? ''), ok: false, ms: Math.round(performance.now() - started), error: errorOf(e) };
  }
  const line = encodeReport(report);
  process.stdout.write(`${line}\n`);
  try {
    writeFileSync(TERMINATION_LOG, line);
  } catch {
    /* not in a pod (a test): stdout has it */
  }
  return report.ok ? 0 : 2;
}

main().then(
  (code) => process.exit(code),
  () => process.exit(3),
);
