// Every Coder replica keeps a pool of database connections (v1: 30; v2: CODER_PG_CONN_MAX_OPEN=10,
// plus one LISTEN connection for pubsub). When max_connections (less reserved slots) cannot hold
// them all, replicas fail with "too many clients" under load (coder-requirements.md §1f, §3c).
import { defineCheck } from '../../src/engine/define.ts';

export default defineCheck({
  id: 'postgres.connections',
  title: 'PostgreSQL has connection slots for every Coder replica',
  category: 'postgres',
  facts: ['postgres.connections'],
  docs: 'https://coder.com/docs/tutorials/best-practices/scale-coder',
  defaults: {
    // The seeds (Coder v1 docs) for the baseline and v1.
    baseline: {
      poolPerReplica: 30,
      extraPerReplica: 0,
      factor: 1,
      strictlyBelow: true,
      source: 'Coder v1 docs (guides/deployments/postgres): replicas × 30 (CODER_MAX_DB_CONNECTIONS) must be below max_connections less reserved slots',
    },
    v2: {
      poolPerReplica: 10,
      extraPerReplica: 1,
      factor: 1.2,
      strictlyBelow: false,
      source: 'Coder 2.x scale docs: max_connections ≥ replicas × CODER_PG_CONN_MAX_OPEN (10) + ~20 %; plus one LISTEN connection per replica (coderd/database/pubsub)',
    },
  },
  explain: {
    what: 'Reads max_connections, superuser_reserved_connections and reserved_connections (16+) and counts the client connections open now; compares what non-superusers can get with what Coder will open: replicas × pool (+ 1 LISTEN connection per replica and ~20 % head-room for Coder 2.x; v1: replicas × 30, strictly below). Replicas and pool size come from the values file (coder.replicaCount, CODER_PG_CONN_MAX_OPEN / coderd.replicas, CODER_MAX_DB_CONNECTIONS) or --replicas.',
    why: 'Each replica holds its own pool. When the server runs out of slots, new connections fail with "sorry, too many clients already" or "remaining connection slots are reserved", and Coder\'s API and workspace builds fail under load. Managed services reserve slots of their own, and other applications share the server.',
    fix: 'Raise max_connections (a restart; on managed services a parameter group), lower the pool (CODER_PG_CONN_MAX_OPEN in coder.env, or CODER_MAX_DB_CONNECTIONS for v1), run fewer replicas, or give Coder a server of its own.',
  },
  evaluate({ 'postgres.connections': f }, { deployment, options: t, profile }) {
    const pool = deployment.poolPerReplica?.value ?? t.poolPerReplica;
    const available = f.maxConnections - f.superuserReserved - f.reservedConnections;
    const others = Math.max(0, f.inUse - f.ours);
    const r = deployment.replicas;
    const base = r * (pool + t.extraPerReplica);
    // What Coder opens; v1's rule wants it strictly below what is available, which the comparison says.
    const needed = Math.ceil(base * t.factor);
    const fits = (room: number) => (t.strictlyBelow ? needed < room : needed <= room);
    /** max_connections that would hold Coder's connections and everyone else's. */
    const enough = needed + (t.strictlyBelow ? 1 : 0) + f.superuserReserved + f.reservedConnections + others;
    const formula = `${r} replica${r === 1 ? '' : 's'} × (${pool}${t.extraPerReplica ? ` + ${t.extraPerReplica} LISTEN` : ''})${t.factor !== 1 ? ` × ${t.factor}` : ''}${t.strictlyBelow ? ', strictly below' : ''}`;
    const evidence = {
      replicas: r,
      replicasFrom: deployment.replicasSource,
      poolPerReplica: pool,
      poolFrom: deployment.poolPerReplica?.where ?? `default for profile ${profile.name}`,
      needed,
      maxConnections: f.maxConnections,
      superuserReserved: f.superuserReserved,
      reservedConnections: f.reservedConnections,
      availableToCoder: available,
      inUseByOthers: others,
    };
    const threshold = { value: formula };
    if (!fits(available)) {
      return {
        status: 'fail',
        summary: `Coder needs ${needed} connections (${formula}) but max_connections ${f.maxConnections} leaves ${available} for non-superusers`,
        remediation: `raise max_connections to at least ${enough}, or lower the pool per replica / the number of replicas`,
        evidence,
        threshold,
      };
    }
    if (!fits(available - others)) {
      return {
        status: 'warn',
        summary: `Coder needs ${needed} connections (${formula}); ${available} are available, but ${others} are in use by other clients right now, leaving ${available - others}`,
        remediation: `raise max_connections to at least ${enough}, or give Coder a server of its own`,
        evidence,
        threshold,
      };
    }
    return { status: 'pass', summary: `${available - others} connection slots free for Coder's ${needed} (${formula})`, evidence, threshold };
  },
});
