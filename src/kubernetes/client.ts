// The one place that loads @kubernetes/client-node (heavy: ~100 ms even bundled), on first use; and
// the classification of its errors.
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type * as K8s from '@kubernetes/client-node';
import { fileProblem } from '../errors.ts';
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
    // Load every file (KUBECONFIG may list several) and merge like kubectl: the first file that
    // names a cluster, user or context wins and later ones with that name are ignored
    // (client-node's mergeConfig throws "Duplicate cluster" instead); files that do not exist are
    // skipped, as resolveKube skipped them.
    const files = target.files.length > 1 ? target.files.filter((f) => existsSync(f)) : target.files;
    const [first, ...rest] = files;
    if (first) kc.loadFromFile(first);
    for (const f of rest) {
      const other = new k8s.KubeConfig();
      other.loadFromFile(f);
      for (const c of other.getClusters()) if (!kc.getCluster(c.name)) kc.addCluster(c);
      for (const u of other.getUsers()) if (!kc.getUser(u.name)) kc.addUser(u);
      for (const c of other.getContexts()) if (!kc.getContextObject(c.name)) kc.addContext(c);
    }
    kc.setCurrentContext(target.context);
  }
  assertCaParses(kc);
  return kc;
}

/**
 * The current cluster's CA must hold a certificate. Node silently drops a `ca` it cannot parse and
 * then verifies against nothing, which would blame the server's certificate for a broken kubeconfig;
 * kubectl refuses it ("unable to load root certificates").
 */
function assertCaParses(kc: K8s.KubeConfig): void {
  const cluster = kc.getCurrentCluster();
  if (!cluster || cluster.skipTLSVerify || !cluster.server.startsWith('https:')) return;
  let pem: string;
  let where: string;
  if (cluster.caData) {
    pem = Buffer.from(cluster.caData, 'base64').toString('utf8');
    where = 'certificate-authority-data';
  } else if (cluster.caFile) {
    where = `certificate-authority ${cluster.caFile}`;
    try {
      pem = readFileSync(cluster.caFile, 'utf8');
    } catch (e) {
      throw new Error(`cannot read the CA of cluster "${cluster.name}" (${where}): ${fileProblem(e)}`);
    }
  } else return;
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const valid = blocks.filter((b) => {
    try {
      new X509Certificate(b);
      return true;
    } catch {
      return false;
    }
  });
  if (!valid.length) throw new Error(`the CA of cluster "${cluster.name}" (${where}) holds no valid PEM certificate`);
}

/** Classify a client error into the fact failure vocabulary. */
export function classifyKubeError(e: unknown): { reason: 'forbidden' | 'unauthorized' | 'timeout' | 'unreachable' | 'dns' | 'tls' | 'protocol' | 'aborted'; message: string; status?: number } {
  const err = e as { code?: number | string; cause?: { code?: string; message?: string }; message?: string; name?: string; body?: unknown };
  const status = typeof err.code === 'number' ? err.code : undefined;
  const sysCode = (typeof err.code === 'string' ? err.code : undefined) ?? err.cause?.code;
  // Node's advice to run itself with --use-system-ca does not apply: the CA comes from the kubeconfig.
  const msg = (String(err.cause?.message ?? err.message ?? e).split('\n')[0] ?? '').replace(/; if the root CA is installed locally, try running Node\.js with --use-system-ca$/, '');
  if (err.name === 'AbortError' || sysCode === 'ABORT_ERR') return { reason: 'aborted', message: 'aborted' };
  if (status === 401) return { reason: 'unauthorized', message: 'the API server rejected the credentials (401 Unauthorized)', status };
  if (status === 403) return { reason: 'forbidden', message: `forbidden (403): ${bodyMessage(err.body) ?? msg}`, status };
  if (sysCode === 'ENOTFOUND' || sysCode === 'EAI_AGAIN') return { reason: 'dns', message: `DNS lookup failed (${sysCode}): ${msg}` };
  if (sysCode === 'ECONNREFUSED' || sysCode === 'ECONNRESET' || sysCode === 'EHOSTUNREACH' || sysCode === 'ENETUNREACH' || sysCode === 'UND_ERR_SOCKET')
    return { reason: 'unreachable', message: `${sysCode}: ${msg}` };
  if (sysCode === 'ETIMEDOUT' || sysCode === 'UND_ERR_CONNECT_TIMEOUT' || sysCode === 'UND_ERR_HEADERS_TIMEOUT') return { reason: 'timeout', message: `${sysCode}: ${msg}` };
  // Node's TLS verification codes: UNABLE_TO_VERIFY_LEAF_SIGNATURE, DEPTH_ZERO_SELF_SIGNED_CERT,
  // SELF_SIGNED_CERT_IN_CHAIN, CERT_HAS_EXPIRED, ERR_TLS_CERT_ALTNAME_INVALID, UNABLE_TO_GET_ISSUER_CERT…
  if (typeof sysCode === 'string' && /CERT|SSL|TLS|SELF_SIGNED|HOSTNAME|ALTNAME|VERIFY|SIGNATURE|ISSUER|PEM|ASN1/i.test(sysCode)) return { reason: 'tls', message: `${tlsCause(sysCode)} (TLS: ${sysCode}: ${msg})` };
  if (/certificate|self[- ]signed|tls|ssl/i.test(msg)) return { reason: 'tls', message: `TLS: ${msg}` };
  if (status !== undefined) return { reason: 'protocol', message: `HTTP ${status}: ${bodyMessage(err.body) ?? msg}`, status };
  return { reason: 'unreachable', message: msg || 'request failed' };
}

/** What a TLS verification code means for a kubeconfig, in words. */
function tlsCause(code: string): string {
  if (/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_GET_ISSUER_CERT/.test(code)) {
    return "the API server's certificate is not signed by the kubeconfig's CA (a kubeconfig from another cluster, or a cluster rebuilt since)";
  }
  if (/ALTNAME|HOSTNAME/.test(code)) return "the API server's certificate does not name the host in the kubeconfig's server URL";
  if (/CERT_HAS_EXPIRED/.test(code)) return "the API server's certificate has expired";
  if (/CERT_NOT_YET_VALID/.test(code)) return "the API server's certificate is not valid yet (is this machine's clock right?)";
  return 'the TLS handshake with the API server failed';
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
