// templates/ingress.yaml: the Ingress for coder.ingress.host (and the wildcard host), when enabled.
import type { RenderContext } from './context.ts';
import { plain, quote, toYaml, truthy, valueAt } from './go-template.ts';
import { commonLabels, ingressWildcardHost } from './helpers.ts';
import type { YamlMap } from './types.ts';

const toCoderHttp = (host: unknown): YamlMap => ({
  host,
  http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'coder', port: { name: 'http' } } } }] },
});

export function coderIngress(ctx: RenderContext): YamlMap | null {
  const at = (key: string) => valueAt(ctx.values, `coder.ingress.${key}`);
  if (!truthy(at('enable'))) return null;
  const spec: YamlMap = {};
  // An empty ingressClassName fails validation, so the chart leaves it out.
  if (truthy(at('className'))) spec.ingressClassName = quote(at('className'));
  spec.rules = [toCoderHttp(quote(at('host')))];
  if (truthy(at('wildcardHost'))) (spec.rules as YamlMap[]).push(toCoderHttp(quote(ingressWildcardHost(ctx))));
  if (truthy(at('tls.enable'))) {
    const tls: YamlMap[] = [{ hosts: [quote(at('host'))], secretName: quote(at('tls.secretName')) }];
    if (truthy(at('tls.wildcardSecretName'))) tls.push({ hosts: [quote(ingressWildcardHost(ctx))], secretName: quote(at('tls.wildcardSecretName')) });
    spec.tls = tls;
  }
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'coder', namespace: plain(ctx.release.namespace, 'the release namespace'), labels: commonLabels(ctx), annotations: toYaml(at('annotations')) },
    spec,
  };
}
