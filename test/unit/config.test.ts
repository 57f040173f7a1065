// The config file: found or named, parsed, and validated against schema/config.schema.json — by
// the small checker the CLI uses, which must agree with a real JSON Schema validator (Ajv).
import Ajv from 'ajv';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import { firstProblem, type Schema } from '../../src/config/validate.ts';
import { ConfigError } from '../../src/errors.ts';
import { root } from '../../scripts/generate.ts';

const schema = JSON.parse(readFileSync(join(root, 'schema/config.schema.json'), 'utf8')) as Schema;
const tmp = () => mkdtempSync(join(tmpdir(), 'cp-config-'));
const write = (dir: string, name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
async function problem(text: string, name = 'coder-preflight.config.yaml'): Promise<ConfigError> {
  const dir = tmp();
  write(dir, name, text);
  try {
    await loadConfig(undefined, dir);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('config file', () => {
  it('is optional, found in the working directory, or named with --config', async () => {
    expect(await loadConfig(undefined, tmp())).toEqual({});
    const dir = tmp();
    write(dir, 'coder-preflight.config.yaml', 'failOn: warn\ncheck: [postgres]\nskip: ["postgres.listen-notify"]\nthresholds:\n  postgres.version:\n    minMajor: 14\n');
    expect(await loadConfig(undefined, dir)).toMatchObject({ file: join(dir, 'coder-preflight.config.yaml'), failOn: 'warn', check: ['postgres'], skip: ['postgres.listen-notify'], thresholds: { 'postgres.version': { minMajor: 14 } } });
    const other = tmp();
    write(other, 'ci.json', '{"failOn":"fail"}');
    expect(await loadConfig('ci.json', other)).toMatchObject({ file: 'ci.json', failOn: 'fail' });
    const json = tmp();
    write(json, 'coder-preflight.config.json', '{"check":["kubernetes"]}');
    expect(await loadConfig(undefined, json)).toMatchObject({ check: ['kubernetes'] });
  });

  it('resolves plugin paths against the config file\'s folder', async () => {
    const dir = tmp();
    mkdirSync(join(dir, 'conf'));
    write(join(dir, 'conf'), 'p.yaml', 'plugins: [./plugin.mjs, some-package]\n');
    expect((await loadConfig('conf/p.yaml', dir)).plugins).toEqual([
      { spec: './plugin.mjs', base: join(dir, 'conf') },
      { spec: 'some-package', base: join(dir, 'conf') },
    ]);
  });

  it('names the file and the key for every mistake, in one line', async () => {
    expect((await problem('fail_on: warn\n')).message).toMatch(/^config file .*coder-preflight\.config\.yaml: fail_on is not a known key \(did you mean failOn\?\)$/);
    expect((await problem('failOn: often\n')).message).toMatch(/: failOn must be one of "warn", "fail", not "often"$/);
    expect((await problem('check: postgres\n')).message).toMatch(/: check must be a list, not string$/);
    expect((await problem('check: [1]\n')).message).toMatch(/: check\[0\] must be a string, not number$/);
    expect((await problem('thresholds:\n  postgres.version:\n    minMajor: "13"\n')).message).toMatch(/: thresholds\.postgres\.version\.minMajor must be a number, not string$/);
    expect((await problem('thresholds:\n  postgres.version:\n    minimum: 13\n')).message).toMatch(/: thresholds\.postgres\.version\.minimum is not a known key \(known: minMajor, recommendedMajor\)$/);
    expect((await problem('probes:\n  imag: x\n')).message).toMatch(/: probes\.imag is not a known key \(did you mean image\?\)$/);
    expect((await problem('probes:\n  active: "yes"\n')).message).toMatch(/: probes\.active must be a boolean, not string$/);
    expect((await problem('- a\n- b\n')).message).toMatch(/: the document must be a mapping, not array$/);
    expect((await problem('check: [\n')).message).toMatch(/is not valid YAML/);
    expect((await problem('{"check": ', 'coder-preflight.config.json')).message).toMatch(/is not valid JSON/);
    expect(() => loadConfig('missing.yaml', tmp())).toThrow(/^cannot read config file missing\.yaml: no such file$/);
    const dir = tmp();
    mkdirSync(join(dir, 'adir.yaml'));
    expect(() => loadConfig('adir.yaml', dir)).toThrow(/it is a directory/);
  });

  it('the schema\'s checker agrees with Ajv on valid and invalid documents', () => {
    const ajv = new Ajv.default({ strict: false, allErrors: false });
    const validate = ajv.compile(schema);
    const docs: unknown[] = [
      {},
      { failOn: 'warn' },
      { failOn: 'sometimes' },
      { check: ['postgres', 'kubernetes.api'] },
      { check: 'postgres' },
      { skip: [1] },
      { plugins: ['./a.mjs'] },
      { plugins: './a.mjs' },
      { thresholds: { 'postgres.version': { minMajor: 14 } } },
      { thresholds: { 'postgres.version': { minMajor: '14' } } },
      { thresholds: { 'postgres.version': { nope: 1 } } },
      { thresholds: { 'acme/postgres.region': { databaseRegion: 'eu-west-1', strict: true } } },
      { thresholds: { 'acme/postgres.region': { list: [1] } } },
      { thresholds: { 'postgres.connections': { factor: 1.5, strictlyBelow: false } } },
      { thresholds: 'x' },
      { probes: {} },
      { probes: { image: 'x' } },
      { unknown: true },
      [],
      'text',
    ];
    for (const d of docs) expect(firstProblem(schema, d) === undefined, JSON.stringify(d)).toBe(validate(d) as boolean);
  });
});
