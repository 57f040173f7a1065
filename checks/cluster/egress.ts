// The fourth most reported install failure (coder-install-failures.md §1 rank 4, K6): no way out of
// the cluster — the image pull backs off, coderd crash-loops on "install terraform: … i/o timeout",
// a template push cannot reach registry.terraform.io. Walked from a pod in Coder's namespace, under
// its NetworkPolicies and the values' proxy settings; the endpoints are configurable (mirrors).
import { defineCheck } from '../../src/engine/define.ts';
import type { EgressResult } from '../../src/access/egress.ts';
import type { EgressProbeResult } from '../../src/facts/probe/egress.ts';
import type { ProbeRan } from '../../src/probes/define.ts';
import { notRun, ranEvidence } from '../../src/probes/outcome.ts';

const STEP_WORDS: Record<string, string> = {
  url: 'is not a URL',
  dns: 'does not resolve',
  tcp: 'cannot be connected to',
  proxy: 'is refused by the proxy',
  tls: 'fails the TLS handshake',
  http: 'gives no HTTP answer',
};

function line(r: EgressResult): string {
  const via = r.proxy ? ` via proxy ${r.proxy}` : '';
  if (r.ok) return `${r.url}${via}: HTTP ${r.status} in ${Object.values(r.ms).reduce((a, b) => a + (b ?? 0), 0).toFixed(0)} ms${r.tlsVerified === false ? ` (certificate not trusted: ${r.tlsError}; issuer ${r.issuer ?? '?'})` : ''}`;
  return `${r.url}${via}: ${STEP_WORDS[r.failedAt ?? 'http']} (${r.error?.code}${r.proxyAnswer ? `: ${r.proxyAnswer}` : ''})`;
}

function why(r: EgressResult): string {
  const code = r.error?.code ?? '';
  if (r.failedAt === 'dns') return code === 'ETIMEDOUT' || code === 'EAI_AGAIN' ? 'the cluster\'s DNS did not answer (an egress policy that blocks port 53, or no upstream resolver)' : 'the cluster\'s DNS has no record for it';
  if (r.failedAt === 'tcp') return code === 'ETIMEDOUT' ? 'the connection was dropped (an egress NetworkPolicy, a firewall, or no route/NAT out)' : code === 'ECONNREFUSED' ? 'the connection was refused' : `the connection failed (${code})`;
  if (r.failedAt === 'proxy') return 'the proxy would not open the tunnel (its allow-list)';
  if (r.failedAt === 'tls') return 'something on the way broke the TLS handshake';
  return 'no HTTP answer came back';
}

