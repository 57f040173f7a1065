// Registering secrets with the redactor the moment they are read, for the inputs that are not a
// database URL: the kubeconfig's credentials (tokens, token files, client keys, passwords,
// auth-provider tokens, credential-plugin env), what a credential plugin returns (the token, a
// client key) at the time the client asks for it, literal secrets in a values file's env, the
// Secrets in --manifests, and a PostgreSQL client key named by a path. Each is registered with
// what it is and where it came from, which the redaction manifest lists (never the value).
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Redactor } from '../redact.ts';
import { passwordCandidates } from './pgurl.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function readQuietly(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Env names whose values are secrets (a literal value in a values file, a plugin's env, a manifest). */
export const SECRET_ENV_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE_?KEY|API_?KEY|ACCESS_?KEY|CREDENTIAL|_PSK$|CONNECTION_URL$|_DSN$|DATABASE_URL$|PG_URL$)/i;

/** A value and its base64 decoding when it decodes to text (a *-data field, a Secret's data). */
function addBase64(redactor: Redactor, b64: string, what: string): void {
  redactor.add(b64, what);
  const decoded = Buffer.from(b64, 'base64').toString('utf8');
  if (decoded && !decoded.includes('\uFFFD')) redactor.add(decoded, what);
}

/**
 * The selected kubeconfig user's credentials, as resolveKube reads the file: `user` is the
 * users[].user mapping, `file` the kubeconfig it came from (relative paths are from its directory).
 */
export function registerKubeUser(redactor: Redactor, name: string, user: unknown, file: string | undefined): void {
  if (!isObj(user)) return;
  const rel = (p: string) => (isAbsolute(p) || !file ? p : join(dirname(file), p));
  const of = `of kubeconfig user ${name}`;
  const token = str(user.token);
  if (token) redactor.add(token, `token ${of}`);
  const tokenFile = str(user.tokenFile) ?? str(user['token-file']);
  if (tokenFile) redactor.add(readQuietly(rel(tokenFile)), `token file ${of}`);
  const keyData = str(user['client-key-data']);
  if (keyData) addBase64(redactor, keyData, `client key (client-key-data) ${of}`);
  const keyFile = str(user['client-key']);
  if (keyFile) redactor.add(readQuietly(rel(keyFile)), `client key (client-key file) ${of}`);
  const password = str(user.password);
  if (password) redactor.add(password, `password ${of}`);
  const provider = isObj(user['auth-provider']) ? user['auth-provider'] : undefined;
  if (provider && isObj(provider.config)) {
    for (const [k, v] of Object.entries(provider.config)) if (/token|secret|password/i.test(k) && str(v)) redactor.add(str(v), `auth-provider ${k} ${of}`);
  }
  const exec = isObj(user.exec) ? user.exec : undefined;
  if (exec && Array.isArray(exec.env)) {
    for (const e of exec.env) if (isObj(e) && str(e.name) && SECRET_ENV_NAME.test(str(e.name)!) && str(e.value)) redactor.add(str(e.value), `credential plugin env ${str(e.name)} ${of}`);
  }
}

/** The in-cluster service account's token (what loadFromCluster reads). */
export function registerServiceAccountToken(redactor: Redactor): void {
  redactor.add(readQuietly('/var/run/secrets/kubernetes.io/serviceaccount/token'), 'in-cluster service account token');
}

/**
 * What the Kubernetes client puts on the wire for the current user, registered each time it is
 * computed: the bearer token (from a credential plugin, a token file that rotated, an
 * auth-provider), and a client key a plugin returned. Wraps the KubeConfig's applyOptions, which
 * every request goes through (client-node 2.x).
 */
