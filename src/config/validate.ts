// A small JSON Schema checker for the subset schema/config.schema.json uses (type, enum,
// properties, additionalProperties, items), so that the schema file itself is what a config file
// is validated against, without loading a schema library on every run. The unit tests check
// that it agrees with Ajv on the same schema.
import { suggest } from '../suggest.ts';

export interface Schema {
  type?: string | string[];
  enum?: unknown[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
  description?: string;
}

export interface SchemaProblem {
  /** e.g. "thresholds.postgres.version.minMajor" ("" for the whole document). */
  path: string;
  message: string;
}

const typeOf = (v: unknown): string => (Array.isArray(v) ? 'array' : v === null ? 'null' : Number.isInteger(v) ? 'integer' : typeof v);
const matchesType = (v: unknown, t: string) => typeOf(v) === t || (t === 'number' && typeof v === 'number' && Number.isFinite(v));
const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

/** The first problem, or undefined when `value` fits `schema`. */
export function firstProblem(schema: Schema, value: unknown, path = ''): SchemaProblem | undefined {
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((t) => matchesType(value, t))) {
      return { path, message: `must be ${types.map((t) => (t === 'array' ? 'a list' : t === 'object' ? 'a mapping' : `a ${t}`)).join(' or ')}, not ${typeOf(value) === 'integer' ? 'number' : typeOf(value)}` };
    }
  }
  if (schema.enum && !schema.enum.some((e) => e === value)) return { path, message: `must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}, not ${JSON.stringify(value)}` };
  if (Array.isArray(value) && schema.items) {
    for (let i = 0; i < value.length; i++) {
      const p = firstProblem(schema.items, value[i], `${path}[${i}]`);
      if (p) return p;
    }
  }
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>;
    const props = schema.properties ?? {};
    for (const [k, v] of Object.entries(obj)) {
      if (props[k]) {
        const p = firstProblem(props[k], v, join(path, k));
        if (p) return p;
      } else if (schema.additionalProperties === false) {
        const near = suggest(k, Object.keys(props));
        return { path: join(path, k), message: `is not a known key${near.length ? ` (did you mean ${near.join(', ')}?)` : Object.keys(props).length ? ` (known: ${Object.keys(props).join(', ')})` : ''}` };
      } else if (typeof schema.additionalProperties === 'object') {
        const p = firstProblem(schema.additionalProperties, v, join(path, k));
        if (p) return p;
      }
    }
  }
  return undefined;
}