export default defineCheck({
  id: 'cluster.egress',
  title: 'Coder\'s namespace can reach the registries an install needs',
  category: 'cluster',
  facts: ['probe.egress'],
  docs: 'https://coder.com/docs/install/offline',
  tags: ['probe'],
  explain: {
    what: 'With --probe egress (or --active): a pod in Coder\'s namespace, with the labels of Coder\'s pods (so the NetworkPolicies that select Coder select it; it is never Ready, so no Service sends it traffic) and the HTTP_PROXY/HTTPS_PROXY/NO_PROXY the values give Coder, walks to each endpoint: DNS, TCP (or CONNECT through the proxy), TLS, one GET; any HTTP answer counts. The defaults are the registry of the Coder image the chart would run, releases.hashicorp.com (Terraform), registry.terraform.io (providers) and registry.coder.com (modules); --egress-endpoint (repeatable) or probes.egress in the config file replace the list, for mirrors and air-gapped sites. When Coder\'s namespace does not exist yet the pod runs in the scratch namespace, and the result says its policies were not applied.',
    why: 'Without a way out, the Coder image pull backs off, coderd crash-loops installing Terraform ("Get https://releases.hashicorp.com/terraform/…/index.json: i/o timeout"), and template pushes fail to reach registry.terraform.io — often only after a NetworkPolicy or a firewall change, and only from the cluster, not from a laptop.',
    fix: 'Allow egress from Coder\'s namespace to these hosts on 443 (an egress NetworkPolicy rule, the firewall or NAT gateway, the proxy\'s allow-list), give Coder the proxy (coder.env HTTP_PROXY/HTTPS_PROXY/NO_PROXY), or go air-gapped on purpose: mirror the image, bundle Terraform and the providers or point Terraform at a network mirror (coder.com/docs/install/offline), and list the mirrors with --egress-endpoint so this check walks to them instead.',
  },
  evaluate({ 'probe.egress': f }) {
    const skipped = notRun(f);
    if (skipped) return skipped;
    const r = f as ProbeRan & EgressProbeResult;
    const where = `a pod in namespace ${r.namespace ?? '?'}${r.node ? ` on node ${r.node}` : ''}`;
    const vantage = `${where}${r.fallback ? ` (for ${r.for}: ${r.fallback})` : ''}`;
    const results = r.results ?? [];
    const evidence = {
      ...ranEvidence(r),
      namespace: r.namespace ?? null,
      ...(r.fallback ? { notFromCoderNamespace: r.fallback } : {}),
      endpointsFrom: r.endpointsFrom,
      ...(r.proxy ? { proxy: `${[r.proxy.https ? `HTTPS_PROXY=${r.proxy.https}` : '', r.proxy.http ? `HTTP_PROXY=${r.proxy.http}` : '', r.proxy.noProxy ? `NO_PROXY=${r.proxy.noProxy}` : ''].filter(Boolean).join(' ')} (${r.proxy.from})` } : {}),
      endpoints: results.map(line),
    };
    if (!r.results) return { status: 'warn', summary: `Inconclusive: ${r.problem ?? 'the probe pod reported nothing'}`, remediation: 'see why the probe pod did not report (the evidence), then run again', evidence, vantage };
    const bad = results.filter((x) => !x.ok);
    const caveat = r.fallback ? `; from the scratch namespace, not ${r.for} (${r.fallback}): its NetworkPolicies, if any, were not applied` : '';
    if (bad.length) {
      const first = bad[0]!;
      return {
        status: 'fail',
        summary: `From ${where}, ${bad.length} of ${results.length} endpoints an install needs cannot be reached: ${first.host}:${first.port} ${STEP_WORDS[first.failedAt ?? 'http']}${first.proxy ? ` through the proxy ${first.proxy}` : ''} — ${why(first)}${bad.length > 1 ? ` (and ${bad.slice(1).map((x) => x.host).join(', ')})` : ''}${caveat}`,
        remediation: `allow egress from Coder's namespace to ${bad.map((x) => `${x.host}:${x.port}`).join(', ')} (NetworkPolicy egress rules, firewall, NAT or the proxy's allow-list), or use mirrors and list them with --egress-endpoint (air-gapped: coder.com/docs/install/offline)`,
        evidence,
        vantage,
      };
    }
    const untrusted = results.filter((x) => x.tlsVerified === false);
    if (untrusted.length) {
      return {
        status: 'warn',
        summary: `From ${where}, every endpoint answers, but ${untrusted.map((x) => x.host).join(', ')} ${untrusted.length === 1 ? 'presents a certificate' : 'present certificates'} the pod does not trust (${untrusted[0]!.tlsError}; issuer ${untrusted[0]!.issuer ?? '?'}): a TLS-inspecting proxy?${caveat}`,
        remediation: 'give Coder the proxy\'s CA (coder.certs.secrets in the chart) and put it in the workspace images; pass it with --ca-bundle to check again',
        evidence,
        vantage,
      };
    }
    // A namespace that does not exist has no policies yet: what the scratch namespace saw is what it will see.
    const unsure = r.fallback !== undefined && !/does not exist yet/.test(r.fallback);
    return {
      status: unsure ? 'warn' : 'pass',
      summary: `From ${where}, all ${results.length} endpoints answer${r.proxy ? ' (through the values\' proxy where it applies)' : ''}: ${results.map((x) => `${x.host} ${x.status}`).join(', ')}${caveat}`,
      ...(unsure ? { remediation: `run with a kubeconfig that may create pods in ${r.for}, so the walk goes under its NetworkPolicies` } : {}),
      evidence,
      vantage,
    };
  },
});