export function watchKubeCredentials(kc: KubeConfig, redactor: Redactor): KubeConfig {
  const k = kc as unknown as { applyOptions?: (opts: { headers?: Record<string, unknown>; key?: unknown; passphrase?: unknown }) => Promise<void> };
  const original = k.applyOptions;
  if (typeof original !== 'function') return kc;
  k.applyOptions = async function (this: unknown, opts) {
    await original.call(this, opts);
    const user = kc.getCurrentUser();
    const who = user?.name ?? 'the current user';
    const plugin = user?.exec ? `the credential plugin "${user.exec.command}" of kubeconfig user ${who}` : undefined;
    const auth = opts.headers?.Authorization ?? opts.headers?.authorization;
    if (typeof auth === 'string') redactor.add(/^(?:Bearer|Basic)\s+(.+)$/i.exec(auth)?.[1] ?? auth, plugin ? `token from ${plugin}` : `bearer token of kubeconfig user ${who}`);
    if (opts.key !== undefined && opts.key !== null) redactor.add(Buffer.isBuffer(opts.key) ? opts.key.toString('utf8') : String(opts.key), plugin ? `client key from ${plugin}` : `client key of kubeconfig user ${who}`);
    if (typeof opts.passphrase === 'string') redactor.add(opts.passphrase, `client key passphrase of kubeconfig user ${who}`);
  };
  return kc;
}

/**
 * Literal secrets in a values file: every {name, value} env entry whose name is a secret's
 * (coder.env CODER_OIDC_CLIENT_SECRET, …) wherever it sits — the chart renders them into the
 * Deployment, which the saved facts hold.
 */
export function registerValuesSecrets(redactor: Redactor, doc: unknown, file: string): void {
  const walk = (v: unknown, path: string): void => {
    if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${path}[${i}]`));
    if (!isObj(v)) return;
    const name = str(v.name);
    const value = typeof v.value === 'string' ? v.value : undefined;
    if (name && value && SECRET_ENV_NAME.test(name)) registerEnvValue(redactor, name, value, `values file ${file} ${path} ${name}`);
    for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
  };
  walk(doc, '');
}

/** A secret env value: the URL's password (the rest of a URL is not secret), else the whole value. */
function registerEnvValue(redactor: Redactor, name: string, value: string, where: string): void {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    // The same pieces the connection-string reader registers (user:password, the password, its decoding), under this label.
    for (const c of passwordCandidates(value)) {
      redactor.add(c, `password in ${where}`);
      try {
        redactor.add(decodeURIComponent(c), `password in ${where}`);
      } catch {
        // not percent-encoded
      }
    }
    return;
  }
  redactor.add(value, `${name} in ${where}`);
}

/** The Secrets (data and stringData) and secret env literals in Kubernetes objects (--manifests, or the chart rendered). */
export function registerObjectSecrets(redactor: Redactor, objects: readonly unknown[], from: string): void {
  for (const o of objects) {
    if (!isObj(o)) continue;
    const meta = isObj(o.metadata) ? o.metadata : {};
    const id = `${String(o.kind ?? 'object')} ${String(meta.namespace ?? '')}${meta.namespace ? '/' : ''}${String(meta.name ?? '?')}`;
    if (o.kind === 'Secret') {
      if (isObj(o.data)) for (const [k, v] of Object.entries(o.data)) if (str(v)) addBase64(redactor, str(v)!, `${id} key "${k}" in ${from}`);
      if (isObj(o.stringData)) for (const [k, v] of Object.entries(o.stringData)) if (str(v)) redactor.add(str(v), `${id} key "${k}" in ${from}`);
      continue;
    }
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) return v.forEach(walk);
      if (!isObj(v)) return;
      const name = str(v.name);
      if (name && typeof v.value === 'string' && SECRET_ENV_NAME.test(name)) registerEnvValue(redactor, name, v.value, `${id} env in ${from}`);
      for (const x of Object.values(v)) walk(x);
    };
    walk(o.spec);
  }
}

/** A PostgreSQL client key: inline PEM (sslinline), or the file lib/pq reads (sslkey, else ~/.postgresql/postgresql.key). */
export function registerPgClientKey(redactor: Redactor, s: { sslkey?: string; sslcert?: string; sslinline?: boolean }, source: string): void {
  if (s.sslinline) {
    if (s.sslkey) redactor.add(s.sslkey, `client key (inline sslkey) from ${source}`);
    return;
  }
  const path = s.sslkey || join(homedir(), '.postgresql', 'postgresql.key');
  redactor.add(readQuietly(path), `client key (sslkey file) from ${source}`);
}
