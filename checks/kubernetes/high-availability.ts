// Coder v2 turns HA on by itself when several replicas share one database (coder-requirements.md
// §3f); it only helps when the replicas cannot all fail together: distinct nodes, distinct zones
// where the cluster has them, and a DERP relay URL each replica can reach that is not the access URL.
import { defineCheck } from '../../src/engine/define.ts';
import { CHART_DEFAULT_REQUESTS } from '../../src/inputs/chart-defaults.ts';
import type { NodeFact } from '../../src/facts/kubernetes/nodes.ts';
import { NO_PLACEMENT, podSlots, selects, usableFor, zoneOf } from '../../src/kubernetes/scheduling.ts';

/** scheme://host:port of a URL, for comparing two of them; undefined when it does not parse. */
function origin(u: string): string | undefined {
  try {
    const x = new URL(u);
    return `${x.protocol}//${x.hostname}:${x.port || (x.protocol === 'https:' ? '443' : '80')}`;
  } catch {
    return undefined;
  }
}

const ZONE_KEYS = ['topology.kubernetes.io/zone', 'failure-domain.beta.kubernetes.io/zone'];

export default defineCheck({
  id: 'kubernetes.high-availability',
  title: 'Coder\'s replicas can fail independently',
  category: 'kubernetes',
  facts: ['kubernetes.nodes'],
  docs: 'https://coder.com/docs/admin/networking/high-availability',
  defaults: CHART_DEFAULT_REQUESTS,

  explain: {
    what: 'With more than one replica: counts the nodes Coder\'s pods may use that each hold one replica (placement and requests as kubernetes.node-groups reads them), the zones those nodes are in (topology.kubernetes.io/zone), how the values spread the replicas (the chart\'s preferred pod anti-affinity by host name, or a required one; coder.topologySpreadConstraints), and whether the values override CODER_DERP_SERVER_RELAY_URL, which the chart sets to each pod\'s own address.',
    why: 'Coder enables HA as soon as several replicas use one database (a Premium feature), but replicas that share a node or a zone go down together. The chart only prefers distinct nodes, so the scheduler may still stack them. Replicas relay connections to each other over CODER_DERP_SERVER_RELAY_URL, which must reach the pod itself: set to the access URL, relayed traffic lands on a random replica and breaks.',
    fix: 'Run at least one control-plane node per replica, in two or more zones; set coder.topologySpreadConstraints with topologyKey topology.kubernetes.io/zone (and a required pod anti-affinity by kubernetes.io/hostname) to make the spread a rule; leave CODER_DERP_SERVER_RELAY_URL to the chart.',
  },
  evaluate({ 'kubernetes.nodes': f }, { deployment, options }) {
    const r = deployment.replicas;
    const ha = deployment.ha;
    if (r <= 1) {
      return {
        status: 'skip',
        summary: `Coder runs 1 replica (${deployment.replicasSource}): nothing to spread`,
        remediation: 'for high availability (a Premium feature), set coder.replicaCount to 2 or more',
        evidence: { replicas: r },
      };
    }
    const cp = deployment.controlPlane ?? NO_PLACEMENT;
    const req = deployment.requests ?? { cpuMillis: options.cpuRequestMillis, memoryMi: options.memoryRequestMi, where: options.source };
    const fit: NodeFact[] = f.items.filter((n) => selects(cp, n.labels) && usableFor(n, cp) && podSlots(n, req.cpuMillis, req.memoryMi) >= 1);
    const zones = new Map<string, number>();
    for (const n of fit) {
      const z = zoneOf(n.labels);
      if (z) zones.set(z, (zones.get(z) ?? 0) + 1);
    }
    const unzoned = fit.filter((n) => !zoneOf(n.labels)).length;
    const zoneSpread = (ha?.hardSpreadKeys ?? []).some((k) => ZONE_KEYS.includes(k));
    const hostRule = ha?.antiAffinity === 'required' || (ha?.hardSpreadKeys ?? []).includes('kubernetes.io/hostname');
    const evidence = {
      replicas: r,
      nodesHoldingOneReplica: fit.length,
      zones: [...zones].map(([z, n]) => `${z}: ${n} node${n > 1 ? 's' : ''}`),
      ...(unzoned ? { nodesWithoutZoneLabel: unzoned } : {}),
      antiAffinity: ha ? `${ha.antiAffinity} (by host name)` : 'unknown (no values file)',
      topologySpread: ha?.hardSpreadKeys.length ? ha.hardSpreadKeys : 'none that is required',
      ...(ha?.relayUrl ? { relayUrl: ha.relayUrl } : {}),
      requestsFrom: req.where,
    };
    const threshold = { value: `${r} replicas on ${r} distinct nodes${zones.size ? ', in 2+ zones' : ''}` };
    if (ha?.relayUrl) {
      const relay = origin(ha.relayUrl.replace(/\$\([A-Z_]+\)/g, 'pod-ip'));
      const access = ha.accessUrl ? origin(ha.accessUrl) : undefined;
      if (relay && access && relay === access) {
        return {
          status: 'fail',
          summary: `CODER_DERP_SERVER_RELAY_URL is the access URL (${ha.accessUrl}): replicas relay connections to each other through the load balancer, which sends them to any replica`,
          remediation: 'remove CODER_DERP_SERVER_RELAY_URL from coder.env: the chart sets it to each pod\'s own address (http://$(KUBE_POD_IP):8080)',
          evidence,
          threshold,
        };
      }
    }
    const problems: string[] = [];
    let fix = '';
    if (fit.length < r) {
      problems.push(`only ${fit.length} node${fit.length === 1 ? '' : 's'} Coder may use can hold a replica, for ${r} replicas: some would share a node (or stay Pending) and fail together`);
      fix = `run at least ${r} control-plane nodes that each fit ${req.cpuMillis}m CPU / ${req.memoryMi}Mi`;
    } else if (zones.size === 1 && !unzoned) {
      const [zone] = [...zones.keys()];
      problems.push(`every node Coder may use is in zone ${zone}: a zone outage stops all ${r} replicas`);
      fix = 'add control-plane nodes in a second zone, and set coder.topologySpreadConstraints (topologyKey topology.kubernetes.io/zone, whenUnsatisfiable DoNotSchedule)';
    }
    if (problems.length) return { status: 'warn', summary: problems.join('; '), remediation: fix, evidence, threshold };
    const where = zones.size >= 2 ? ` across ${zones.size} zones (${[...zones.keys()].join(', ')})` : zones.size === 0 ? ' (the nodes carry no zone label)' : '';
    const rule = zoneSpread && hostRule ? 'the values require the spread' : zoneSpread ? 'the values require the zone spread; distinct nodes are only preferred' : hostRule ? 'the values require distinct nodes; zones are the scheduler\'s default spreading' : 'the chart only prefers distinct nodes: set a required anti-affinity or topologySpreadConstraints to make it a rule';
    return { status: 'pass', summary: `${r} replicas have ${fit.length} nodes to run on${where}; ${rule}`, evidence, threshold };
  },
});
