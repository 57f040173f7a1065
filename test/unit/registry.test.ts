// Every check and collector follows the contract, and everything generated from them is fresh:
// adding a check is one file in checks/ and one test file, nothing else by hand.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checks } from '../../checks/index.ts';
import { pluginOf } from '../../src/engine/define.ts';
import { collectors } from '../../src/facts/index.ts';
import { checkFiles, collectorFiles, generatedFiles, idOfPath, root } from '../../scripts/generate.ts';

describe('check registry', () => {
  it('registers every file under checks/, with the id its path gives', async () => {
    const files = checkFiles();
    expect(checks.map((c) => c.id).sort()).toEqual(files.map((f) => idOfPath('checks', f)).sort());
    for (const f of files) {
      const mod = (await import(f)) as { default: { id: string } };
      expect(mod.default.id).toBe(idOfPath('checks', f));
    }
  });

  it('registers every collector under src/facts/<family>/, with the fact id its path gives', async () => {
    const files = collectorFiles();
    expect(Object.keys(collectors).sort()).toEqual(files.map((f) => idOfPath('src/facts', f)).sort());
    for (const f of files) expect(((await import(f)) as { default: { id: string } }).default.id).toBe(idOfPath('src/facts', f));
  });

  it('has unique ids, no plugin prefix, complete explanations, known facts and a test file per check', () => {
    expect(new Set(checks.map((c) => c.id)).size).toBe(checks.length);
    for (const c of checks) {
      expect(pluginOf(c.id), `${c.id} is built in`).toBeUndefined();
      expect(c.title.length, c.id).toBeGreaterThan(5);
      expect(c.docs, c.id).toMatch(/^https:\/\//);
      for (const k of ['what', 'why', 'fix'] as const) expect(c.explain[k].length, `${c.id} explain.${k}`).toBeGreaterThan(20);
      for (const f of c.facts) expect(Object.keys(collectors), `${c.id} needs ${f}`).toContain(f);
      const [cat, ...name] = c.id.split('.');
      const test = `test/unit/checks/${cat}/${name.join('.')}.test.ts`;
      expect(existsSync(join(root, test)), `${test} is missing`).toBe(true);
      expect(readFileSync(join(root, test), 'utf8'), `${test} uses the check tester`).toMatch(/testCheck\(/);
    }
  });

  it('every generated file is up to date (npm run generate regenerates them)', async () => {
    for (const [path, text] of Object.entries(await generatedFiles())) {
      expect(existsSync(join(root, path)), `${path} is missing: run npm run generate`).toBe(true);
      expect(readFileSync(join(root, path), 'utf8'), `${path} is stale: run npm run generate`).toBe(text);
    }
  });
});

describe('module structure', () => {
  // Type-only imports count too: a cycle of types is still a tangle to read and to change.
  it('has no import cycles in src/ and checks/', () => {
    const graph = new Map<string, string[]>();
    const visit = (file: string) => {
      if (graph.has(file)) return;
      const deps = [...readFileSync(file, 'utf8').matchAll(/^(?:import|export)\b[^'";]*?from\s+'(\.[^']+\.ts)'/gm)].map((m) => resolve(dirname(file), m[1]!));
      graph.set(file, deps);
      for (const d of deps) if (existsSync(d)) visit(d);
    };
    for (const f of [...checkFiles(), ...collectorFiles(), join(root, 'src/cli.ts'), join(root, 'src/app.ts'), join(root, 'src/api.ts')]) visit(f);
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const dfs = (f: string) => {
      state.set(f, 'open');
      stack.push(f);
      for (const d of graph.get(f) ?? []) {
        if (state.get(d) === 'open') cycles.push([...stack.slice(stack.indexOf(d)), d].map((x) => relative(root, x)).join(' → '));
        else if (!state.has(d)) dfs(d);
      }
      stack.pop();
      state.set(f, 'done');
    };
    for (const f of graph.keys()) if (!state.has(f)) dfs(f);
    expect(cycles).toEqual([]);
  });
});
