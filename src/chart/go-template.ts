// How Helm's Go templates (text/template + sprig) read values and turn them into text, for the
// few operations Coder's chart uses. Where Helm fails to render, these throw a ConfigError that
// names the value, so a values file `helm template` rejects is rejected here too.
//
// Helm reads values files through JSON, so every number is a float64; `{{ x }}` prints it with
// Go's %v (1000000 prints as 1e+06), and a nil prints as "<no value>", which Helm blanks out.
import { ConfigError } from '../errors.ts';
import { isMap, type YamlMap } from './types.ts';
import { parseYaml } from './yaml.ts';

/** The template fails: `helm template` stops with this message. */
export function chartFails(message: string, hint?: string): ConfigError {
  return new ConfigError(`the Coder chart cannot render these values: ${message}`, hint ?? 'fix the values file (helm install would fail the same way)');
}

const kindOf = (v: unknown): string =>
  v === null || v === undefined ? 'null' : Array.isArray(v) ? 'a list' : isMap(v) ? 'a mapping' : typeof v === 'string' ? 'a string' : typeof v === 'number' ? 'a number' : 'a boolean';

/**
 * `.Values.a.b.c`: each step must be a mapping. A missing key reads as nil (Helm's
 * missingkey=zero); reading a field of nil or of a scalar fails, as text/template does.
 */
export function valueAt(values: YamlMap, path: string): unknown {
  let cur: unknown = values;
  const steps = path.split('.');
  for (const [i, key] of steps.entries()) {
    if (!isMap(cur)) {
      const parent = steps.slice(0, i).join('.');
      const why = cur === null || cur === undefined ? `nil pointer evaluating interface {}.${key}` : `can't evaluate field ${key} in type interface {}`;
      throw chartFails(`${path} is read, but ${parent} is ${kindOf(cur)} (${why})`, `give ${parent} a mapping, or remove it so the chart's default applies (null in a values file deletes the default)`);
    }
    cur = Object.hasOwn(cur, key) ? (cur[key] ?? null) : null;
  }
  return cur;
}

/** A field of a mapping the template ranges over (`$ns.name`, `.name` of an env entry). */
export function fieldOf(item: unknown, key: string, where: string): unknown {
  if (!isMap(item)) {
    const why = item === null || item === undefined ? `nil pointer evaluating interface {}.${key}` : `can't evaluate field ${key} in type interface {}`;
    throw chartFails(`${where} is ${kindOf(item)}, but the chart reads its ${key} (${why})`, `make ${where} a mapping with a ${key}`);
  }
  return Object.hasOwn(item, key) ? (item[key] ?? null) : null;
}

/** sprig `hasKey` (a key present with a null value counts). */
export const hasKey = (map: YamlMap, key: string): boolean => Object.hasOwn(map, key);

/** Go template truth (`if`, `with`, `and`, `or`, `not`), and sprig's `empty` is its negation. */
export function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isMap(v)) return Object.keys(v).length > 0;
  return true;
}

/** sprig `default`: the value unless it is empty. */
export const withDefault = (v: unknown, fallback: unknown): unknown => (truthy(v) ? v : fallback);

/** Go's %v for a float64 (strconv 'g', shortest): exponent form from 1e+06 and below 1e-04. */
function goFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const [mantissa, e] = n.toExponential().split('e') as [string, string];
  const exp = Number(e);
  if (exp < -4 || exp >= 6) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(n);
}

