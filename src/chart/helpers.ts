// libcoder's templates/_helpers.tpl: names, labels, the image, TLS, volumes, the ingress host.
import type { RenderContext } from './context.ts';
import { chartFails, fieldOf, goEq, goLen, goPrint, goRange, hasKey, listValue, plain, quote, truthy, valueAt } from './go-template.ts';
import { isMap, type YamlMap } from './types.ts';

const at = (ctx: RenderContext, path: string) => valueAt(ctx.values, path);

/** sprig `trunc 63 | trimSuffix "-"`. */
const trunc63 = (s: string) => {
  const t = s.slice(0, 63);
  return t.endsWith('-') ? t.slice(0, -1) : t;
};

/** coder.name: `default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-"`. */
export function coderName(ctx: RenderContext): string {
  const override = ctx.values.nameOverride ?? null;
  if (!truthy(override)) return trunc63(ctx.chart.name);
  if (typeof override !== 'string') throw chartFails(`nameOverride is ${goPrint(override)}, not a string (trunc: wrong type for value; expected string)`, 'quote nameOverride');
  return trunc63(override);
}

/** coder.chart: `<name>-<version>` with + replaced by _. */
export const coderChart = (ctx: RenderContext): string => trunc63(`${ctx.chart.name}-${ctx.chart.version}`.replaceAll('+', '_'));

/** coder.selectorLabels (the chart warns: adding a selector is a breaking change). */
export function selectorLabels(ctx: RenderContext): YamlMap {
  return {
    'app.kubernetes.io/name': plain(coderName(ctx), 'the chart name'),
    'app.kubernetes.io/instance': plain(ctx.release.name, 'the release name'),
  };
}

/** coder.labels. */
export function commonLabels(ctx: RenderContext): YamlMap {
  return {
    'helm.sh/chart': plain(coderChart(ctx), 'the chart version label'),
    ...selectorLabels(ctx),
    'app.kubernetes.io/part-of': plain(coderName(ctx), 'the chart name'),
    ...(truthy(ctx.chart.appVersion) ? { 'app.kubernetes.io/version': quote(ctx.chart.appVersion) } : {}),
    'app.kubernetes.io/managed-by': plain(ctx.release.service, 'Release.Service'),
  };
}

/** coder.image: `<repo>:<tag>`, the tag defaulting to v<appVersion>; a chart from git has no usable default. */
export function coderImage(ctx: RenderContext): string {
  const tag = at(ctx, 'coder.image.tag');
  if (goEq(tag, '', 'coder.image.tag') && ctx.chart.appVersion === '0.1.0') {
    throw chartFails(
      "You must specify the coder.image.tag value if you're installing the Helm chart directly from Git. (coder.image.tag is empty and the chart's appVersion is 0.1.0)",
      'set coder.image.tag to the Coder version you install (e.g. v2.30.0), or render the released chart, whose appVersion gives the default tag',
    );
  }
  const tagText = truthy(tag) ? goPrint(tag) : `v${ctx.chart.appVersion}`;
  return `${goPrint(at(ctx, 'coder.image.repo'))}:${tagText}`;
}

/** coder.tlsEnabled: coder.tls.secretNames is not empty. */
export function tlsEnabled(ctx: RenderContext): boolean {
  const coder = at(ctx, 'coder') as YamlMap;
  return hasKey(coder, 'tls') && truthy(at(ctx, 'coder.tls.secretNames'));
}

const tlsSecretNames = (ctx: RenderContext): unknown[] => goRange(at(ctx, 'coder.tls.secretNames'), 'coder.tls.secretNames');

