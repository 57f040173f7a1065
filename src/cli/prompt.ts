// A hidden prompt on the terminal, for a database password the settings do not carry. Only when a
// person is there to answer: stdin and stderr are terminals, CI is not set, no --no-input.
import { EXIT } from '../errors.ts';
import type { Io, Values } from './options.ts';

export function canAsk(values: Values, io: Io): boolean {
  return !values['no-input'] && !io.env.CI && Boolean(process.stdin.isTTY && io.stderr.isTTY);
}

/** Read one line from the terminal without echoing it; Ctrl-C aborts, Enter alone gives "". */
export function askHidden(question: string, io: Io, timeoutMs = 120_000): Promise<string | undefined> {
  const stdin = process.stdin;
  // Raw mode (no echo) first: what is typed while the question is being written is not shown.
  const wasRawAtStart = stdin.isRaw;
  stdin.setRawMode(true);
  io.stderr.write(question);
  return new Promise((resolve) => {
    let answer = '';
    const wasRaw = wasRawAtStart;
    const done = (fn: () => void) => {
      clearTimeout(timer);
      stdin.off('data', onData);
      stdin.setRawMode(wasRaw);
      stdin.pause();
      io.stderr.write('\n');
      fn();
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(() => resolve(answer));
        // Nothing has been created yet: stop at once, as Ctrl-C would without raw mode.
        if (ch === '\u0003') return done(() => process.exit(EXIT.interrupted));
        if (ch === '\u0004' && answer === '') return done(() => resolve(undefined));
        if (ch === '\u007f' || ch === '\b') answer = answer.slice(0, -1);
        else if (ch >= ' ') answer += ch;
      }
    };
    const timer = setTimeout(() => done(() => resolve(undefined)), timeoutMs);
    timer.unref();
    stdin.resume();
    stdin.on('data', onData);
  });
}
