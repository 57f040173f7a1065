// Every flag, check id and command that a check's text tells the user to use exists: a
// remediation that points at nothing is a dead end in front of a person with a broken install.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checks } from '../../checks/index.ts';
import { OPTIONS } from '../../src/cli/options.ts';
import { collectors } from '../../src/facts/index.ts';
import { probesOf } from '../../src/probes/define.ts';
import { HELP } from '../../src/help.ts';
import { checkFiles } from '../../scripts/generate.ts';

const ids = new Set([...checks.map((c) => c.id), ...Object.keys(collectors)]);
const flags = new Set(Object.entries(OPTIONS).flatMap(([name, o]) => [`--${name}`, ...('short' in o ? [`-${o.short}`] : [])]));
/** Flags of other programs that checks quote in their advice. */
const FOREIGN_FLAGS = new Set(['--run-firewall', '--run-router', '--enable-network-policy', '--network-policy', '--namespace', '--context', '--from-file', '--from-literal', '--dry-run', '--create-namespace']);
/** Probes that exist (--probe <name>). A text may not send users to one that does not. */
const PROBES: string[] = probesOf(collectors).map((p) => p.name);

describe('texts that reach the user', () => {
  for (const file of checkFiles()) {
    const text = readFileSync(file, 'utf8');
    it(`${file.split('/checks/')[1]}: every coder-preflight flag, check id and probe it names exists`, () => {
      for (const m of text.matchAll(/coder-preflight (?:explain )?((?:--?[a-z-]+)|[a-z]+\.[a-z.-]+)/g)) {
        const word = m[1]!;
        if (word.startsWith('-')) expect(flags, `${m[0]}`).toContain(word);
        else expect(ids, `${m[0]}`).toContain(word);
      }
      for (const m of text.matchAll(/(?<![\w-])(--[a-z][a-z-]+)(?![\w-])/g)) {
        if (!FOREIGN_FLAGS.has(m[1]!)) expect(flags, `${m[1]} in ${file}`).toContain(m[1]!);
      }
      for (const m of text.matchAll(/\b(?:run|use|with) (?:the )?([A-Za-z ]+?) probe\b/g)) expect(PROBES, `"${m[0]}" names a probe that does not exist`).toContain(m[1]!);
      for (const m of text.matchAll(/--check ([a-z][a-z.-]+)/g)) expect(ids, m[0]).toContain(m[1]!);
    });
  }
  it('--help names every flag, and no flag it does not have', () => {
    for (const f of flags) if (f.startsWith('--')) expect(HELP, f).toContain(f);
    for (const m of HELP.matchAll(/(?<![\w-])(--[a-z][a-z-]+)/g)) expect(flags, m[1]).toContain(m[1]!);
  });
});