/** coder.tlsEnv: the CODER_TLS_* variables, one cert/key pair per secret, comma separated. */
export function tlsEnv(ctx: RenderContext): YamlMap[] {
  if (!tlsEnabled(ctx)) return [];
  const names = tlsSecretNames(ctx).map(goPrint);
  return [
    { name: 'CODER_TLS_ENABLE', value: 'true' },
    { name: 'CODER_TLS_ADDRESS', value: '0.0.0.0:8443' },
    { name: 'CODER_TLS_CERT_FILE', value: names.map((n) => `/etc/ssl/certs/coder/${n}/tls.crt`).join(',') },
    { name: 'CODER_TLS_KEY_FILE', value: names.map((n) => `/etc/ssl/certs/coder/${n}/tls.key`).join(',') },
  ];
}

/** coder.defaultAccessURL: the Service's in-cluster URL. */
export const defaultAccessURL = (ctx: RenderContext): string => `${tlsEnabled(ctx) ? 'https' : 'http'}://coder.${ctx.release.namespace}.svc.cluster.local`;

interface CaSecret {
  /** As printed into names and paths. */
  name: string;
  /** As given (for `| quote`). */
  nameValue: unknown;
  key: unknown;
}
function caSecrets(ctx: RenderContext): CaSecret[] {
  return goRange(at(ctx, 'coder.certs.secrets'), 'coder.certs.secrets').map((s, i) => {
    const nameValue = fieldOf(s, 'name', `coder.certs.secrets[${i}]`);
    return { name: goPrint(nameValue), nameValue, key: fieldOf(s, 'key', `coder.certs.secrets[${i}]`) };
  });
}

/** The user's list (`{{ if gt (len x) 0 }}{{ toYaml x }}`), pasted after the chart's own items. */
function extraList(ctx: RenderContext, path: string): unknown[] {
  if (goLen(at(ctx, path), path) === 0) return [];
  const list = at(ctx, path);
  if (!Array.isArray(list)) throw chartFails(`${path} is ${isMap(list) ? 'a mapping' : 'not a list'}; the chart pastes it into the list of the pod's ${path.endsWith('Mounts') ? 'volume mounts' : 'volumes'}, so only a list renders`, `make ${path} a list`);
  return listValue(list, path);
}

/** coder.volumeList: a Secret volume per TLS secret and per CA bundle, then coder.volumes. */
export function volumeList(ctx: RenderContext): unknown[] {
  const coder = at(ctx, 'coder') as YamlMap;
  const tls = hasKey(coder, 'tls') ? tlsSecretNames(ctx).map((s) => ({ name: `tls-${goPrint(s)}`, secret: { secretName: quote(s) } })) : [];
  const ca = caSecrets(ctx).map((s) => ({ name: `ca-cert-${s.name}`, secret: { secretName: quote(s.nameValue) } }));
  return [...tls, ...ca, ...extraList(ctx, 'coder.volumes')];
}

/** coder.volumeMountList: TLS secrets under /etc/ssl/certs/coder/<name>, CA bundles as /etc/ssl/certs/<name>.crt, then coder.volumeMounts. */
export function volumeMountList(ctx: RenderContext): unknown[] {
  const coder = at(ctx, 'coder') as YamlMap;
  const tls = hasKey(coder, 'tls')
    ? tlsSecretNames(ctx).map((s) => ({ name: `tls-${goPrint(s)}`, mountPath: `/etc/ssl/certs/coder/${goPrint(s)}`, readOnly: true }))
    : [];
  const ca = caSecrets(ctx).map((s) => ({ name: `ca-cert-${s.name}`, mountPath: `/etc/ssl/certs/${s.name}.crt`, subPath: quote(s.key), readOnly: true }));
  return [...tls, ...ca, ...extraList(ctx, 'coder.volumeMounts')];
}

/** coder.ingressWildcardHost: "*-suffix.example.com" becomes "*.example.com" (a legal Ingress host). */
export function ingressWildcardHost(ctx: RenderContext): string {
  const host = at(ctx, 'coder.ingress.wildcardHost');
  if (typeof host !== 'string') throw chartFails(`coder.ingress.wildcardHost is ${goPrint(host)}, not a string (regexReplaceAll: wrong type for value; expected string)`, 'quote coder.ingress.wildcardHost');
  return host.replace(/\*[^.]*(\..*)/g, '*$1');
}
