// The one place that loads @kubernetes/client-node (heavy: ~100 ms even bundled), on first use; and
// the classification of its errors.
import type * as K8s from '@kubernetes/client-node';
import type { KubeTarget } from '../inputs/kubeconfig.ts';

export type K8sModule = typeof K8s;

let loading: Promise<K8sModule> | undefined;
export function loadK8s(): Promise<K8sModule> {
  loading ??= import('@kubernetes/client-node');
  return loading;
}

export async function kubeConfigFor(target: KubeTarget): Promise<K8s.KubeConfig> {
  const k8s = await loadK8s();
  const kc = new k8s.KubeConfig();
  if (target.inCluster) {
    kc.loadFromCluster();
  } else {
    // Load every file (KUBECONFIG may list several) and merge like kubectl.
    const [first, ...rest] = target.files;
    if (first) kc.loadFromFile(first);
    for (const f of rest) {
      const other = new k8s.KubeConfig();
      try {
        other.loadFromFile(f);
      } catch {
        continue;
      }
      kc.mergeConfig(other, true);
    }
    kc.setCurrentContext(target.context);
  }
  return kc;
}

/** Classify a client error into the fact failure vocabulary. */
export function classifyKubeError(e: unknown): { reason: 'forbidden' | 'unauthorized' | 'timeout' | 'unreachable' | 'dns' | 'tls' | 'protocol' | 'aborted'; message: string; status?: number } {
  const err = e as { code?: number | string; cause?: { code?: string; message?: string }; message?: string; name?: string; body?: unknown };
  const status = typeof err.code === 'number' ? err.code : undefined;
  const sysCode = (typeof err.code === 'string' ? err.code : undefined) ?? err.cause?.code;
  const msg = String(err.cause?.message ?? err.message ?? e).split('\n')[0] ?? '';
  if (err.name === 'AbortError' || sysCode === 'ABORT_ERR') return { reason: 'aborted', message: 'aborted' };
  if (status === 401) return { reason: 'unauthorized', message: 'the API server rejected the credentials (401 Unauthorized)', status };
  if (status === 403) return { reason: 'forbidden', message: `forbidden (403): ${bodyMessage(err.body) ?? msg}`, status };
  if (sysCode === 'ENOTFOUND' || sysCode === 'EAI_AGAIN') return { reason: 'dns', message: `DNS lookup failed (${sysCode}): ${msg}` };
  if (sysCode === 'ECONNREFUSED' || sysCode === 'ECONNRESET' || sysCode === 'EHOSTUNREACH' || sysCode === 'ENETUNREACH' || sysCode === 'UND_ERR_SOCKET')
    return { reason: 'unreachable', message: `${sysCode}: ${msg}` };
  if (sysCode === 'ETIMEDOUT' || sysCode === 'UND_ERR_CONNECT_TIMEOUT' || sysCode === 'UND_ERR_HEADERS_TIMEOUT') return { reason: 'timeout', message: `${sysCode}: ${msg}` };
  // Node's TLS verification codes: UNABLE_TO_VERIFY_LEAF_SIGNATURE, DEPTH_ZERO_SELF_SIGNED_CERT,
  // SELF_SIGNED_CERT_IN_CHAIN, CERT_HAS_EXPIRED, ERR_TLS_CERT_ALTNAME_INVALID, UNABLE_TO_GET_ISSUER_CERT…
  if (typeof sysCode === 'string' && /CERT|SSL|TLS|SELF_SIGNED|HOSTNAME|ALTNAME|VERIFY|SIGNATURE|ISSUER|PEM|ASN1/i.test(sysCode)) return { reason: 'tls', message: `TLS: ${sysCode}: ${msg}` };
  if (/certificate|self[- ]signed|tls|ssl/i.test(msg)) return { reason: 'tls', message: `TLS: ${msg}` };
  if (status !== undefined) return { reason: 'protocol', message: `HTTP ${status}: ${bodyMessage(err.body) ?? msg}`, status };
  return { reason: 'unreachable', message: msg || 'request failed' };
}

function bodyMessage(body: unknown): string | undefined {
  if (typeof body === 'string') {
    try {
      return (JSON.parse(body) as { message?: string }).message;
    } catch {
      return body.slice(0, 200);
    }
  }
  if (body && typeof body === 'object' && 'message' in body) return String((body as { message: unknown }).message);
  return undefined;
}
