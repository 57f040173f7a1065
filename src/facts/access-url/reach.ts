// The path to the access URL walked from this machine (src/access/reach.ts: DNS, TCP, TLS, HTTP,
// then Coder's /healthz and agent download), with the vantage point. A URL that cannot be
// walked from here is not walked: none given, one in a Secret, one Coder cannot use, the chart's
// cluster-internal default (only pods resolve it), a documentation name (RFC 2606: nothing
// should be sent there), loopback. access-url.config tells why each is wrong.
import { reach } from '../../access/reach.ts';
import type { ReachResult } from '../../access/types.ts';
import { walkPlan } from '../../access/walk-plan.ts';
import { VERSION } from '../../version.ts';
import { defineCollector } from '../collector.ts';
import type { AccessUrlProbeResult } from '../probe/access-url.ts';

export interface AccessUrlReachFact extends ReachResult {
  /** Where the steps ran from. */
  vantage: string;
  /** When: days to expiry count from here, so a replay judges the same. */
  collectedAt: string;
  /** Where the URL came from (--access-url, values coder.env CODER_ACCESS_URL, …). */
  urlWhere: string;
  wildcardWhere: string | null;
  /** Why the wildcard's sample name was not looked up (a placeholder or loopback domain), or null. */
  wildcardNotWalked: string | null;
  /** --ca-bundle, when given. */
  caBundle: string | null;
  stepTimeoutMs: number;
  /** The same walk from pods in the workspace namespaces, when the access-url probe ran. */
  pods?: AccessUrlProbeResult;
  /** Why the pods did not walk although the probe was asked for (not allowed). */
  podsProblem?: string;
}

declare module '../types.ts' {
  interface FactMap {
    'access-url.reach': AccessUrlReachFact;
  }
}


export default defineCollector({
  id: 'access-url.reach',
  timeoutMs: 45_000,
  async collect(ctx) {
    const s = await ctx.need('access-url.settings');
    const { url, wildcard, wildcardNotWalked } = walkPlan(s);
    const u = s.accessUrl;
    const stepTimeoutMs = Math.max(500, Math.min(5000, Math.floor(ctx.timeoutMs / 8)));
    const result = await reach({
      url,
      ...(wildcard ? { wildcard } : {}),
      caPems: ctx.target.access?.caBundle?.pems ?? [],
      timeoutMs: stepTimeoutMs,
      // Coder v1 serves neither /healthz nor the v2 agent download path.
      coder: s.profile !== 'v1',
      userAgent: `coder-preflight/${VERSION}`,
      signal: ctx.signal,
    });
    // Then from pods where workspaces run, when the probe ran (after this walk: its pods would share the path).
    const probe = await ctx.fact('probe.access-url');
    const pods = probe.ok && probe.value.state === 'ran' ? { placement: probe.value.placement, walks: probe.value.walks, ...(probe.value.notWalked ? { notWalked: probe.value.notWalked } : {}) } : undefined;
    const podsProblem = probe.ok ? (probe.value.state === 'forbidden' ? `the access-url probe may not run: ${probe.value.missing.join(', ')}` : undefined) : `the access-url probe failed: ${probe.message}`;
    return { ...result, vantage: ctx.target.vantage, collectedAt: new Date().toISOString(), urlWhere: u.where, wildcardWhere: s.wildcard?.where ?? null, wildcardNotWalked, caBundle: s.caBundle?.file ?? null, stepTimeoutMs, ...(pods ? { pods } : {}), ...(podsProblem ? { podsProblem } : {}) };
  },
});
