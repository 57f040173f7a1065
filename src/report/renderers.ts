// The output formats, keyed by name (after arethetypeswrong's CLI): the list of formats that
// -o accepts is this table's keys. Each renderer is a pure function of the report (SARIF also of
// the checks' metadata, for its rules).
import { renderHtml } from './html.ts';
import { renderJson } from './json.ts';
import { renderJunit } from './junit.ts';
import { renderMarkdown } from './markdown.ts';
import type { Report } from './model.ts';
import { renderSarif, type RuleSource } from './sarif.ts';
import { renderTable } from './table.ts';

export interface RenderOptions {
  color: boolean;
  width: number | undefined;
  verbose: boolean;
  /**
   * The checks the run could use (built-in and plugins), for formats that describe each check
   * (SARIF rules: explain what/why/fix). A result whose check is not among them gets a rule from
   * the report alone (title and docs link).
   */
  checks?: readonly RuleSource[];
}

export const RENDERERS = {
  table: { extension: 'txt', render: (r: Report, o: RenderOptions) => renderTable(r, { color: o.color, width: o.width, verbose: o.verbose }) },
  json: { extension: 'json', render: (r: Report) => renderJson(r) },
  junit: { extension: 'xml', render: (r: Report) => renderJunit(r) },
  markdown: { extension: 'md', render: (r: Report) => renderMarkdown(r) },
  sarif: { extension: 'sarif', render: (r: Report, o: RenderOptions) => renderSarif(r, o.checks ?? []) },
  html: { extension: 'html', render: (r: Report) => renderHtml(r) },
} as const satisfies Record<string, { extension: string; render(r: Report, o: RenderOptions): string }>;

export type Format = keyof typeof RENDERERS;
export const FORMATS = Object.keys(RENDERERS) as Format[];

export function render(format: Format, report: Report, o: RenderOptions): string {
  return RENDERERS[format].render(report, o);
}
