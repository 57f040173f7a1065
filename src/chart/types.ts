// The shape of one Kubernetes object as the chart renders it (renderChart) or as `helm template`
// printed it (readManifests). Fields are kept exactly as rendered: a values file can put a number
// where Kubernetes wants a string, or null where a field is optional, and later checks must see that.

export interface K8sMetadata {
  name: string;
  namespace?: string;
  /** As rendered; the chart can render `null` (e.g. `annotations: null` when the values set it so). */
  labels?: Record<string, unknown> | null;
  annotations?: Record<string, unknown> | null;
  [field: string]: unknown;
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: K8sMetadata;
  [field: string]: unknown;
}

/** A mapping as Helm's values and YAML documents hold it. */
export type YamlMap = Record<string, unknown>;

export const isMap = (v: unknown): v is YamlMap => typeof v === 'object' && v !== null && !Array.isArray(v);
