// Read `helm template` output (--manifests): multi-document YAML, `---` separated, `# Source:`
// comments, empty documents skipped, parsed the way kubectl and the API server parse YAML.
import { readFileSync } from 'node:fs';
import { ConfigError, fileProblem } from '../errors.ts';
import { isMap, type K8sObject } from './types.ts';
import { parseYamlDocuments, YamlSyntaxError } from './yaml.ts';

const HINT = 'pass what `helm template <release> coder-v2/coder -n <namespace> -f values.yaml` prints, saved to a file';

/** The objects in a manifests text; `source` names it in errors. A `kind: List` is flattened into its items. */
export function parseManifests(text: string, source: string): K8sObject[] {
  let docs;
  try {
    docs = parseYamlDocuments(text);
  } catch (e) {
    const line = e instanceof YamlSyntaxError && e.line ? ` at line ${e.line}` : '';
    throw new ConfigError(`manifests file ${source} is not valid YAML${line}: ${(e as Error).message}`, HINT);
  }
  const objects: K8sObject[] = [];
  const take = (value: unknown, where: string) => {
    if (!isMap(value)) throw new ConfigError(`manifests file ${source}: ${where} is not a Kubernetes object (it is ${Array.isArray(value) ? 'a list' : 'a scalar'})`, HINT);
    if (typeof value.apiVersion !== 'string' || typeof value.kind !== 'string' || value.apiVersion === '' || value.kind === '') {
      const looksLikeValues = 'coder' in value || 'coderd' in value || 'postgres' in value;
      throw new ConfigError(
        `manifests file ${source}: ${where} has no apiVersion and kind, so it is not a Kubernetes object${looksLikeValues ? ' (it looks like a Helm values file)' : ''}`,
        looksLikeValues ? 'pass the values file with --values, and helm template output with --manifests' : HINT,
      );
    }
    if (value.kind.endsWith('List') && Array.isArray(value.items)) {
      for (const [i, item] of value.items.entries()) take(item, `${where} item ${i + 1}`);
      return;
    }
    if (!isMap(value.metadata) || typeof value.metadata.name !== 'string' || value.metadata.name === '') {
      throw new ConfigError(`manifests file ${source}: ${where} (${value.kind}) has no metadata.name`, HINT);
    }
    objects.push(value as K8sObject);
  };
  for (const [i, doc] of docs.entries()) {
    if (doc.value === null) continue;
    take(doc.value, `document ${i + 1} (line ${doc.line})`);
  }
  return objects;
}

/** The objects in a manifests file; unreadable or invalid files are a one-line ConfigError. */
export function readManifests(path: string): K8sObject[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read manifests file ${path}: ${fileProblem(e)}`, HINT);
  }
  if (text.includes('\u0000')) throw new ConfigError(`manifests file ${path} is not a text file`, HINT);
  const objects = parseManifests(text, path);
  // An empty file is most likely a failed `helm template > file`; judging nothing would pass everything.
  if (objects.length === 0) throw new ConfigError(`manifests file ${path} holds no Kubernetes objects`, HINT);
  return objects;
}
