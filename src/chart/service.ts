// templates/service.yaml: the Service in front of coderd (coder.service.*).
import type { RenderContext } from './context.ts';
import { goEq, plain, quote, toYaml, truthy, valueAt } from './go-template.ts';
import { commonLabels, selectorLabels, tlsEnabled } from './helpers.ts';
import type { YamlMap } from './types.ts';

export function coderService(ctx: RenderContext): YamlMap | null {
  const at = (key: string) => valueAt(ctx.values, `coder.service.${key}`);
  if (!truthy(at('enable'))) return null;
  const type = at('type');
  const hasNodePorts = goEq(type, 'NodePort', 'coder.service.type') || goEq(type, 'LoadBalancer', 'coder.service.type');
  const ports: YamlMap[] = [
    { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP', ...(hasNodePorts ? { nodePort: plain(at('httpNodePort'), 'coder.service.httpNodePort') } : {}) },
  ];
  if (tlsEnabled(ctx)) {
    ports.push({ name: 'https', port: 443, targetPort: 'https', protocol: 'TCP', ...(hasNodePorts ? { nodePort: plain(at('httpsNodePort'), 'coder.service.httpsNodePort') } : {}) });
  }
  const spec: YamlMap = { type: plain(type, 'coder.service.type'), sessionAffinity: plain(at('sessionAffinity'), 'coder.service.sessionAffinity'), ports };
  if (goEq(type, 'LoadBalancer', 'coder.service.type')) {
    for (const key of ['loadBalancerIP', 'externalTrafficPolicy', 'loadBalancerClass']) {
      const v = at(key);
      if (truthy(v)) spec[key] = quote(v);
    }
  }
  spec.selector = selectorLabels(ctx);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'coder', namespace: plain(ctx.release.namespace, 'the release namespace'), labels: commonLabels(ctx), annotations: toYaml(at('annotations')) },
    spec,
  };
}
