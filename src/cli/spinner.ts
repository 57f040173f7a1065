// Progress for a person at a terminal (never under CI, never with JSON on stdout).
import type { Io } from './options.ts';

export interface Progress {
  started(id: string): void;
  done(id: string): void;
  stop(): void;
}

/** Whether to animate: a real, sized terminal on both streams, not CI, not JSON, not --debug. */
export function wantsSpinner(io: Io, stdoutFormat: string | undefined, debug: boolean): boolean {
  // A pty without a size (script(1)) has 0 columns.
  const cols = io.stderr.columns ?? 0;
  return Boolean(io.stdout.isTTY && io.stderr.isTTY) && cols > 0 && !io.env.CI && stdoutFormat !== 'json' && !debug;
}

export async function startSpinner(io: Io, total: number): Promise<Progress> {
  const { default: ora } = await import('ora');
  const running = new Set<string>();
  let finished = 0;
  const spinner = ora({ stream: io.stderr as NodeJS.WriteStream, text: `running ${total} checks` }).start();
  const update = () => {
    spinner.text = `${finished}/${total} done${running.size ? ` — ${[...running].slice(0, 3).join(', ')}${running.size > 3 ? ', …' : ''}` : ''}`;
  };
  return {
    started(id) {
      running.add(id);
      update();
    },
    done(id) {
      running.delete(id);
      finished++;
      update();
    },
    stop() {
      spinner.stop();
    },
  };
}
