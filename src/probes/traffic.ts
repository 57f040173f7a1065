// Traffic safety, in code: a probe client only ever talks to (a) a server pod this run created and
// has seen Ready on a real node — the client is then pinned to that node — or (b) the database
// host:port the user gave, or (c) the access URL the user gave (walked by the rules of
// src/facts/access-url/reach.ts walkPlan: never a documentation name or loopback). These are the
// only ways to get a target a client pod may be given.
import type { V1Pod } from '@kubernetes/client-node';
import type { PgSettings } from '../inputs/pgurl.ts';
import { RUN_KEY } from './labels.ts';
import { isReady, type NodeSeen } from './pods.ts';
import type { ProbeSession } from './session.ts';

export interface ProbeTarget {
  host: string;
  port: number;
  /** The node a client must be pinned to (a server pod's); undefined for the database. */
  node?: string;
  /** What it is, for the evidence. */
  what: string;
}

export class UnsafeTargetError extends Error {
  override name = 'UnsafeTargetError';
}

/** A server pod as a target: ours (this run, this namespace), Ready, with an IP, on a node that runs pods for real. */
export function serverTarget(session: Pick<ProbeSession, 'runId' | 'namespace'>, pod: V1Pod, node: NodeSeen, port: number): ProbeTarget {
  const name = pod.metadata?.name ?? '?';
  if (pod.metadata?.namespace !== session.namespace || pod.metadata?.labels?.[RUN_KEY] !== session.runId) throw new UnsafeTargetError(`pod ${name} was not created by this run`);
  if (!isReady(pod)) throw new UnsafeTargetError(`pod ${name} has not been seen Ready`);
  if (node.fake || node.name !== pod.spec?.nodeName) throw new UnsafeTargetError(`pod ${name} is on node ${pod.spec?.nodeName ?? '?'}, which fakes pods${node.why ? ` (${node.why})` : ''}`);
  return { host: pod.status!.podIP!, port, node: node.name, what: `server pod ${name} (${pod.status!.podIP}:${port}) on node ${node.name}` };
}

/** The database the user gave, as a target (host and port exactly as given). */
export function databaseTarget(pg: Pick<PgSettings, 'host' | 'port'>): ProbeTarget {
  return { host: pg.host, port: pg.port, what: `the database ${pg.host}:${pg.port}` };
}
