// readManifests: `helm template` output as objects, and one-line ConfigErrors for files that are not that.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { readManifests } from '../../src/chart/index.ts';
import { parseYaml } from '../../src/chart/yaml.ts';

const GOLDENS = join(import.meta.dirname, '../fixtures/helm/coder-v2-chart/testdata');
const dir = mkdtempSync(join(tmpdir(), 'manifests-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (text: string | Buffer) => {
  const path = join(dir, `m${n++}.yaml`);
  writeFileSync(path, text);
  return path;
};
const error = (path: string): ConfigError => {
  try {
    readManifests(path);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error(`no error for ${path}`);
};

describe('readManifests', () => {
  it('reads helm template output: --- separators, # Source comments, a leading ---', () => {
    const objects = readManifests(join(GOLDENS, 'default_values.golden'));
    expect(objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'ServiceAccount/default/coder',
      'Role/default/coder-workspace-perms',
      'RoleBinding/default/coder',
      'Service/default/coder',
      'Deployment/default/coder',
    ]);
    const svc = objects[3] as unknown as { spec: { ports: Record<string, unknown>[] } };
    // `nodePort: ` (nothing after it) is a null, as Kubernetes reads it.
    expect(svc.spec.ports[0]).toStrictEqual({ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP', nodePort: null });
    expect(objects[4]?.metadata.labels).toMatchObject({ 'app.kubernetes.io/version': '0.1.0' });
  });

  it('skips empty documents (a template that rendered nothing, a # Source comment followed by ---)', () => {
    expect(readManifests(join(GOLDENS, 'sa_disabled.golden')).map((o) => o.kind)).toEqual(['Role', 'RoleBinding', 'Service', 'Deployment']);
    const path = file('---\n# Source: a.yaml\n---\n\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n---\n');
    expect(readManifests(path)).toStrictEqual([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }]);
  });

  it('parses YAML as Kubernetes does (YAML 1.1 booleans, later duplicate key wins, CRLF)', () => {
    const path = file('apiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: first\r\n  name: second\r\ndata:\r\n  a: yes\r\n  b: "yes"\r\n  c: 2024-01-02\r\n  d: 0755\r\n  e: y\r\n');
    expect(readManifests(path)).toStrictEqual([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'second' }, data: { a: true, b: 'yes', c: '2024-01-02', d: 493, e: true } }]);
  });

  // What sigs.k8s.io/yaml v1.6.0 Unmarshal (Helm's values and manifests, kubectl) gives for each,
  // recorded from a one-off Go program; `yaml` with its 1.2 defaults differs on most of them.
  it.each([
    ['y', true], ['yes', true], ['on', true], ['0755', 493], ['0o17', 15], ['1:20', '1:20'], ['2024-01-02', '2024-01-02'],
    ['1e+06', 1000000], ['0x1F', 31], ['0b101', 5], ['1_000', 1000], ['.5', 0.5], ['+5', 5], ['~', null], ['NULL', null], ['1.', 1], ['0.1.0', '0.1.0'],
  ])('reads the scalar %s as yaml.v2 does', (text, value) => {
    expect(parseYaml(`a: ${text}`)).toStrictEqual({ a: value });
  });

  it('flattens a kind: List (kubectl get -o yaml)', () => {
    const path = file('apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: a}\n- apiVersion: v1\n  kind: Service\n  metadata: {name: b}\n');
    expect(readManifests(path).map((o) => o.metadata.name)).toEqual(['a', 'b']);
  });

  it('unreadable files: missing, a directory, binary', () => {
    expect(error(join(dir, 'nope.yaml')).message).toBe(`cannot read manifests file ${join(dir, 'nope.yaml')}: no such file`);
    const sub = join(dir, 'sub');
    mkdirSync(sub);
    expect(error(sub).message).toMatch(/it is a directory/);
    expect(error(file(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1]))).message).toMatch(/not a text file/);
  });

  it('invalid YAML: one line with the line number', () => {
    const e = error(file('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [x\n'));
    expect(e.message).toMatch(/is not valid YAML at line \d/);
    expect(e.message).not.toContain('\n');
    expect(e.hint).toMatch(/helm template/);
  });

  it('documents that are not Kubernetes objects', () => {
    expect(error(file('coder:\n  image:\n    tag: v2\n')).message).toMatch(/document 1 \(line 1\) has no apiVersion and kind.*looks like a Helm values file/);
    expect(error(file('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n- a\n- b\n')).message).toMatch(/document 2 \(line 6\) is not a Kubernetes object \(it is a list\)/);
    expect(error(file('apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n')).message).toMatch(/\(ConfigMap\) has no metadata.name/);
    expect(error(file('just text\n')).message).toMatch(/is not a Kubernetes object \(it is a scalar\)/);
  });

  it('a file with no objects is an error, not an empty release (judging nothing would pass everything)', () => {
    expect(error(file('')).message).toMatch(/holds no Kubernetes objects/);
    expect(error(file('---\n# Source: x\n---\n')).message).toMatch(/holds no Kubernetes objects/);
  });
});
