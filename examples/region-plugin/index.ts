// An example coder-preflight plugin: "the database is in the same region as the cluster's nodes".
// Coder wants its database under 10 ms away; a database in another region is never that close.
// The nodes' region comes from their topology labels (a collector of the plugin's own), the
// database's from the config file, since nothing in a PostgreSQL URL says where it runs:
//
//   # coder-preflight.config.yaml
//   plugins: [./examples/region-plugin/index.ts]
//   thresholds:
//     region/postgres.same-region:
//       databaseRegion: us-east-1
//
// Run: coder-preflight --plugin ./examples/region-plugin/index.ts --kubeconfig … (Node ≥ 23.6
// loads .ts plugins as they are; compile to .js for older Node).
import { defineCheck, defineCollector, definePlugin } from 'coder-preflight/api';

const REGION_LABELS = ['topology.kubernetes.io/region', 'failure-domain.beta.kubernetes.io/region'];

export interface NodeRegionsFact {
  nodes: number;
  /** Nodes per region label value. */
  byRegion: Record<string, number>;
  /** Nodes with no region label. */
  unlabelled: string[];
}

declare module 'coder-preflight/api' {
  interface FactMap {
    'region/kubernetes.node-regions': NodeRegionsFact;
  }
}

// A fact of the plugin's own, built on a built-in one: the nodes are read once per run, by
// kubernetes.nodes (paginated), and a failure there is told once, by the check that owns it.
const nodeRegions = defineCollector({
  id: 'region/kubernetes.node-regions',
  timeoutMs: 15_000,
  async collect(ctx) {
    const nodes = await ctx.need('kubernetes.nodes');
    const fact: NodeRegionsFact = { nodes: nodes.items.length, byRegion: {}, unlabelled: [] };
    for (const n of nodes.items) {
      const region = REGION_LABELS.map((l) => n.labels[l]).find(Boolean);
      if (region) fact.byRegion[region] = (fact.byRegion[region] ?? 0) + 1;
      else fact.unlabelled.push(n.name);
    }
    return fact;
  },
});

const sameRegion = defineCheck({
  id: 'region/postgres.same-region',
  title: 'The database is in the same region as the cluster nodes',
  category: 'postgres',
  facts: ['region/kubernetes.node-regions'],
  docs: 'https://coder.com/docs/tutorials/best-practices/scale-coder',
  defaults: {
    baseline: { databaseRegion: '', source: 'not set: give thresholds.region/postgres.same-region.databaseRegion in the config file' },
  },
  explain: {
    what: 'Reads the region of every node from its topology.kubernetes.io/region label and compares it with the database\'s region, given in the config file (databaseRegion).',
    why: 'Coder needs its database under 10 ms away; across regions round trips are tens of milliseconds, and every API request and workspace build waits on them.',
    fix: 'Run the database in the region of the cluster (or a read/write replica promoted there), or move the cluster; set databaseRegion to where the database really runs.',
  },
  evaluate({ 'region/kubernetes.node-regions': f }, { options }) {
    const db = options.databaseRegion;
    const evidence = { databaseRegion: db || null, nodes: f.nodes, regions: Object.entries(f.byRegion).map(([r, n]) => `${r}: ${n}`), unlabelled: f.unlabelled.length };
    if (!db) return { status: 'skip', summary: 'No database region given', remediation: 'set thresholds."region/postgres.same-region".databaseRegion in coder-preflight.config.yaml', evidence };
    const regions = Object.keys(f.byRegion);
    if (f.nodes === 0) return { status: 'warn', summary: 'The cluster has no nodes to compare the database region with', remediation: 'run again once the node groups exist', evidence };
    if (regions.length === 0) {
      return { status: 'warn', summary: `None of the ${f.nodes} nodes carries a region label: cannot tell whether they are in ${db}`, remediation: 'label the nodes with topology.kubernetes.io/region (cloud providers do it for you), or check by hand', evidence };
    }
    const inDb = f.byRegion[db] ?? 0;
    if (inDb === 0) {
      return {
        status: 'fail',
        summary: `The database is in ${db}, but the nodes are in ${regions.join(', ')}: every query crosses regions, far over Coder's 10 ms`,
        remediation: `run the database in ${regions[0]} (or the cluster in ${db})`,
        evidence,
      };
    }
    if (inDb < f.nodes) {
      const elsewhere = f.nodes - inDb;
      return {
        status: 'warn',
        summary: `${inDb} of ${f.nodes} nodes are in ${db}, the database's region; ${elsewhere} ${f.unlabelled.length ? `are elsewhere or unlabelled (${f.unlabelled.slice(0, 3).join(', ')})` : `are in ${regions.filter((r) => r !== db).join(', ')}`}`,
        remediation: `pin Coder's pods to nodes in ${db} (coder.nodeSelector topology.kubernetes.io/region: ${db})`,
        evidence,
      };
    }
    return { status: 'pass', summary: `All ${f.nodes} nodes are in ${db}, with the database`, evidence };
  },
});

export default definePlugin({ name: 'region', checks: [sameRegion], collectors: [nodeRegions] });
