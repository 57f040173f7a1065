// What a template sees: `.Values` (coalesced), `.Release`, `.Chart`.
import type { YamlMap } from './types.ts';

export interface RenderContext {
  values: YamlMap;
  release: { name: string; namespace: string; service: 'Helm' };
  chart: { name: string; version: string; appVersion: string };
}

/** One rendered document and the template file it came from (Helm orders by file, then by kind). */
export interface RenderedDoc {
  template: string;
  object: YamlMap;
}
