// A WebSocket upgrade through the path to Coder, from this machine (src/access/ws-upgrade.ts):
// to --upgrade-url (an echo service behind the same proxy) when given, else to Coder's own /derp
// on the access URL (DERP over WebSocket), by the same rules that decide whether the access URL
// is walked at all (src/access/walk-plan.ts).
import { walkPlan } from '../../access/walk-plan.ts';
import { wsUpgrade, type UpgradeResult } from '../../access/ws-upgrade.ts';
import { VERSION } from '../../version.ts';
import { defineCollector } from '../collector.ts';

export interface AccessUrlUpgradeFact extends UpgradeResult {
  vantage: string;
  /** Where the URL came from: --upgrade-url, or the access URL's /derp. */
  target: string;
}

declare module '../types.ts' {
  interface FactMap {
    'access-url.upgrade': AccessUrlUpgradeFact;
  }
}

export default defineCollector({
  id: 'access-url.upgrade',
  timeoutMs: 20_000,
  async collect(ctx) {
    const given = ctx.target.access?.upgradeUrl;
    const stepMs = Math.max(1000, Math.min(5000, Math.floor(ctx.timeoutMs / 3)));
    const ua = `coder-preflight/${VERSION}`;
    if (given) return { ...(await wsUpgrade({ url: given, expect: 'echo', timeoutMs: stepMs, userAgent: ua })), vantage: ctx.target.vantage, target: '--upgrade-url (an echo service behind the same proxy)' };
    const s = await ctx.need('access-url.settings');
    const { url } = walkPlan(s);
    const u = new URL(url);
    const derp = `${u.origin}${u.pathname.replace(/\/$/, '')}/derp`;
    return { ...(await wsUpgrade({ url: derp, expect: 'derp', timeoutMs: stepMs, userAgent: ua })), vantage: ctx.target.vantage, target: `Coder's DERP endpoint on the access URL (${s.accessUrl.where})` };
  },
});
