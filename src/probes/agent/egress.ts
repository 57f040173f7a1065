// egress: walk out to each endpoint an install needs (src/access/egress.ts), four at a time, from
// a pod in Coder's namespace. It talks only to the endpoints the layer gives it (the user's list,
// or the defaults for the configured image and Terraform) and to the proxy the values give Coder.
import { egress, type EgressResult } from '../../access/egress.ts';

export interface EgressProbeArgs {
  nonce: string;
  endpoints: string[];
  proxy?: { http?: string; https?: string; noProxy?: string };
  caPems: string[];
  timeoutMs: number;
  userAgent: string;
  /** Wait this long before the first walk: a network plugin programs a new pod's policy a moment after it starts (kube-router: about a second), and a walk before that would pass where Coder's long-running pods are blocked. */
  settleMs?: number;
}

export async function egressAll(a: EgressProbeArgs): Promise<EgressResult[]> {
  if (a.settleMs) await new Promise((r) => setTimeout(r, a.settleMs));
  const out: EgressResult[] = new Array(a.endpoints.length);
  let next = 0;
  const worker = async () => {
    while (next < a.endpoints.length) {
      const i = next++;
      const url = a.endpoints[i]!;
      const proxy = url.startsWith('https:') ? (a.proxy?.https ?? a.proxy?.http) : a.proxy?.http;
      out[i] = await egress({ url, ...(proxy ? { proxy } : {}), ...(a.proxy?.noProxy ? { noProxy: a.proxy.noProxy } : {}), caPems: a.caPems, timeoutMs: a.timeoutMs, userAgent: a.userAgent });
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, a.endpoints.length) }, worker));
  // Small enough for the termination message: no certificates, short errors.
  return out;
}
