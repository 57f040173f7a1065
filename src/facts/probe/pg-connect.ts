// The database from where Coder runs: a probe pod on Coder's control-plane nodes looks the host up
// with the cluster's resolver and logs in the way Coder's driver would (src/probes/agent/
// pg-connect.ts); the password and TLS files reach it through a short-lived Secret mounted as files
// (src/probes/pg-credentials.ts). A bare Service name resolves as in Coder's namespace (a DNS
// search domain). When the name does not resolve, the Services of the cluster say which one was
// probably meant. postgres.connect-from-cluster judges it.
import type { PgConnectArgs, PgConnectResult } from '../../probes/agent/pg-connect.ts';
import { defineProbe, type ProbeContext, type ProbeFact } from '../../probes/define.ts';
import { pgLogin, pgLoginNeeds } from '../../probes/pg-credentials.ts';
import { placementWords, runProbePod, runProblem } from '../../probes/pods.ts';
import { databaseTarget } from '../../probes/traffic.ts';
import { nearMisses, parseServiceName, type NearMiss } from '../../kubernetes/service-names.ts';

export interface PgConnectProbeResult {
  placement: string;
  /** The database, as the settings give it. */
  target?: string;
  node?: string;
  /** Coder's namespace, whose Service names a bare host resolves to. */
  namespace?: string;
  /** Why nothing was learned (no database configured, the pod never ran or reported). */
  problem?: string;
  result?: PgConnectResult;
  /** TLS files the settings name that this machine does not have, so neither has the probe pod. */
  missingFiles?: string[];
  /** For a name that did not resolve: Services with a similar name. */
  nearMisses?: NearMiss[];
  /** Why Services could not be compared (not allowed to list them). */
  servicesUnread?: string;
}

declare module '../types.ts' {
  interface FactMap {
    'probe.pg-connect': ProbeFact<PgConnectProbeResult>;
  }
}

export const PG_CONNECT_TIMEOUT_MS = 10_000;

/** The Services that could be meant: cluster-wide if allowed, else those of the name's namespace. */
async function similarServices(p: ProbeContext, host: string, namespace: string, port: number): Promise<Pick<PgConnectProbeResult, 'nearMisses' | 'servicesUnread'>> {
  const wanted = parseServiceName(host, namespace);
  if (!wanted) return {};
  const toSeen = (items: { metadata?: { name?: string; namespace?: string }; spec?: { ports?: { port: number }[] } }[]) =>
    items.map((s) => ({ name: s.metadata?.name ?? '', namespace: s.metadata?.namespace ?? '', ports: (s.spec?.ports ?? []).map((x) => x.port) }));
  try {
    const all = await p.api.core.listServiceForAllNamespaces({ limit: 2000 });
    return { nearMisses: nearMisses(wanted, toSeen(all.items), port) };
  } catch {
    try {
      const some = await p.api.core.listNamespacedService({ namespace: wanted.namespace, limit: 2000 });
      return { nearMisses: nearMisses(wanted, toSeen(some.items), port), servicesUnread: `only namespace ${wanted.namespace} was compared (this user may not list Services cluster-wide)` };
    } catch (e) {
      return { servicesUnread: `the Services could not be listed to suggest a name (${(e as { code?: number }).code ?? (e as Error).message})` };
    }
  }
}

export default defineProbe({
  name: 'pg-connect',
  fact: 'probe.pg-connect',
  proves: 'that a pod on Coder\'s control-plane nodes resolves the database host, reaches it and logs in with Coder\'s settings',
  needs: (ns) => pgLoginNeeds(ns),
  async run(p: ProbeContext): Promise<PgConnectProbeResult> {
    const t = p.collect.target;
    const placement = t.deployment.controlPlane;
    const base = { placement: placementWords(placement, 'control-plane'), namespace: t.namespace };
    const pg = t.postgres;
    if (pg.state !== 'configured') return { ...base, problem: 'no database is configured to connect to' };
    const target = databaseTarget(pg.settings);
    const { login, pod, missingFiles } = await pgLogin(p.session, pg.settings);
    const args: PgConnectArgs = { nonce: p.nonce(), timeoutMs: PG_CONNECT_TIMEOUT_MS, ...login };
    const r = await runProbePod<PgConnectResult>(
      p,
      {
        name: `pg-connect-${p.nonce()}`,
        probe: 'pg-connect',
        role: 'client',
        mode: 'pg-connect',
        args: args as unknown as Record<string, unknown> & { nonce: string },
        ...pod,
        // A bare name (or name.namespace) resolves for Coder in its own namespace: search it too.
        dnsSearches: [`${t.namespace}.svc.cluster.local`],
        ...(placement ? { placement } : {}),
        deadlineSeconds: p.podDeadlineSeconds(),
      },
      p.budgetMs(),
    );
    const node = r.node?.name;
    const result = r.report?.ok ? r.report.result : undefined;
    const problem = runProblem(r, 'the probe pod could not try');
    const dnsFailed = result?.failure?.cause === 'dns' || (result?.dns && 'code' in result.dns);
    const similar = dnsFailed ? await similarServices(p, pg.settings.host, t.namespace, pg.settings.port) : {};
    return { ...base, target: target.what, ...(node ? { node } : {}), ...(problem ? { problem } : {}), ...(result ? { result } : {}), ...(missingFiles.length ? { missingFiles } : {}), ...similar };
  },
});
