// Which access URL and wildcard this run checks, and how the chart sets up the way to Coder: the
// URL given (--access-url, $CODER_ACCESS_URL) or else the one the chart gives Coder's container
// (v2: the rendered Deployment's env, the chart's own default included; v1: derived from
// ingress.host and the TLS keys), the Service/Ingress/TLS termination (src/access/front-door.ts),
// the CA bundles mounted into Coder, and the --ca-bundle's certificates. Nothing is contacted.
import { X509Certificate } from 'node:crypto';
import { accessFromObjects, accessFromV1, type ChartAccess, type FrontDoor, type UrlSetting } from '../../access/front-door.ts';
import { userinfoSecrets } from '../../access/url.ts';
import { defineCollector } from '../collector.ts';

export type { FrontDoor, UrlSetting } from '../../access/front-door.ts';

export interface CaBundleCert {
  subject: string;
  issuer: string;
  selfSigned: boolean;
  isCa: boolean;
  notAfter: string;
}

export interface AccessUrlSettingsFact {
  namespace: string;
  /** The access URL this run checks: --access-url or $CODER_ACCESS_URL, else what the chart gives Coder. */
  accessUrl: UrlSetting;
  /** What the chart gives Coder, when the URL checked comes from elsewhere (null: no chart known). */
  chartAccessUrl: UrlSetting | null;
  wildcard: UrlSetting | null;
  chartWildcard: UrlSetting | null;
  /** How the chart routes and terminates traffic; null when no chart is known (see frontDoorNote). */
  frontDoor: FrontDoor | null;
  frontDoorNote: string | null;
  /** --ca-bundle. */
  caBundle: { file: string; certificates: CaBundleCert[] } | null;
  /** The Coder generation the profile says (decides which endpoints answer after an install). */
  profile: string;
}

declare module '../types.ts' {
  interface FactMap {
    'access-url.settings': AccessUrlSettingsFact;
  }
}

function describeBundle(pems: string[]): CaBundleCert[] {
  return pems.map((p) => {
    const x = new X509Certificate(p);
    return { subject: x.subject.split('\n').join(', '), issuer: x.issuer.split('\n').join(', '), selfSigned: x.checkIssued(x), isCa: x.ca, notAfter: new Date(x.validTo).toISOString() };
  });
}

export default defineCollector({
  id: 'access-url.settings',
  timeoutMs: 10_000,
  async collect(ctx) {
    const t = ctx.target;
    const given = t.access ?? {};
    let chart: ChartAccess | null = null;
    let note: string | null = null;
    if (t.values?.shape === 'v1' && !t.chart.manifests) {
      chart = t.values.v1Access ? accessFromV1(t.values.v1Access, `values ${t.values.path} (Coder v1 chart keys)`) : null;
    } else {
      const objects = await ctx.fact('chart.objects');
      if (objects.ok) chart = accessFromObjects(objects.value.objects, t.namespace, objects.value.source === 'manifests' ? `--manifests ${objects.value.file}` : `the chart rendered from ${objects.value.file}`);
      else note = objects.reason === 'not-configured' ? 'no values file or manifests: how the chart routes and terminates traffic is not known (pass --values or --manifests)' : `the chart's objects could not be read: ${objects.message}`;
    }
    // A user:password@ in a URL is a secret: masked in every output from here on.
    for (const v of [given.url?.value, chart?.accessUrl.value, given.wildcard?.value, chart?.wildcard?.value]) for (const x of v ? userinfoSecrets(v) : []) ctx.redactor.add(x, 'user:password in the access URL');
    const fromGiven = (g: NonNullable<typeof given.url>): UrlSetting => ({ value: g.value, kind: g.where.startsWith('--') ? 'flag' : 'env', where: g.where });
    const accessUrl: UrlSetting = given.url ? fromGiven(given.url) : (chart?.accessUrl ?? { value: null, kind: 'none', where: 'no access URL given: pass --access-url, or --values (CODER_ACCESS_URL in coder.env)' });
    const wildcard: UrlSetting | null = given.wildcard ? fromGiven(given.wildcard) : (chart?.wildcard ?? null);
    return {
      namespace: t.namespace,
      accessUrl,
      chartAccessUrl: given.url && chart ? chart.accessUrl : null,
      wildcard,
      chartWildcard: given.wildcard && chart ? chart.wildcard : null,
      frontDoor: chart?.frontDoor ?? null,
      frontDoorNote: chart ? null : (note ?? (t.values?.shape === 'v1' ? 'the v1 values could not be read for the access keys' : 'no values file or manifests: how the chart routes and terminates traffic is not known (pass --values or --manifests)')),
      caBundle: given.caBundle ? { file: given.caBundle.file, certificates: describeBundle(given.caBundle.pems) } : null,
      profile: t.profile.name,
    };
  },
});
