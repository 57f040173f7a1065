// The CLI entry (what bin/coder-preflight.js runs). --help and --version answer from this small
// chunk; everything else loads ./app.ts, and the Kubernetes and PostgreSQL clients load later still.
import { ConfigError, EXIT, errorMessage } from './errors.ts';
import { HELP } from './help.ts';
import { VERSION } from './version.ts';

const FAST = new Set(['--version', '-v', '--help', '-h', 'help']);

export async function cli(argv = process.argv.slice(2)): Promise<void> {
  const debug = argv.includes('--debug');
  let code: number;
  if (argv.length > 0 && argv.every((a) => FAST.has(a))) {
    process.stdout.write(argv.some((a) => a === '--version' || a === '-v') ? `${VERSION}\n` : HELP);
    code = EXIT.ok;
  } else {
    try {
      const { main } = await import('./app.ts');
      // Plugins that import 'coder-preflight/api' get this build's (dist/api.js beside dist/cli.js).
      const apiUrl = new URL('./api.js', import.meta.url).href;
      code = await main(argv, { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), apiUrl });
    } catch (e) {
      if (e instanceof ConfigError) {
        process.stderr.write(`coder-preflight: ${e.message}\n${e.hint ? `  hint: ${e.hint}\n` : ''}`);
        if (debug) process.stderr.write(`${e.stack}\n`);
        code = EXIT.usage;
      } else {
        process.stderr.write(`coder-preflight: internal error: ${errorMessage(e)}${debug ? '' : ' (run with --debug for details)'}\n`);
        if (debug && e instanceof Error) process.stderr.write(`${e.stack}\n`);
        code = EXIT.error;
      }
    }
  }
  // Flush stdout, then exit even if a client left a socket or timer behind.
  await new Promise<void>((r) => process.stdout.write('', () => r()));
  process.exit(code);
}
