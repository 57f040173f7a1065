// Find and validate the kubeconfig without loading the Kubernetes client (that is heavy and
// lazy): which file, which context, which server. Problems here are usage errors (exit 2).
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { parse } from 'yaml';
import { ConfigError, errorMessage, fileProblem } from '../errors.ts';
import type { Redactor } from '../redact.ts';
import { registerKubeUser, registerServiceAccountToken } from './secrets.ts';

export interface KubeTarget {
  /** Kubeconfig files in load order (KUBECONFIG may list several); empty for in-cluster. */
  files: string[];
  inCluster: boolean;
  context: string;
  cluster: string;
  server: string;
  user: string;
  /** Where the kubeconfig came from, for the report. */
  source: string;
}

export type KubeResolution = { configured: true; target: KubeTarget } | { configured: false; hint: string };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const named = (list: unknown, name: string): Obj | undefined =>
  Array.isArray(list) ? (list.find((x) => isObj(x) && x.name === name) as Obj | undefined) : undefined;

/** `redactor`: the selected user's credentials are registered with it as the file is read. */
export function resolveKube(opts: { kubeconfig?: string; context?: string; env?: NodeJS.ProcessEnv; redactor?: Redactor }): KubeResolution {
  const env = opts.env ?? process.env;
  let files: string[];
  let source: string;
  if (opts.kubeconfig) {
    files = [opts.kubeconfig];
    source = '--kubeconfig';
  } else if (env.KUBECONFIG) {
    files = env.KUBECONFIG.split(delimiter).filter(Boolean);
    source = 'KUBECONFIG';
  } else {
    const home = join(env.HOME ?? homedir(), '.kube', 'config');
    if (existsSync(home)) {
      files = [home];
      source = '~/.kube/config';
    } else if (env.KUBERNETES_SERVICE_HOST && existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token')) {
      if (opts.redactor) registerServiceAccountToken(opts.redactor);
      const host = env.KUBERNETES_SERVICE_HOST.includes(':') ? `[${env.KUBERNETES_SERVICE_HOST}]` : env.KUBERNETES_SERVICE_HOST;
      return {
        configured: true,
        target: {
          files: [],
          inCluster: true,
          context: 'in-cluster',
          cluster: 'in-cluster',
          server: `https://${host}:${env.KUBERNETES_SERVICE_PORT ?? '443'}`,
          user: 'serviceaccount',
          source: 'in-cluster service account',
        },
      };
    } else {
      return { configured: false, hint: 'no kubeconfig found: pass --kubeconfig <file> or set KUBECONFIG' };
    }
  }

  // Merge like kubectl: the first file that sets a field wins.
  const contexts: Obj[] = [];
  const clusters: Obj[] = [];
  const users: Obj[] = [];
  const userFile = new WeakMap<Obj, string>();
  let current: string | undefined;
  let readable = 0;
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
      readable++;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (source === 'KUBECONFIG' && code === 'ENOENT' && files.length > 1) continue; // kubectl ignores missing entries
      throw new ConfigError(
        `cannot read kubeconfig ${file}: ${fileProblem(e)}`,
        'pass a readable kubeconfig with --kubeconfig, or fix KUBECONFIG',
      );
    }
    let doc: unknown;
    try {
      doc = parse(text);
    } catch (e) {
      throw new ConfigError(`kubeconfig ${file} is not valid YAML: ${errorMessage(e).split('\n')[0]}`, 'fix or regenerate the kubeconfig');
    }
    if (doc == null) continue;
    if (!isObj(doc)) throw new ConfigError(`kubeconfig ${file} is not a kubeconfig (expected a mapping)`, 'fix or regenerate the kubeconfig');
    if (Array.isArray(doc.contexts)) contexts.push(...(doc.contexts.filter(isObj) as Obj[]));
    if (Array.isArray(doc.clusters)) clusters.push(...(doc.clusters.filter(isObj) as Obj[]));
    if (Array.isArray(doc.users)) {
      for (const u of doc.users.filter(isObj) as Obj[]) {
        users.push(u);
        userFile.set(u, file);
      }
    }
    if (!current && typeof doc['current-context'] === 'string' && doc['current-context']) current = doc['current-context'];
  }
  if (readable === 0) throw new ConfigError(`none of the KUBECONFIG files exist (${files.join(delimiter)})`, 'fix KUBECONFIG or pass --kubeconfig');

  const contextName = opts.context ?? current;
  if (!contextName) {
    throw new ConfigError(
      `kubeconfig (${files.join(', ')}) has no current-context`,
      `pick one with --context (available: ${contexts.map((c) => String(c.name)).join(', ') || 'none'})`,
    );
  }
  const ctx = named(contexts, contextName);
  if (!ctx || !isObj(ctx.context)) {
    throw new ConfigError(
      `context "${contextName}" is not in the kubeconfig (${files.join(', ')})`,
      `available contexts: ${contexts.map((c) => String(c.name)).join(', ') || 'none'}`,
    );
  }
  const clusterName = String(ctx.context.cluster ?? '');
  const cluster = named(clusters, clusterName);
  const server = isObj(cluster) && isObj(cluster.cluster) ? String(cluster.cluster.server ?? '') : '';
  if (!server) {
    throw new ConfigError(`context "${contextName}" points at cluster "${clusterName}", which has no server in the kubeconfig`, 'fix or regenerate the kubeconfig');
  }
  const userName = String(ctx.context.user ?? '');
  const user = named(users, userName);
  if (opts.redactor && user) registerKubeUser(opts.redactor, userName, user.user, userFile.get(user));
  return {
    configured: true,
    target: {
      files,
      inCluster: false,
      context: contextName,
      cluster: clusterName,
      server,
      user: String(ctx.context.user ?? ''),
      source,
    },
  };
}
