// Kubernetes resource quantities ("2", "2000m", "0.5", "4096Mi", "8Gi", "1e9", "512M") in base
// units: cores for CPU (so millicores = × 1000), bytes for memory. NaN when it is not a quantity.
const SUFFIX: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

export function parseQuantity(q: string | number | undefined | null): number {
  if (typeof q === 'number') return q;
  if (typeof q !== 'string') return Number.NaN;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(q.trim());
  if (!m) return Number.NaN;
  return Number(m[1]) * SUFFIX[m[2] ?? '']!;
}

export const cpuMillis = (q: string | number | undefined | null) => Math.round(parseQuantity(q) * 1000);
export const mebibytes = (q: string | number | undefined | null) => Math.round((parseQuantity(q) / 2 ** 20) * 10) / 10;