/** What `{{ v }}` prints. */
export function goPrint(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return goFloat(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  const inner = (x: unknown): string => (x === null || x === undefined ? '<nil>' : goPrint(x));
  if (Array.isArray(v)) return `[${v.map(inner).join(' ')}]`;
  if (isMap(v)) return `map[${Object.keys(v).sort().map((k) => `${k}:${inner(v[k])}`).join(' ')}]`;
  return String(v);
}

/**
 * `key: {{ v }}`: the printed text is read back as YAML, so "30080" becomes a number, "" a null
 * and "yes" a boolean. Text that is not a YAML scalar breaks the manifest, and Helm fails.
 */
export function plain(v: unknown, where: string): unknown {
  const text = goPrint(v);
  if (text.includes('\n')) throw chartFails(`${where} renders as several lines (${JSON.stringify(text)}), which breaks the manifest`, `give ${where} a one-line value`);
  let parsed: unknown;
  try {
    parsed = parseYaml(`v: ${text}`);
  } catch {
    throw chartFails(`${where} renders as ${JSON.stringify(text)}, which is not valid YAML there (helm: YAML parse error)`, `quote or change ${where}`);
  }
  if (!isMap(parsed) || Object.keys(parsed).length !== 1) throw chartFails(`${where} renders as ${JSON.stringify(text)}, which breaks the manifest`, `quote or change ${where}`);
  return parsed.v;
}

/** `{{ v | quote }}`: always a string, except that sprig's quote prints nothing for nil (a null). */
export const quote = (v: unknown): string | null => (v === null || v === undefined ? null : goPrint(v));

/** `{{ toYaml v }}`: the value itself (a copy), with its types. */
export function toYaml<T>(v: T): T {
  return v === undefined ? (null as T) : structuredClone(v);
}

/** text/template `eq`: a nil compares unequal; two non-nil values of different kinds fail. */
export function goEq(a: unknown, b: string, where: string): boolean {
  if (a === null || a === undefined) return false;
  if (typeof a !== 'string') throw chartFails(`${where} is ${kindOf(a)}, and the chart compares it with "${b}" (error calling eq: incompatible types for comparison)`, `write ${where} as a quoted string`);
  return a === b;
}

/** `range v`: a list's items, a mapping's values by sorted key, nothing for nil. */
export function goRange(v: unknown, where: string): unknown[] {
  if (v === null || v === undefined) return [];
  if (Array.isArray(v)) return v;
  if (isMap(v)) return Object.keys(v).sort().map((k) => v[k]);
  throw chartFails(`${where} is ${kindOf(v)}, and the chart ranges over it (range can't iterate over ${goPrint(v)})`, `make ${where} a list`);
}

/** text/template `len`. */
export function goLen(v: unknown, where: string): number {
  if (v === null || v === undefined) throw chartFails(`${where} is null, and the chart takes its length (error calling len: len of nil pointer)`, `set ${where} to [] or remove the line so the chart's default applies`);
  if (typeof v === 'string') return Buffer.byteLength(v);
  if (Array.isArray(v)) return v.length;
  if (isMap(v)) return Object.keys(v).length;
  throw chartFails(`${where} is ${kindOf(v)}, and the chart takes its length (error calling len: len of type float64)`, `make ${where} a list`);
}

/** sprig `ternary` takes a bool: anything else fails the template. */
export function goBool(v: unknown, where: string): boolean {
  if (typeof v !== 'boolean') throw chartFails(`${where} is ${kindOf(v)}, and the chart passes it to ternary, which needs true or false (wrong type for value; expected bool)`, `set ${where} to true or false`);
  return v;
}

/** A values list the chart pastes into a YAML list as text (`{{ toYaml . }}`): anything else breaks the manifest. */
export function listValue(v: unknown, where: string): unknown[] {
  if (!truthy(v)) return [];
  if (!Array.isArray(v)) throw chartFails(`${where} is ${kindOf(v)}; the chart pastes it into a list, so only a list renders a valid container`, `make ${where} a list`);
  return toYaml(v);
}

/** A values mapping the chart pastes into a YAML mapping as text (labels, annotations). */
export function mapValue(v: unknown, where: string): YamlMap {
  if (!truthy(v)) return {};
  if (!isMap(v)) throw chartFails(`${where} is ${kindOf(v)}; the chart pastes it into a mapping, so only a mapping renders a valid manifest`, `make ${where} a mapping`);
  return toYaml(v);
}
