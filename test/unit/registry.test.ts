// Every registered check follows the contract: id = file path, metadata complete, a docs page.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checks } from '../../checks/index.ts';
import { collectors } from '../../src/facts/index.ts';
import { renderCheckDoc } from '../../scripts/docs.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const checkFiles = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? checkFiles(p) : p.endsWith('.ts') && !p.endsWith('index.ts') ? [p] : [];
  });

describe('check registry', () => {
  it('registers every file under checks/, with the id its path gives', async () => {
    const files = checkFiles(join(root, 'checks'));
    const fromFiles = files.map((f) => relative(join(root, 'checks'), f).replace(/\.ts$/, '').replace(/\//g, '.')).sort();
    expect(checks.map((c) => c.id).sort()).toEqual(fromFiles);
    for (const f of files) {
      const mod = (await import(f)) as { default: { id: string } };
      expect(mod.default.id).toBe(relative(join(root, 'checks'), f).replace(/\.ts$/, '').replace(/\//g, '.'));
    }
  });

  it('has unique ids, complete explanations, known facts and a test file per check', () => {
    expect(new Set(checks.map((c) => c.id)).size).toBe(checks.length);
    for (const c of checks) {
      expect(c.title.length, c.id).toBeGreaterThan(5);
      expect(c.docs, c.id).toMatch(/^https:\/\//);
      for (const k of ['what', 'why', 'fix'] as const) expect(c.explain[k].length, `${c.id} explain.${k}`).toBeGreaterThan(20);
      for (const f of c.facts) expect(Object.keys(collectors), `${c.id} needs ${f}`).toContain(f);
      const [cat, ...name] = c.id.split('.');
      expect(existsSync(join(root, 'test/unit/checks', cat!, `${name.join('.')}.test.ts`)), `test/unit/checks/${cat}/${name.join('.')}.test.ts`).toBe(true);
    }
  });

  it('has an up-to-date docs page per check (npm run docs regenerates them)', () => {
    for (const c of checks) {
      const page = join(root, 'docs/checks', `${c.id}.md`);
      expect(existsSync(page), `docs/checks/${c.id}.md is missing: run npm run docs`).toBe(true);
      expect(readFileSync(page, 'utf8'), `docs/checks/${c.id}.md is stale: run npm run docs`).toBe(renderCheckDoc(c));
    }
  });
});
