// templates/extra-templates.yaml: each entry of extraTemplates is run through `tpl` with the root
// context (a mapping is first turned into YAML text) and becomes one or more documents. Only simple
// actions are evaluated here — `{{ .Release.Namespace }}`, `{{ .Values.a.b | quote }}` and the like;
// anything else is refused with a hint, never guessed.
import { stringify } from 'yaml';
import { ConfigError } from '../errors.ts';
import type { RenderContext, RenderedDoc } from './context.ts';
import { goPrint, goRange, truthy, valueAt } from './go-template.ts';
import { isMap } from './types.ts';
import { parseYamlDocuments, YamlSyntaxError } from './yaml.ts';

const TEMPLATE = 'coder/templates/extra-templates.yaml';
const RENDER_HINT = 'render the chart with `helm template` and pass the output with --manifests';

/** The value of one field chain: .Release.*, .Chart.*, .Values.* (also spelled $.…). */
function fieldChain(ctx: RenderContext, chain: string, where: string): unknown {
  const path = chain.replace(/^\$/, '');
  const [, root, rest] = /^\.(Release|Chart|Values)(?:\.(.+))?$/.exec(path) ?? [];
  if (root === 'Values') return rest === undefined ? ctx.values : valueAt(ctx.values, rest);
  const fields: Record<string, Record<string, unknown>> = {
    Release: { Name: ctx.release.name, Namespace: ctx.release.namespace, Service: ctx.release.service },
    Chart: { Name: ctx.chart.name, Version: ctx.chart.version, AppVersion: ctx.chart.appVersion },
  };
  if (root && rest && Object.hasOwn(fields[root] ?? {}, rest)) return fields[root]?.[rest];
  throw new ConfigError(`${where}: the template action reads ${chain}, which this tool does not evaluate`, RENDER_HINT);
}

/** One pipe stage: quote, squote, upper, lower, trim, or default "literal". */
function pipeStage(value: unknown, stage: string, where: string): unknown {
  const def = /^default\s+"((?:[^"\\]|\\.)*)"$/.exec(stage);
  if (def) return truthy(value) ? value : JSON.parse(`"${def[1]}"`);
  switch (stage) {
    case 'quote':
      return value === null ? '' : JSON.stringify(goPrint(value));
    case 'squote':
      return value === null ? '' : `'${goPrint(value)}'`;
    case 'upper':
      return goPrint(value).toUpperCase();
    case 'lower':
      return goPrint(value).toLowerCase();
    case 'trim':
      return goPrint(value).trim();
  }
  throw new ConfigError(`${where}: the template uses \`${stage}\`, which this tool does not evaluate`, RENDER_HINT);
}

/** Helm's `tpl` for simple actions; the text of each action is printed with %v, nil as nothing. */
export function renderSimpleTemplate(ctx: RenderContext, text: string, where: string): string {
  let out = '';
  let last = 0;
  let trimNext = false;
  for (const m of text.matchAll(/\{\{(-\s)?([\s\S]*?)(\s-)?\}\}/g)) {
    let before = text.slice(last, m.index);
    if (trimNext) before = before.replace(/^\s+/, '');
    out += before;
    if (m[1]) out = out.replace(/\s+$/, '');
    trimNext = m[3] !== undefined;
    last = m.index + m[0].length;
    const action = (m[2] ?? '').trim();
    if (/^\/\*[\s\S]*\*\/$/.test(action)) continue;
    const [head = '', ...stages] = action.split('|').map((s) => s.trim());
    if (!/^\$?\.[A-Za-z_][\w.]*$/.test(head)) {
      throw new ConfigError(`${where}: the template action {{ ${action} }} is more than a value lookup, which this tool does not evaluate`, RENDER_HINT);
    }
    let value = fieldChain(ctx, head, where);
    for (const stage of stages) value = pipeStage(value, stage, where);
    out += value === null ? '' : goPrint(value);
  }
  let rest = text.slice(last);
  if (trimNext) rest = rest.replace(/^\s+/, '');
  return out + rest;
}

/** The documents extraTemplates renders, each checked to be a Kubernetes object. */
export function extraTemplates(ctx: RenderContext): RenderedDoc[] {
  const docs: RenderedDoc[] = [];
  for (const [i, entry] of goRange(ctx.values.extraTemplates ?? null, 'extraTemplates').entries()) {
    const where = `extraTemplates[${i}]`;
    const source = typeof entry === 'string' ? entry : stringify(entry ?? null);
    const text = renderSimpleTemplate(ctx, source, where);
    let parsed;
    try {
      parsed = parseYamlDocuments(text);
    } catch (e) {
      const line = e instanceof YamlSyntaxError && e.line ? ` (line ${e.line} of the rendered template)` : '';
      throw new ConfigError(`${where} does not render valid YAML${line}: ${(e as Error).message} (helm: YAML parse error on ${TEMPLATE})`, 'fix the template text in extraTemplates');
    }
    for (const { value } of parsed) {
      if (value === null) continue;
      if (!isMap(value) || typeof value.apiVersion !== 'string' || typeof value.kind !== 'string' || !isMap(value.metadata) || typeof value.metadata.name !== 'string') {
        throw new ConfigError(`${where} renders a document that is not a Kubernetes object with apiVersion, kind and metadata.name (helm install fails on it)`, 'give every extraTemplates document apiVersion, kind and metadata.name');
      }
      docs.push({ template: TEMPLATE, object: value });
    }
  }
  return docs;
}
