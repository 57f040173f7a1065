// access-reach: the walk to the access URL (src/access/reach.ts: DNS, TCP, TLS, HTTP, then Coder's
// /healthz and agent download) from inside a pod, where workspaces run. The same steps as from
// this machine; the certificates themselves are dropped from the report (access-url.tls judges
// them from the machine's walk, and the kubelet keeps only 4 KiB of a termination message): the
// verdicts on them stay. It talks only to the access URL the layer gives it (the user's).
import { reach } from '../../access/reach.ts';
import type { ReachResult } from '../../access/types.ts';

export interface AccessReachArgs {
  nonce: string;
  url: string;
  wildcard?: string;
  caPems: string[];
  timeoutMs: number;
  coder: boolean;
  userAgent: string;
}

/** A ReachResult without certificate bodies. */
export function compact(r: ReachResult): ReachResult {
  return {
    ...r,
    ...(r.tls ? { tls: { ...r.tls, sent: [], verify: r.tls.verify ? { ...r.tls.verify, chain: [] } : null, aiaIssuers: [] } } : {}),
    ...(r.wildcard?.tls ? { wildcard: { ...r.wildcard, tls: { ...r.wildcard.tls, leaf: null } } } : {}),
  };
}

export async function accessReach(a: AccessReachArgs): Promise<ReachResult> {
  return compact(await reach({ url: a.url, ...(a.wildcard ? { wildcard: a.wildcard } : {}), caPems: a.caPems, timeoutMs: a.timeoutMs, coder: a.coder, userAgent: a.userAgent }));
}
