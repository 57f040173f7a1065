// What can be wrong with a value read from a Secret, in bytes and positions only, never the
// value: a trailing newline (echo … | kubectl create secret --from-file), a carriage return from
// a Windows editor, surrounding spaces, invalid UTF-8, NUL bytes.

export interface SecretValueProblem {
  kind: 'empty' | 'ends with a newline' | 'ends with CR LF' | 'leading whitespace' | 'trailing whitespace' | 'a line break inside' | 'a NUL byte' | 'invalid UTF-8';
  /** 1-based byte position (the length for "ends with …"). */
  position: number;
}

/** A Secret the database settings were read from, and what its value looks like (no value). */
export interface SecretValueReport {
  secret: string;
  key: string;
  /** What the value is used as. */
  holds: 'password' | 'connection URL';
  bytes: number;
  problems: SecretValueProblem[];
}

const isSpace = (b: number) => b === 0x20 || b === 0x09;

/** Byte index of the first invalid UTF-8 sequence, or -1. */
function invalidUtf8At(raw: Uint8Array): number {
  for (let i = 0; i < raw.length; ) {
    const b = raw[i]!;
    const n = b < 0x80 ? 1 : b >> 5 === 0b110 && b >= 0xc2 ? 2 : b >> 4 === 0b1110 ? 3 : b >> 3 === 0b11110 && b <= 0xf4 ? 4 : 0;
    if (n === 0 || i + n > raw.length) return i;
    for (let k = 1; k < n; k++) if (raw[i + k]! >> 6 !== 0b10) return i;
    i += n;
  }
  return -1;
}

export function inspectSecretValue(raw: Uint8Array): SecretValueProblem[] {
  const out: SecretValueProblem[] = [];
  const len = raw.length;
  if (len === 0) return [{ kind: 'empty', position: 0 }];
  if (raw[len - 1] === 0x0a) out.push({ kind: len > 1 && raw[len - 2] === 0x0d ? 'ends with CR LF' : 'ends with a newline', position: len });
  else if (isSpace(raw[len - 1]!)) out.push({ kind: 'trailing whitespace', position: len });
  if (isSpace(raw[0]!) || raw[0] === 0x0a || raw[0] === 0x0d) out.push({ kind: 'leading whitespace', position: 1 });
  let end = len;
  while (end > 0 && (raw[end - 1] === 0x0a || raw[end - 1] === 0x0d)) end--;
  for (let i = 0; i < end; i++) {
    if (raw[i] === 0x0a || raw[i] === 0x0d) {
      if (i > 0) out.push({ kind: 'a line break inside', position: i + 1 });
      break;
    }
  }
  const nul = raw.indexOf(0);
  if (nul >= 0) out.push({ kind: 'a NUL byte', position: nul + 1 });
  const bad = invalidUtf8At(raw);
  if (bad >= 0) out.push({ kind: 'invalid UTF-8', position: bad + 1 });
  return out;
}
