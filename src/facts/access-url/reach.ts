// The path to the access URL walked from this machine (src/access/reach.ts: DNS, TCP, TLS, HTTP,
// then Coder's /healthz and agent download), with the vantage point. A URL that cannot be
// walked from here is not walked: none given, one in a Secret, one Coder cannot use, the chart's
// cluster-internal default (only pods resolve it), a documentation name (RFC 2606: nothing
// should be sent there), loopback. access-url.config tells why each is wrong.
import { reach } from '../../access/reach.ts';
import type { ReachResult } from '../../access/types.ts';
import { hostKind, parseAccessUrl, parseWildcard } from '../../access/url.ts';
import { ClassifiedError } from '../../errors.ts';
import { VERSION } from '../../version.ts';
import { defineCollector } from '../collector.ts';

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
}

declare module '../types.ts' {
  interface FactMap {
    'access-url.reach': AccessUrlReachFact;
  }
}

const SEE = 'access-url.config says what to set';

export default defineCollector({
  id: 'access-url.reach',
  timeoutMs: 45_000,
  async collect(ctx) {
    const s = await ctx.need('access-url.settings');
    const u = s.accessUrl;
    if (u.value === null) {
      throw new ClassifiedError('not-configured', u.kind === 'reference' ? `The access URL comes from ${u.where}, which is not read here: pass --access-url with its value to check the way there` : `No access URL to reach: ${u.where}`, u.kind === 'reference' ? 'pass --access-url <the URL>' : 'pass --access-url, or --values with CODER_ACCESS_URL in coder.env');
    }
    const p = parseAccessUrl(u.value);
    if (!p.ok) throw new ClassifiedError('not-configured', `Not walked: the access URL (${u.where}) cannot be used — ${p.problem}`, SEE);
    const kind = p.url.hostKind;
    if (kind === 'cluster-internal') throw new ClassifiedError('not-configured', `Not walked from here: ${p.url.host} (${u.where}) is a cluster-internal name that only pods resolve; workspaces and browsers outside the cluster cannot use it`, SEE);
    if (kind === 'documentation-name' || kind === 'documentation-ip') throw new ClassifiedError('not-configured', `Not walked: ${p.url.host} (${u.where}) is a documentation placeholder (RFC 2606/5737), not a real address; nothing is sent there`, SEE);
    if (kind === 'loopback' || kind === 'unspecified') throw new ClassifiedError('not-configured', `Not walked: ${p.url.host} (${u.where}) is this machine itself (${kind}); from anywhere else it names that machine instead`, SEE);
    // The wildcard's sample name is looked up only where that can reach a real resolver for a real name.
    let wildcard = s.wildcard?.value ?? undefined;
    let wildcardNotWalked: string | null = null;
    const w = wildcard ? parseWildcard(wildcard) : undefined;
    if (w?.ok) {
      const wk = hostKind(w.wildcard.domain);
      if (wk === 'documentation-name' || wk === 'loopback' || wk === 'cluster-internal') {
        wildcardNotWalked = `*.${w.wildcard.domain} is a ${wk === 'documentation-name' ? 'documentation placeholder' : wk} domain`;
        wildcard = undefined;
      }
    }
    const stepTimeoutMs = Math.max(500, Math.min(5000, Math.floor(ctx.timeoutMs / 8)));
    const result = await reach({
      url: u.value,
      ...(wildcard ? { wildcard } : {}),
      caPems: ctx.target.access?.caBundle?.pems ?? [],
      timeoutMs: stepTimeoutMs,
      // Coder v1 serves neither /healthz nor the v2 agent download path.
      coder: s.profile !== 'v1',
      userAgent: `coder-preflight/${VERSION}`,
      signal: ctx.signal,
    });
    return { ...result, vantage: ctx.target.vantage, collectedAt: new Date().toISOString(), urlWhere: u.where, wildcardWhere: s.wildcard?.where ?? null, wildcardNotWalked, caBundle: s.caBundle?.file ?? null, stepTimeoutMs };
  },
});
