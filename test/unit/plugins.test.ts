// Loading third-party checks: every way a plugin can be wrong is one line (exit 2), and a plugin
// can never shadow a built-in check or collector.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checks } from '../../checks/index.ts';
import { ConfigError } from '../../src/errors.ts';
import { collectors } from '../../src/facts/index.ts';
import { loadPlugins } from '../../src/plugins/load.ts';
import { root } from '../../scripts/generate.ts';

const builtin = { checks, factIds: Object.keys(collectors) };
const define = `import { defineCheck, defineCollector, definePlugin } from '${join(root, 'src/api.ts')}';`;
const checkSrc = (id: string, facts = "['kubernetes.version']") =>
  `defineCheck({ id: '${id}', title: 'A plugin check', category: '${id.split('/').pop()!.split('.')[0]}', facts: ${facts}, docs: 'https://example.com', explain: { what: 'w', why: 'y', fix: 'f' }, evaluate: () => ({ status: 'pass', summary: 'ok', evidence: { a: 1 } }) })`;

function plugin(body: string, name = 'plugin.mjs'): { dir: string; spec: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cp-plugin-'));
  writeFileSync(join(dir, name), body);
  return { dir, spec: `./${name}` };
}
async function load(body: string) {
  const p = plugin(body);
  return loadPlugins([{ spec: p.spec, base: p.dir }], builtin);
}
async function refused(body: string | { spec: string; base: string }): Promise<ConfigError> {
  try {
    if (typeof body === 'string') await load(body);
    else await loadPlugins([body], builtin);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).message).not.toContain('\n');
    return e as ConfigError;
  }
  throw new Error('the plugin loaded');
}

describe('plugins', () => {
  it('loads checks and collectors made with the public API', async () => {
    const [p] = await load(`${define}
const fact = defineCollector({ id: 'acme/kubernetes.extra', timeoutMs: 1000, collect: async () => ({ n: 1 }) });
export default definePlugin({ name: 'acme', checks: [${checkSrc('acme/kubernetes.extra-thing', "['acme/kubernetes.extra', 'kubernetes.version']")}], collectors: [fact] });`);
    expect(p).toMatchObject({ name: 'acme', spec: './plugin.mjs' });
    expect(p!.checks.map((c) => c.id)).toEqual(['acme/kubernetes.extra-thing']);
    expect(p!.collectors.map((c) => c.id)).toEqual(['acme/kubernetes.extra']);
  });

  it('resolves a package from node_modules, including an ESM-only one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cp-plugin-pkg-'));
    const pkg = join(dir, 'node_modules', 'preflight-acme');
    mkdirSync(join(pkg, 'lib'), { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'preflight-acme', type: 'module', exports: { '.': { import: './lib/index.js' } } }));
    writeFileSync(join(pkg, 'lib', 'index.js'), `${define}\nexport default definePlugin({ name: 'acme', checks: [${checkSrc('acme/kubernetes.pkg')}] });`);
    const [p] = await loadPlugins([{ spec: 'preflight-acme', base: dir }], builtin);
    expect(p!.checks[0]!.id).toBe('acme/kubernetes.pkg');
    expect((await refused({ spec: 'preflight-missing', base: dir })).message).toMatch(/^plugin preflight-missing: no such package/);
  });

  it('refuses a missing file, a syntax error and a module that exports no checks', async () => {
    expect((await refused({ spec: './nope.mjs', base: tmpdir() })).message).toMatch(/^plugin \.\/nope\.mjs: no such file/);
    expect((await refused('export default {{;')).message).toMatch(/^plugin \.\/plugin\.mjs did not load: ./); // SyntaxError under plain Node: test/e2e/extensibility.test.ts
    expect((await refused('throw new Error("kaboom at load")')).message).toBe('plugin ./plugin.mjs did not load: kaboom at load');
    expect((await refused(`export default { name: 'acme', checks: [] }`)).message).toBe('plugin ./plugin.mjs exports no checks');
    expect((await refused('export const x = 1;')).message).toMatch(/has no valid name/);
  });

  it('refuses ids that could shadow a built-in check or collector', async () => {
    const shadow = await refused(`${define}\nexport default definePlugin({ name: 'acme', checks: [${checkSrc('postgres.connect')}] });`);
    expect(shadow.message).toBe('plugin ./plugin.mjs: check id "postgres.connect" must start with "acme/"');
    expect(shadow.hint).toMatch(/cannot shadow a built-in check/);
    expect((await refused(`${define}\nexport default definePlugin({ name: 'acme', checks: [${checkSrc('other/postgres.x')}] });`)).message).toMatch(/check id "other\/postgres\.x" must start with "acme\/"/);
    expect((await refused(`${define}\nexport default definePlugin({ name: 'acme', checks: [${checkSrc('acme/postgres.x')}], collectors: [defineCollector({ id: 'postgres.server', timeoutMs: 1, collect: async () => ({}) })] });`)).message).toMatch(/fact postgres\.server must start with "acme\/"/);
    expect((await refused(`${define}\nexport default definePlugin({ name: 'postgres', checks: [${checkSrc('postgres/postgres.x')}] });`)).message).toMatch(/the name "postgres" is taken \(a built-in category\)/);
  });

  it('refuses a check that needs a fact no collector provides, and a malformed check', async () => {
    expect((await refused(`${define}\nexport default definePlugin({ name: 'acme', checks: [${checkSrc('acme/postgres.x', "['acme/nothing.here']")}] });`)).message).toMatch(/check acme\/postgres\.x needs fact acme\/nothing\.here, which no collector provides/);
    expect((await refused(`export default { name: 'acme', checks: [{ id: 'acme/postgres.x', title: 't', category: 'postgres', facts: [], docs: 'https://x', explain: { what: 'w', why: 'y', fix: 'f' } }] }`)).message).toMatch(/evaluate is not a function/);
  });
});
