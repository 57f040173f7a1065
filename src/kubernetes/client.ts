// The one place that loads @kubernetes/client-node, on first use: the part our collectors use
// (./k8s-core.ts, ~7 MB bundled instead of 16.7), or all of it for plugins; one connection pool
// per KubeConfig; and the classification of its errors.
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type * as K8s from '@kubernetes/client-node';
import { fileProblem } from '../errors.ts';
import type { KubeTarget } from '../inputs/kubeconfig.ts';

/** What the built-in collectors may use: a class missing here is a type error, not a crash. */
export type K8sModule = typeof import('./k8s-core.ts');
/** The whole client, for plugins. */
export type K8sFullModule = typeof K8s;

let loading: Promise<K8sModule> | undefined;
export function loadK8s(): Promise<K8sModule> {
  // import() reads and compiles the chunk synchronously (Node has no async loader hooks here), on
  // the main thread: let the collectors asked for in the same turn (PostgreSQL's connect) start
  // their I/O first, so it goes on while the client compiles.
  loading ??= new Promise<void>((r) => setImmediate(r)).then(() => import('./k8s-core.ts'));
  return loading;
}

let loadingFull: Promise<K8sFullModule> | undefined;
/**
 * The whole client. Not bundled (scripts/build.mjs leaves this import to Node, which finds the
 * installed dependency): bundling it would put the part ./k8s-core.ts needs in one 16.7 MB chunk
 * with the rest again. So it is a copy of its own, with its own KubeConfig (kubeConfigFor(…, it)).
 */
export function loadK8sFull(): Promise<K8sFullModule> {
  loadingFull ??= import('@kubernetes/client-node');
  return loadingFull;
}

/** The KubeConfig for a target, made with the client `k8s` (default: the built-in collectors' one). */
export async function kubeConfigFor(target: KubeTarget, client?: { KubeConfig: K8sModule['KubeConfig'] }): Promise<K8s.KubeConfig> {
  const k8s = client ?? (await loadK8s());
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
  shareConnections(kc);
  return kc;
}

interface Closable {
  close(): Promise<void>;
}
type DispatcherFactory = (cluster: { server?: string; proxyUrl?: string } | null, agentOptions: Record<string, unknown>) => Closable | undefined;
const pools = new WeakMap<K8s.KubeConfig, Map<string, Closable>>();

/**
 * Reuse connections. client-node 2.0 builds a new undici Agent for every request
 * (applySecurityAuthentication → createDispatcher), so nothing is kept alive: every request, every
 * page of a paginated list, pays a TCP connect, a TLS handshake and a new secure context (~10-20 ms
 * and the CPU for it). Hand out one Agent per distinct TLS setup instead (server, proxy, CA, client
 * certificate and key, verification), which keeps its connections alive and pools them; tokens
 * still travel in the headers set per request. Should a client-node without createDispatcher come,
 * every request connects anew, as before.
 */
function shareConnections(kc: K8s.KubeConfig): void {
  const k = kc as unknown as { createDispatcher?: DispatcherFactory };
  const make = k.createDispatcher;
  if (typeof make !== 'function') return;
  const pool = new Map<string, Closable>();
  pools.set(kc, pool);
  const part = (v: unknown) => (Buffer.isBuffer(v) ? v.toString('base64') : v);
  k.createDispatcher = (cluster, o) => {
    const key = JSON.stringify([cluster?.server, cluster?.proxyUrl, o.ca, o.cert, o.key, o.pfx, o.passphrase, o.rejectUnauthorized, o.servername].map(part));
    if (pool.has(key)) return pool.get(key);
    const d = make.call(kc, cluster, o);
    // undefined: no TLS options, so undici's global dispatcher, which keeps connections already.
    if (d) pool.set(key, d);
    return d;
  };
}

/** Close the connections a KubeConfig kept open (at the end of a run). */
export async function closeConnections(kc: K8s.KubeConfig): Promise<void> {
  const pool = pools.get(kc);
  if (!pool) return;
  pools.delete(kc);
  await Promise.allSettled([...pool.values()].map((d) => d.close()));
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
