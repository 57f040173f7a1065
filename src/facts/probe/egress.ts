// The way out of the cluster, from where Coder runs: a probe pod in Coder's namespace (under its
// NetworkPolicies: it carries the labels of Coder's pods, and a readiness check that never passes
// so no Service ever sends it traffic), with the HTTP(S)_PROXY/NO_PROXY the values give Coder,
// walks to each endpoint an install needs (src/access/egress.ts): the registry of the Coder image
// the chart would run, releases.hashicorp.com (Terraform), registry.terraform.io (providers),
// registry.coder.com (modules) — or the list given (--egress-endpoint, probes.egress: mirrors,
// air-gapped sites). A Coder namespace that does not exist yet, or where this user may not create
// pods, is walked from the scratch namespace, and the result says so. cluster.egress judges it.
import type { EgressResult } from '../../access/egress.ts';
import type { K8sObject } from '../../chart/types.ts';
import type { EgressProbeArgs } from '../../probes/agent/egress.ts';
import { defineProbe, type ProbeContext, type ProbeFact } from '../../probes/define.ts';
import { placementWords, runProbePod, runProblem } from '../../probes/pods.ts';
import { VERSION } from '../../version.ts';

export interface EgressProbeResult {
  placement: string;
  /** The namespace the pod ran in, and the one it stands for. */
  namespace?: string;
  for: string;
  /** Why not from Coder's namespace itself. */
  fallback?: string;
  node?: string;
  /** Where the list came from: the defaults (and for which image), or the flag / config file. */
  endpointsFrom: string;
  proxy?: { http?: string; https?: string; noProxy?: string; from: string };
  results?: EgressResult[];
  problem?: string;
}

declare module '../types.ts' {
  interface FactMap {
    'probe.egress': ProbeFact<EgressProbeResult>;
  }
}

interface Container {
  name?: string;
  image?: string;
  env?: { name: string; value?: string }[];
}
const coderPod = (objects: readonly K8sObject[]) => {
  const d = objects.find((o) => o.kind === 'Deployment');
  const tpl = (d?.spec as { template?: { metadata?: { labels?: Record<string, string> }; spec?: { containers?: Container[] } } } | undefined)?.template;
  const c = tpl?.spec?.containers?.find((x) => x.name === 'coder') ?? tpl?.spec?.containers?.[0];
  return { labels: tpl?.metadata?.labels ?? {}, container: c };
};

/** The registry API root of an image reference (Docker Hub's is registry-1.docker.io). */
export function registryOf(image: string): string {
  const first = image.split('/')[0]!;
  const host = image.includes('/') && (/[.:]/.test(first) || first === 'localhost') ? first : 'docker.io';
  return `https://${host === 'docker.io' ? 'registry-1.docker.io' : host}/v2/`;
}

/** How long the pod waits before walking, so its NetworkPolicies are in force (see EgressProbeArgs.settleMs). */
export const EGRESS_SETTLE_MS = 3000;

export const DEFAULT_ENDPOINTS = ['https://releases.hashicorp.com/terraform/index.json', 'https://registry.terraform.io/.well-known/terraform.json', 'https://registry.coder.com/'];

export default defineProbe({
  name: 'egress',
  fact: 'probe.egress',
  proves: 'that a pod in Coder\'s namespace, under its NetworkPolicies and proxy settings, reaches the image registry and the Terraform release and provider registries an install needs',
  needs: () => [],
  async run(p: ProbeContext): Promise<EgressProbeResult> {
    const t = p.collect.target;
    const placement = t.deployment.controlPlane;
    const chart = await p.collect.fact('chart.objects');
    const pod = chart.ok ? coderPod(chart.value.objects) : { labels: {}, container: undefined };
    const image = pod.container?.image;
    const given = p.session.settings.egress;
    const endpoints = given?.endpoints ?? [...(image ? [registryOf(image)] : []), ...DEFAULT_ENDPOINTS];
    const endpointsFrom = given ? given.source : `the defaults${image ? ` (the registry of ${image}, the chart's image)` : ''}`;
    const env = Object.fromEntries((pod.container?.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name.toUpperCase(), e.value!]));
    const proxyEnv = { ...(env.HTTP_PROXY ? { http: env.HTTP_PROXY } : {}), ...(env.HTTPS_PROXY ? { https: env.HTTPS_PROXY } : {}), ...(env.NO_PROXY ? { noProxy: env.NO_PROXY } : {}) };
    const proxy = Object.keys(proxyEnv).length ? { ...proxyEnv, from: 'the values (coder.env HTTP_PROXY/HTTPS_PROXY/NO_PROXY)' } : undefined;
    const ns = t.namespace;
    const base = { placement: placementWords(placement, 'control-plane'), for: ns, endpointsFrom, ...(proxy ? { proxy } : {}) };
    // In Coder's namespace when it exists and this user may create pods there.
    const { namespace: where, fallback } = await p.session.placeIn(ns);
    const agentConfigMap = await p.session.agentIn(where);
    const nonce = p.nonce();
    const args: EgressProbeArgs = { nonce, endpoints, ...(proxy ? { proxy: proxyEnv } : {}), caPems: t.access?.caBundle?.pems ?? [], timeoutMs: 5000, userAgent: `coder-preflight/${VERSION}`, settleMs: EGRESS_SETTLE_MS };
    const r = await runProbePod<EgressResult[]>(
      p,
      {
        name: `egress-${p.nonce()}`,
        probe: 'egress',
        role: 'client',
        mode: 'egress',
        namespace: where,
        agentConfigMap,
        // Coder's pods' labels, so the NetworkPolicies that select them select this pod too (in Coder's namespace only).
        ...(where === ns ? { labels: pod.labels, neverReady: true } : {}),
        args: args as unknown as Record<string, unknown> & { nonce: string },
        ...(placement ? { placement } : {}),
        deadlineSeconds: p.podDeadlineSeconds(),
      },
      p.budgetMs(),
    );
    const problem = runProblem(r, 'the probe pod could not walk');
    return { ...base, namespace: where, ...(fallback ? { fallback } : {}), ...(r.node?.name ? { node: r.node.name } : {}), ...(r.report?.ok ? { results: r.report.result! } : {}), ...(problem ? { problem } : {}) };
  },
});
