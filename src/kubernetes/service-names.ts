// A database host that does not resolve inside the cluster is most often a Service name written a
// little wrong: `postgresql` for the chart's `coder-db-postgresql`, the wrong namespace, `.svc`
// missing its namespace. Given the name and the Services that exist, say which one was meant.
// Pure: the caller lists the Services.
import { distance } from '../suggest.ts';

export interface ServiceSeen {
  name: string;
  namespace: string;
  ports: number[];
}

export interface ServiceName {
  service: string;
  /** The namespace the name points at (for a bare name: the one it resolves in). */
  namespace: string;
  /** How the user wrote the tail, to suggest in the same form: "" (bare), ".ns", ".ns.svc", ".ns.svc.cluster.local". */
  form: 'bare' | 'ns' | 'svc' | 'fqdn';
  domain?: string;
}

/** The Service a cluster DNS name points at, or undefined for a name that is not one (db.example.com). */
export function parseServiceName(host: string, namespaceOfBareName: string): ServiceName | undefined {
  const labels = host.toLowerCase().replace(/\.$/, '').split('.');
  if (labels.some((l) => !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(l))) return undefined;
  if (labels.length === 1) return { service: labels[0]!, namespace: namespaceOfBareName, form: 'bare' };
  if (labels.length === 2) return { service: labels[0]!, namespace: labels[1]!, form: 'ns' };
  if (labels[2] !== 'svc') return undefined;
  if (labels.length === 3) return { service: labels[0]!, namespace: labels[1]!, form: 'svc' };
  return { service: labels[0]!, namespace: labels[1]!, form: 'fqdn', domain: labels.slice(3).join('.') };
}

export interface NearMiss {
  /** The name to write, in the form the user used. */
  host: string;
  service: string;
  namespace: string;
  ports: number[];
  why: string;
}

/** Services whose name is close to the one asked for (and that serve `port`, when given), best first (at most `max`). */
export function nearMisses(wanted: ServiceName, services: readonly ServiceSeen[], port?: number, max = 3): NearMiss[] {
  const scored: { s: ServiceSeen; score: number; why: string }[] = [];
  for (const s of services) {
    if (s.name === wanted.service && s.namespace === wanted.namespace) continue; // the name exists: not a spelling problem
    let score: number | undefined;
    let why = '';
    if (s.name === wanted.service) {
      score = 0;
      why = `Service ${s.name} exists in namespace ${s.namespace}, not ${wanted.namespace}`;
    } else if (wanted.service.length >= 4 && (s.name.includes(wanted.service) || (s.name.length * 2 >= wanted.service.length && wanted.service.includes(s.name)))) {
      score = 1;
      why = `Service ${s.namespace}/${s.name} has a name like ${wanted.service}`;
    } else if (wanted.service.length >= 4 && distance(s.name, wanted.service) <= 2) {
      score = 2;
      why = `Service ${s.namespace}/${s.name} is spelled almost like ${wanted.service}`;
    }
    if (score === undefined) continue;
    // A Service that does not serve the database's port is not the database.
    if (port !== undefined && s.ports.length && !s.ports.includes(port)) continue;
    if (s.namespace !== wanted.namespace) score += 0.5;
    scored.push({ s, score, why });
  }
  scored.sort((a, b) => a.score - b.score || a.s.namespace.localeCompare(b.s.namespace) || a.s.name.localeCompare(b.s.name));
  return scored.slice(0, max).map(({ s, why }) => ({ host: spell(s, wanted), service: s.name, namespace: s.namespace, ports: s.ports, why }));
}

function spell(s: ServiceSeen, w: ServiceName): string {
  if (w.form === 'bare' && s.namespace === w.namespace) return s.name;
  if (w.form === 'fqdn') return `${s.name}.${s.namespace}.svc.${w.domain}`;
  if (w.form === 'svc') return `${s.name}.${s.namespace}.svc`;
  return w.form === 'ns' ? `${s.name}.${s.namespace}` : `${s.name}.${s.namespace}.svc.cluster.local`;
}
