// Which access URL (and wildcard) may be walked, by the rules every vantage point keeps (this
// machine, and the probe pods in the workspace namespaces).
import { ClassifiedError } from '../errors.ts';
import type { AccessUrlSettingsFact } from '../facts/access-url/settings.ts';
import { hostKind, parseAccessUrl, parseWildcard } from './url.ts';

const SEE = 'access-url.config says what to set';

/**
 * The URL (and wildcard) to walk, by the rules every vantage point keeps: not one that is not
 * given, or given only as a reference, or one Coder cannot use, the chart's cluster-internal
 * default, a documentation name (nothing is sent there), loopback. Throws the reason otherwise.
 */
export function walkPlan(s: AccessUrlSettingsFact): { url: string; wildcard: string | undefined; wildcardNotWalked: string | null } {
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
  return { url: u.value, wildcard, wildcardNotWalked };
}
