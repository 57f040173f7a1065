// stdout and stderr through the run's redactor: whatever writes to them (the report, the spinner,
// debug lines, the replay and bundle notes) cannot print a registered secret, and with
// --redact-hosts no host name either. Counted as "stdout" and "stderr" in the redaction manifest.
import type { Io } from '../cli/options.ts';
import type { Redactor } from '../redact.ts';

type Stream = Io['stdout'];

function redacting(stream: Stream, redactor: Redactor, where: string): Stream {
  // The stream's own write, taken once: a spinner (ora) replaces `write` on the stream it is given
  // and calls the one it replaced, which must be this redacting one, not the stream's (a loop).
  const write = (stream.write as (c: string, ...r: unknown[]) => boolean).bind(stream);
  const redactingWrite = (chunk: unknown, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : chunk instanceof Uint8Array ? Buffer.from(chunk).toString('utf8') : String(chunk);
    return write(redactor.redact(text, where), ...rest);
  };
  let replaced: unknown;
  return new Proxy(stream, {
    get(target, prop) {
      if (prop === 'write') return replaced ?? redactingWrite;
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
    set(target, prop, value) {
      if (prop === 'write') {
        // Put back (ora restores the write it found when it stops) or hooked: either way ours stays underneath.
        replaced = value === redactingWrite ? undefined : value;
        return true;
      }
      return Reflect.set(target, prop, value, target);
    },
  });
}

export function redactingIo(io: Io, redactor: Redactor): Io {
  return { ...io, stdout: redacting(io.stdout, redactor, 'stdout'), stderr: redacting(io.stderr, redactor, 'stderr') };
}
