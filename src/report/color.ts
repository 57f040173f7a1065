import type { Status } from '../engine/types.ts';

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, gray: 90, bold: 1, dim: 2 } as const;
export type Paint = (style: keyof typeof CODES, text: string) => string;

export function painter(enabled: boolean): Paint {
  return enabled ? (style, text) => `\u001b[${CODES[style]}m${text}\u001b[0m` : (_s, text) => text;
}

export const STATUS_STYLE: Record<Status, keyof typeof CODES> = { pass: 'green', warn: 'yellow', fail: 'red', skip: 'gray', error: 'magenta' };
export const STATUS_LABEL: Record<Status, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'SKIP', error: 'ERROR' };
