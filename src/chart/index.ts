// Coder's v2 Helm chart: the objects it creates, rendered from a values file (renderChart) or read
// from `helm template` output (readManifests).
export type { K8sMetadata, K8sObject } from './types.ts';
export { renderChart, type RenderOptions } from './render.ts';
export { readManifests, parseManifests } from './manifests.ts';
export { CHART } from './defaults.ts';
