// postgres.connect from where Coder runs: a probe pod on Coder's control-plane nodes resolves the
// host with the cluster's DNS and logs in with Coder's driver's rules. From there, every refusal is
// Coder's too, and so is a name that does not resolve or a database that does not answer: those
// are errors from this machine (postgres.connect), failures from the cluster.
import { defineCheck } from '../../src/engine/define.ts';
import type { PgConnectProbeResult } from '../../src/facts/probe/pg-connect.ts';
import type { ProbeRan } from '../../src/probes/define.ts';
import { notRun, ranEvidence } from '../../src/probes/outcome.ts';

/** Causes that do not say the settings or the network are wrong (a server starting, an unknown error). */
const UNSURE = new Set(['server-starting', 'server-error', 'other']);

export default defineCheck({
  id: 'postgres.connect-from-cluster',
  title: 'Coder\'s pods can resolve, reach and log in to the database',
  category: 'postgres',
  facts: ['probe.pg-connect'],
  docs: 'https://coder.com/docs/tutorials/external-database',
  tags: ['probe'],
  explain: {
    what: 'With --probe pg-connect (or --active): a pod on Coder\'s control-plane nodes (the values\' nodeSelector, affinity and tolerations, or --control-plane-selector) looks the database host up with the cluster\'s DNS — a bare Service name as in Coder\'s namespace — then connects and logs in the way Coder\'s driver lib/pq does, with the same causes as postgres.connect: DNS, TCP, TLS, authentication, database. The password and TLS files reach the pod as files of a short-lived Secret in the scratch namespace, never in the pod spec, its arguments, events or logs, and go away with the namespace. When the name does not resolve, the cluster\'s Services with a similar name are suggested.',
    why: 'postgres.connect connects from where coder-preflight runs, which is often not where Coder runs: an in-cluster name (postgresql.coder.svc.cluster.local) does not resolve on a laptop, a database in a private network answers the cluster and not the laptop, and pg_hba.conf may admit one address and refuse the other. Only a connection from the cluster proves what Coder\'s pods will see; a Service name written a little wrong (postgresql for the chart\'s coder-db-postgresql) is one of the commonest first-install failures.',
    fix: 'Use the name the cluster knows (the suggested Service, <service>.<namespace>.svc.cluster.local), open the path from the nodes\' network to the database (security groups, firewall, an egress NetworkPolicy in Coder\'s namespace), add a pg_hba.conf line for the pods\' addresses, and fix credentials or TLS as postgres.connect says for the same cause.',
  },
  evaluate({ 'probe.pg-connect': f }) {
    const skipped = notRun(f);
    if (skipped) return skipped;
    const r = f as ProbeRan & PgConnectProbeResult;
    const from = r.node ? `a pod on node ${r.node}` : 'a probe pod';
    const vantage = `${from} (${r.placement})`;
    const res = r.result;
    const evidence = {
      ...ranEvidence(r),
      database: r.target ?? null,
      node: r.node ?? null,
      placement: r.placement,
      ...(res?.dns ? { dns: 'code' in res.dns ? `${res.dns.code} after ${res.dns.ms} ms` : `${res.dns.addresses.join(', ')} in ${res.dns.ms} ms` } : {}),
      ...(res?.failure ? { cause: res.failure.cause, reason: res.failure.reason, code: res.failure.code ?? null } : {}),
      ...(res?.ok ? { serverVersion: res.version ?? null, tls: res.tls ?? null, sslmode: res.sslmode ?? null, connectMs: res.connectMs ?? null } : {}),
      ...(r.missingFiles ? { notOnThisMachine: r.missingFiles } : {}),
      ...(r.nearMisses?.length ? { similarServices: r.nearMisses.map((m) => `${m.host} (${m.why}; ports ${m.ports.join(', ') || 'none'})`) } : {}),
      ...(r.servicesUnread ? { servicesUnread: r.servicesUnread } : {}),
    };
    if (r.problem && !res) {
      if (/no database is configured/.test(r.problem)) return { status: 'skip', summary: 'No database is configured to connect to from the cluster', evidence };
      return { status: 'warn', summary: `Inconclusive: ${r.problem}`, remediation: 'see why the probe pod did not report (the evidence), or run coder-preflight inside the cluster', evidence, vantage };
    }
    if (!res) return { status: 'warn', summary: 'Inconclusive: the probe pod reported nothing', evidence, vantage };
    if (res.ok) {
      return {
        status: 'pass',
        summary: `From ${from}, ${r.target?.replace(/^the database /, '') ?? 'the database'} resolves and accepts Coder's login: PostgreSQL ${res.version} (${res.tls ? 'TLS' : 'no TLS'}, sslmode=${res.sslmode}) in ${res.connectMs} ms`,
        evidence,
        vantage,
      };
    }
    const fail = res.failure!;
    const missingHere = fail.cause.endsWith('-unreadable') && r.missingFiles?.length;
    if (missingHere) {
      return {
        status: 'warn',
        summary: `From ${from}: ${fail.message}; this machine has no such file to give the probe (${r.missingFiles!.join(', ')}), so it may be mounted in Coder's pod and not here`,
        remediation: 'run where the file exists (or give the settings through the values file, whose Secret the probe reads), or check that Coder\'s pod mounts it at that path',
        evidence,
        vantage,
      };
    }
    if (fail.cause === 'dns') {
      const near = r.nearMisses ?? [];
      return {
        status: 'fail',
        summary: `From ${from}, the database host ${r.target?.replace(/^the database /, '').replace(/:\d+$/, '') ?? ''} does not resolve (${'code' in (res.dns ?? {}) ? (res.dns as { code: string }).code : 'DNS'}): Coder's pods would not find the database${near.length ? `; did you mean ${near[0]!.host}? (${near[0]!.why})` : ''}`,
        remediation: near.length ? `use ${near.map((m) => m.host).join(' or ')} as the host (the cluster's DNS names a Service <service>.<namespace>.svc.cluster.local)` : 'use a name the cluster\'s DNS resolves: a Service as <service>.<namespace>.svc.cluster.local, or a host the nodes\' resolver knows',
        evidence,
        vantage,
      };
    }
    if (UNSURE.has(fail.cause)) {
      return { status: 'warn', summary: `From ${from}, the connection did not complete: ${fail.message}`, remediation: fail.hint ?? 'run again; see the server\'s log', evidence, vantage };
    }
    return {
      status: 'fail',
      summary: `From ${from}, Coder could not connect: ${fail.message}`,
      remediation: fail.hint ?? 'fix the connection settings',
      evidence,
      vantage,
    };
  },
});
