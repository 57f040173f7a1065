// YAML as Helm and Kubernetes read it. Both go through sigs.k8s.io/yaml, which uses a fork of
// gopkg.in/yaml.v2: YAML 1.1 scalars (`yes`/`on` are booleans, `0755` is octal), a later duplicate
// key wins, merge keys (`<<`) work, and timestamps and base-60 numbers stay strings.
import { LineCounter, parseAllDocuments, type DocumentOptions, type ParseOptions, type ScalarTag, type SchemaOptions, type ToJSOptions } from 'yaml';

type Options = ParseOptions & DocumentOptions & SchemaOptions;

/** yaml.v2 reads integers with Go's strconv.ParseInt(s, 0, 64), which also takes 0o17. */
const GO_OCTAL: ScalarTag = {
  tag: 'tag:yaml.org,2002:int',
  format: 'OCT',
  default: true,
  identify: () => false,
  test: /^[-+]?0o[0-7_]+$/,
  resolve: (s: string) => parseInt(s.replaceAll('_', '').replace(/^([-+]?)0o/, '$1'), 8),
};

const YAML_1_1: Options = {
  version: '1.1',
  schema: 'yaml-1.1',
  uniqueKeys: false,
  merge: true,
  prettyErrors: false,
  // yaml.v2 keeps timestamp-like values as strings when decoding into interface{}, and has no
  // base-60 ("1:20") numbers.
  customTags: (tags) => [
    ...tags.filter((t) => typeof t === 'string' || !(t.tag === 'tag:yaml.org,2002:timestamp' || t.format === 'TIME')),
    GO_OCTAL,
  ],
};
const TO_JS: ToJSOptions = { maxAliasCount: 1000 };

/** One parsed document: its value (null for an empty one) and the line it starts on. */
export interface YamlDoc {
  value: unknown;
  line: number;
}

/** A YAML syntax error, one line, with the 1-based line it is on. */
export class YamlSyntaxError extends Error {
  override name = 'YamlSyntaxError';
  readonly line: number | undefined;
  constructor(message: string, line: number | undefined) {
    super(message);
    this.line = line;
  }
}

/** Every document of a multi-document stream (`---` separated), parsed as Kubernetes would. */
export function parseYamlDocuments(text: string): YamlDoc[] {
  // An empty stream comes back as an empty array (with `empty: true`).
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { ...YAML_1_1, lineCounter: lines });
  const out: YamlDoc[] = [];
  for (const doc of docs) {
    const err = doc.errors[0];
    if (err) throw new YamlSyntaxError(err.message.split('\n')[0] ?? err.message, lines.linePos(err.pos[0]).line);
    // The line of the document's content (after any `---` and comments).
    const start = doc.contents?.range[0] ?? doc.range[0];
    out.push({ value: doc.toJS(TO_JS) ?? null, line: lines.linePos(start).line });
  }
  return out;
}

/** One document; an empty text is null. */
export function parseYaml(text: string): unknown {
  const docs = parseYamlDocuments(text);
  if (docs.length > 1) throw new YamlSyntaxError('expected one YAML document, found several', docs[1]?.line);
  return docs[0]?.value ?? null;
}
