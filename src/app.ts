// The commands behind the CLI, loaded only when there is work to do (so --help/--version stay
// fast): parse the flags, then dispatch. Judges nothing.
import { parseArgv, type Io } from './cli/options.ts';
import { commandContext } from './commands/context.ts';
import { ConfigError, EXIT } from './errors.ts';
import { HELP } from './help.ts';
import { VERSION } from './version.ts';

export type { Io } from './cli/options.ts';

const COMMANDS = ['run', 'list', 'explain', 'cleanup'];

export async function main(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgv(argv);
  if (values.version) {
    io.stdout.write(`${VERSION}\n`);
    return EXIT.ok;
  }
  const [command = 'run', ...rest] = positionals;
  if (values.help || command === 'help') {
    io.stdout.write(HELP);
    return EXIT.ok;
  }
  if (!COMMANDS.includes(command)) throw new ConfigError(`unknown command "${command}"`, 'commands are run (default), list, explain and cleanup; see --help');
  if (command !== 'explain' && rest.length) throw new ConfigError(`unexpected argument "${rest[0]}"`, 'see coder-preflight --help');
  const ctx = await commandContext(values, io);
  switch (command) {
    case 'list':
      return (await import('./commands/list.ts')).list(values, io, ctx);
    case 'explain':
      return (await import('./commands/explain.ts')).explain(rest, io, ctx);
    case 'cleanup':
      return (await import('./commands/cleanup.ts')).cleanup(values, io);
    default:
      return (await import('./commands/run.ts')).run(values, { ...io, argv: io.argv ?? argv }, ctx);
  }
}
