// Defaults of Coder's Helm charts that checks fall back on when the values file does not say (kept
// apart from values.ts so a check that needs them does not load the YAML parser).

/** One replica's requests when the values set none: the charts' defaults, per profile (a check's `defaults`). */
export const CHART_DEFAULT_REQUESTS = {
  baseline: { cpuRequestMillis: 2000, memoryRequestMi: 4096, source: 'Coder v2 chart default resources (libcoder _coder.yaml): requests 2000m CPU / 4096Mi per replica' },
  v1: { cpuRequestMillis: 250, memoryRequestMi: 512, source: 'Coder v1 chart values.yaml coderd.resources.requests: 250m CPU / 512Mi per replica' },
};
