// helm install fails half way, or installs a Deployment whose Pods never appear, when the cluster's
// admission refuses what the chart creates: Pod Security (a namespace labelled enforce=restricted
// refuses the chart's default Pod: its securityContext drops no capabilities), ResourceQuota,
// LimitRange, ValidatingAdmissionPolicy, webhooks. The API server's own server-side dry-run decides
// (design.md, "Oracles over our own reading"); Coder's chart values.yaml coder.securityContext.
import { defineCheck } from '../../src/engine/define.ts';
import type { EvidenceValue } from '../../src/engine/types.ts';
import type { ChartObjectsFact } from '../../src/facts/chart/objects.ts';
import type { AdmissionFact, AdmissionObjectFact, AdmissionNamespaceFact } from '../../src/facts/kubernetes/admission.ts';
import { parseQuantity } from '../../src/kubernetes/quantity.ts';

const MECHANISM: Record<string, string> = {
  'pod-security': 'Pod Security admission',
  'resource-quota': 'ResourceQuota',
  'limit-range': 'LimitRange',
  'validating-admission-policy': 'ValidatingAdmissionPolicy',
  webhook: 'admission webhook',
  schema: 'strict field validation',
  validation: 'API validation',
  'service-account': 'ServiceAccount admission',
  'namespace-lifecycle': 'NamespaceLifecycle',
  'helm-ownership': 'Helm release ownership',
  other: 'the API server',
};

const where = (o: AdmissionObjectFact) => `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`;
const label = (o: AdmissionObjectFact) => `${where(o)}${o.of ? ` (the Pod of ${o.of})` : o.origin === 'workspace' ? ' (sample workspace)' : ''}`;
const by = (o: AdmissionObjectFact) => (o.outcome === 'kind-not-served' ? 'not served by this cluster' : `${MECHANISM[o.mechanism ?? 'other']}${o.policy ? ` ${o.policy}` : ''}${o.binding ? ` (binding ${o.binding})` : ''}`);
const uniq = <T>(xs: T[]) => [...new Set(xs)];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The chart's Coder container (Deployment → container "coder") as rendered. */
function coderContainer(chart: ChartObjectsFact | undefined, o: AdmissionObjectFact): Obj | undefined {
  if (!chart || chart.source !== 'values' || !o.of) return undefined;
  const m = /^Deployment (?:[^/]+)\/(.+)$/.exec(o.of);
  const d = m && chart.objects.find((x) => x.kind === 'Deployment' && x.metadata.name === m[1]);
  const containers = d && (((d.spec as Obj | undefined)?.template as Obj | undefined)?.spec as Obj | undefined)?.containers;
  return Array.isArray(containers) ? (containers.find((c) => isObj(c) && c.name === 'coder') as Obj | undefined) : undefined;
}

/** The rendered securityContext in words (what the chart sets, and what it does not). */
export function describeSecurityContext(sc: unknown): string {
  if (!isObj(sc)) return 'none';
  const flat: string[] = [];
  const walk = (v: unknown, path: string) => {
    if (isObj(v)) for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
    else flat.push(`${path}=${JSON.stringify(v)}`);
  };
  walk(sc, '');
  if (!isObj(sc.capabilities)) flat.push('capabilities not set');
  return flat.join(', ');
}

/** PSA restricted's requirements named in a denial, as the values keys that satisfy them for the chart's Coder container. */
const PSA_VALUES: { match: RegExp; key: string; field: string }[] = [
  { match: /unrestricted capabilities|capabilities\.drop/, key: 'coder.securityContext.capabilities.drop: ["ALL"]', field: 'capabilities' },
  { match: /allowPrivilegeEscalation/, key: 'coder.securityContext.allowPrivilegeEscalation: false', field: 'allowPrivilegeEscalation' },
  { match: /runAsNonRoot/, key: 'coder.securityContext.runAsNonRoot: true', field: 'runAsNonRoot' },
  { match: /seccompProfile/, key: 'coder.securityContext.seccompProfile.type: RuntimeDefault', field: 'seccompProfile' },
  { match: /runAsUser=0/, key: 'coder.securityContext.runAsUser: 1000', field: 'runAsUser' },
  { match: /privileged/, key: 'coder.securityContext.privileged: false', field: 'privileged' },
  { match: /capabilities \(container "[^"]+" must not include/, key: 'no coder.securityContext.capabilities.add beyond NET_BIND_SERVICE', field: 'capabilities.add' },
];

/** What a PSA denial asks of each container, from its message: `must set securityContext.x=y` clauses. */
export function psaRequirements(message: string): string[] {
  const clauses = message.replace(/^.*violates PodSecurity "[^"]+":\s*/, '');
  return uniq([...clauses.matchAll(/must (?:set|not set|not include|use)[^)]*/g)].map((m) => m[0].replace(/^must set /, 'set ')));
}

function psaFix(o: AdmissionObjectFact, chart: ChartObjectsFact | undefined): string {
  const msg = o.message ?? '';
  const level = o.policy ?? 'restricted';
  const relabel = `or give namespace ${o.namespace} a Pod Security level that admits it (pod-security.kubernetes.io/enforce=baseline)`;
  if (o.origin === 'workspace') {
    return `workspaces in namespace ${o.namespace}: Coder's example Kubernetes template is refused by Pod Security ${level}; a template for this namespace must ${psaRequirements(msg).join(', ') || 'meet that level'} in its pod and container securityContext, ${relabel}`;
  }
  const coder = coderContainer(chart, o);
  if (coder) {
    const clauses = msg.replace(/^.*violates PodSecurity "[^"]+":\s*/, '');
    const keys = PSA_VALUES.filter((p) => p.match.test(clauses)).map((p) => p.key);
    const others = [...clauses.matchAll(/containers? "([^"]+)"/g)].map((m) => m[1]!).filter((n) => n !== 'coder');
    const lacks = PSA_VALUES.filter((p) => p.match.test(clauses)).map((p) => p.field);
    return `the chart renders the coder container's securityContext as ${describeSecurityContext(coder.securityContext)} — it lacks ${uniq(lacks).join(', ') || 'what the message names'}: add ${uniq(keys).join(', ') || 'what the message names'} to the values (Helm merges it with the chart's defaults)${others.length ? `; containers ${uniq(others).join(', ')} (coder.initContainers, extra containers) need the same in their own securityContext` : ''}, ${relabel}`;
  }
  return `set what Pod Security ${level} asks (${psaRequirements(msg).join(', ') || msg}) in ${o.of ?? where(o)}'s pod and container securityContext, ${relabel}`;
}

/** The fix for one denial, by mechanism. */
export function remedyFor(o: AdmissionObjectFact, chart?: ChartObjectsFact): string {
  const msg = o.message ?? '';
  const ns = o.namespace ?? '';
  const ws = o.origin === 'workspace';
  const resources = ws ? 'make templates for this namespace request less' : 'set coder.resources to fit';
  switch (o.outcome === 'kind-not-served' ? 'kind-not-served' : o.mechanism) {
    case 'pod-security':
      return psaFix(o, chart);
    case 'resource-quota': {
      const must = /must specify ([^\s;]+(?:,\s*[^\s;]+)*?)(?: for:|$|;)/.exec(msg)?.[1];
      if (must) {
        return ws
          ? `ResourceQuota ${o.policy} in ${ns} needs every Pod to set ${must}: templates for this namespace must set it (Coder's example does), or add a LimitRange with defaults`
          : `ResourceQuota ${o.policy} in ${ns} needs every Pod to set ${must}: set it in coder.resources (e.g. coder.resources.${must.split(/,\s*/)[0]}), or add a LimitRange that defaults it`;
      }
      return `raise ResourceQuota ${o.policy} in ${ns} (kubectl -n ${ns} edit resourcequota ${o.policy}) or ${resources}`;
    }
    case 'limit-range':
      return `${ws ? 'templates for this namespace must fit' : 'set coder.resources within'} the LimitRange of ${ns} (kubectl -n ${ns} get limitrange -o yaml), or change the LimitRange`;
    case 'validating-admission-policy':
      return `ValidatingAdmissionPolicy ${o.policy} (binding ${o.binding}) refuses it: change the ${ws ? 'templates' : 'values'} so it passes (its message says what), or ask the cluster administrator to exclude namespace ${ns} from binding ${o.binding}`;
    case 'webhook':
      return `the admission webhook ${o.policy} refuses it: its message says why; change the ${ws ? 'templates' : 'values'}, or ask whoever runs it (kubectl get validatingwebhookconfigurations,mutatingwebhookconfigurations)`;
    case 'schema':
      return `remove or correct the field the API does not know (${msg.replace(/^.*strict decoding error: /, '')}): helm install refuses it too`;
    case 'validation':
      return `fix the ${ws ? 'template' : 'values'}: the API server finds ${where(o)} invalid${o.causes?.length ? ` (${o.causes.map((c) => c.field ?? c.message).filter(Boolean).join(', ')})` : ''}`;
    case 'service-account':
      return `the Pods run as a ServiceAccount that does not exist and the chart does not create: create it in ${ns}, or let the chart create it (coder.serviceAccount.disableCreate: false)`;
    case 'namespace-lifecycle':
      return `namespace ${ns} is being deleted: wait until it is gone, then create it again`;
    case 'helm-ownership':
      return `${where(o)} exists and belongs to no release of this name: delete it, or let helm adopt it (kubectl -n ${ns} annotate ${o.kind.toLowerCase()} ${o.name} meta.helm.sh/release-name=<release> meta.helm.sh/release-namespace=${ns} and label it app.kubernetes.io/managed-by=Helm)`;
    case 'kind-not-served':
      return `install what serves ${o.kind} (${o.apiVersion}: its CRD or operator) before helm install, or remove it from the ${o.origin === 'chart' ? 'values (extraTemplates) or manifests' : 'objects'}`;
    default:
      return `see the API server's message for ${where(o)}`;
  }
}

// ---------------------------------------------------------------------------------------------
// The sum over replicas: a dry-run judges one Pod against what the quota has used so far.

const COMPUTE = new Set(['cpu', 'memory', 'ephemeral-storage']);
function usageFor(key: string, usage: Record<string, number>): number | undefined {
  if (key === 'pods' || key === 'count/pods') return usage.pods ?? 1;
  if (COMPUTE.has(key)) return usage[`requests.${key}`] ?? 0;
  if (/^(requests|limits)\./.test(key) && key !== 'requests.storage') return usage[key] ?? 0;
  return undefined;
}

export function formatQuantity(key: string, v: number): string {
  if (/pods$/.test(key)) return String(Math.round(v));
  if (/cpu$/.test(key)) return Number.isInteger(v) ? String(v) : `${Math.round(v * 1000)}m`;
  if (/memory$|storage$/.test(key)) {
    const gi = v / 2 ** 30;
    return gi >= 1 && Number.isInteger(Math.round(gi * 100) / 100) ? `${Math.round(gi * 100) / 100}Gi` : `${Math.round((v / 2 ** 20) * 10) / 10}Mi`;
  }
  return String(v);
}

interface Shortfall {
  namespace: string;
  quota: string;
  text: string;
}

function quotaShortfalls(f: AdmissionFact): { short: Shortfall[]; unknown: string[]; upgrades: string[] } {
  const short: Shortfall[] = [];
  const unknown: string[] = [];
  const upgrades: string[] = [];
  for (const ns of f.namespaces) {
    const pods = f.objects.filter((o) => o.origin === 'pod' && o.namespace === ns.name && o.outcome === 'admitted' && o.quotaUsage);
    const counted = pods.filter((p) => {
      const w = f.objects.find((o) => o.origin === 'chart' && p.of === `${o.kind} ${o.namespace}/${o.name}`);
      if (w?.exists) upgrades.push(`${p.of} exists already: its Pods are in the quota's use`);
      return !w?.exists;
    });
    const total = counted.reduce((a, p) => a + (p.replicas ?? 1), 0);
    if (total <= 1) continue;
    if (!ns.quotas) {
      if (ns.quotaError) unknown.push(ns.quotaError);
      continue;
    }
    for (const q of ns.quotas) {
      if (q.scoped) continue;
      for (const [key, hardText] of Object.entries(q.hard)) {
        const perPods = counted.map((p) => ({ p, v: usageFor(key, p.quotaUsage!) }));
        if (perPods.some((x) => x.v === undefined)) continue;
        const need = perPods.reduce((a, x) => a + x.v! * (x.p.replicas ?? 1), 0);
        const used = parseQuantity(q.used[key] ?? '0');
        const hard = parseQuantity(hardText);
        if (!Number.isFinite(hard) || !Number.isFinite(used)) continue;
        if (used + need > hard * (1 + 1e-9) + 1e-9) {
          const who = perPods.map((x) => `${x.p.replicas ?? 1} × ${formatQuantity(key, x.v!)} (${x.p.of})`).join(' + ');
          short.push({ namespace: ns.name, quota: q.name, text: `ResourceQuota ${ns.name}/${q.name} has no room for all of the chart's Pods: they need ${key}=${formatQuantity(key, need)} (${who}), with ${formatQuantity(key, used)} of ${formatQuantity(key, hard)} used already (each Pod alone is admitted; the ones beyond the quota are never created)` });
        }
      }
    }
  }
  return { short, unknown, upgrades: uniq(upgrades) };
}

// ---------------------------------------------------------------------------------------------

const GROUP = (g: string) => (g === '' ? '""' : g);
/** The Role rules that grant what was forbidden, per namespace. */
export function grantingRules(forbidden: readonly AdmissionObjectFact[]): string {
  const byNs = new Map<string, Map<string, Map<string, Set<string>>>>();
  for (const o of forbidden) {
    const p = o.permission;
    if (!p) continue;
    const ns = p.namespace ?? o.namespace ?? '(cluster)';
    const groups = byNs.get(ns) ?? new Map<string, Map<string, Set<string>>>();
    byNs.set(ns, groups);
    const verbs = groups.get(p.group) ?? new Map<string, Set<string>>();
    groups.set(p.group, verbs);
    verbs.set(p.verb, (verbs.get(p.verb) ?? new Set()).add(p.resource));
  }
  return [...byNs.entries()]
    .map(([ns, groups]) => {
      const rules = [...groups.entries()].flatMap(([g, verbs]) => [...verbs.entries()].map(([verb, res]) => `{apiGroups: [${GROUP(g)}], resources: [${[...res].sort().join(', ')}], verbs: [${verb}]}`));
      return `${ns === '(cluster)' ? 'a ClusterRole' : `a Role in ${ns}`} with rules ${rules.join(', ')}`;
    })
    .join('; ');
}

const nsState = (n: AdmissionNamespaceFact) => `${n.name} (${n.purposes.length ? n.purposes.join(', ') : 'objects of the manifests'}): ${n.exists === false ? `does not exist${n.createdByManifests ? ' (the manifests create it)' : ''}` : n.exists ? 'exists' : 'not known'}`;

function outcomeText(o: AdmissionObjectFact): string {
  switch (o.outcome) {
    case 'admitted':
      return `${label(o)}: admitted${o.notes?.some((n) => n.startsWith('inferred')) ? ' (inferred)' : ''}`;
    case 'denied':
    case 'kind-not-served':
      return `${label(o)}: ${o.outcome === 'denied' ? 'denied by ' : ''}${by(o)} (HTTP ${o.httpStatus ?? '-'})`;
    case 'forbidden':
      return `${label(o)}: forbidden (may not ${o.permission?.verb} ${o.permission?.resource})`;
    default:
      return `${label(o)}: ${o.outcome}${o.httpStatus ? ` (HTTP ${o.httpStatus})` : ''}`;
  }
}

export default defineCheck({
  id: 'kubernetes.admission-dry-run',
  title: "The cluster's admission accepts what the chart creates",
  category: 'kubernetes',
  facts: ['kubernetes.admission', 'chart.objects'],
  docs: 'https://coder.com/docs/install/kubernetes',
  explain: {
    what: "Sends every object the chart will create (rendered from --values, or read from --manifests), the Pod each of its workloads creates, and a sample workspace Pod and PVC shaped like Coder's example Kubernetes template (to each workspace namespace) to the API server as a server-side dry-run (dryRun=All, fieldValidation=Strict): every admission plugin, policy and webhook judges them and nothing is persisted. Denials are named by mechanism (Pod Security, ResourceQuota, LimitRange, ValidatingAdmissionPolicy, webhook, schema) with the API server's message; the quota is also summed over all replicas. The Pods are sent by the user running this check; their controllers send them as their own ServiceAccounts, so a policy that looks at the requesting user may judge those differently.",
    why: "helm install stops at the first object the API server refuses, and a Deployment is accepted even when its Pods are not: Pod Security, quotas and LimitRanges judge Pods, so the ReplicaSet fails to create them and Coder never starts (kubectl get events shows it). A namespace labelled pod-security.kubernetes.io/enforce=restricted refuses the chart's default Pod: its securityContext drops no capabilities.",
    fix: 'Per mechanism: Pod Security restricted: add coder.securityContext.capabilities.drop: ["ALL"] (and what else the message names) to the values; ResourceQuota: raise the quota or set coder.resources; LimitRange: fit coder.resources within it; ValidatingAdmissionPolicy/webhook: change the values as its message says, or have the namespace excluded. Create the namespace first to check it. A forbidden answer is the user\'s RBAC: grant create on the resources named.',
  },
  evaluate({ 'kubernetes.admission': f, 'chart.objects': chart }) {
    const objs = f.objects;
    const refused = (o: AdmissionObjectFact) => o.outcome === 'denied' || o.outcome === 'kind-not-served';
    const chartDenied = objs.filter((o) => o.origin !== 'workspace' && refused(o));
    const wsDenied = objs.filter((o) => o.origin === 'workspace' && refused(o));
    const forbidden = objs.filter((o) => o.outcome === 'forbidden');
    const errors = objs.filter((o) => o.outcome === 'error');
    const undecidable = objs.filter((o) => o.outcome === 'undecidable');
    const missing = f.namespaces.filter((n) => n.exists === false);
    const notSent = objs.filter((o) => o.outcome === 'namespace-missing');
    const quota = quotaShortfalls(f);
    const admitted = objs.filter((o) => o.outcome === 'admitted');

    const notes = uniq(objs.flatMap((o) => (o.notes ?? []).map((n) => `${where(o)}: ${n}`)));
    const warnings = uniq(objs.flatMap((o) => (o.warnings ?? []).map((w) => `${where(o)}: ${w}`)));
    const coderPod = objs.find((o) => o.origin === 'pod' && coderContainer(chart, o));
    const coder = coderPod && coderContainer(chart, coderPod);
    const evidence: Record<string, EvidenceValue> = {
      source: `${f.source === 'values' ? 'values file' : 'manifests'} ${f.file}`,
      release: `${f.releaseName} in ${f.releaseNamespace}`,
      namespaces: f.namespaces.map(nsState),
      workspaceNamespaces: f.workspaceNamespaces,
      workspaceNamespacesFrom: f.workspaceNamespacesFrom,
      objects: objs.map(outcomeText),
      sent: objs.filter((o) => o.httpStatus !== undefined).length,
      admitted: admitted.length,
      ...(coder ? { coderSecurityContext: describeSecurityContext(coder.securityContext) } : {}),
      denials: [...chartDenied, ...wsDenied, ...undecidable, ...errors].map((o) => `${where(o)}: ${o.message ?? o.outcome}`),
      ...(quota.short.length ? { quotaShortfalls: quota.short.map((s) => s.text) } : {}),
      ...(warnings.length ? { warnings } : {}),
      ...(notes.length ? { notes } : {}),
      ...(f.skipped.length ? { skipped: f.skipped } : {}),
      sampleWorkspace: "Coder's example template examples/templates/kubernetes/main.tf (v2.30.0)",
    };

    if (chartDenied.length || quota.short.length) {
      const parts = [...chartDenied.map((o) => `${label(o)} — ${by(o)}: ${o.message ?? ''}`), ...quota.short.map((s) => s.text)];
      const extra = [...(wsDenied.length ? [`the sample workspace is refused too (${wsDenied.map((o) => `${where(o)}: ${by(o)}`).join('; ')})`] : []), ...(forbidden.length ? [`and ${forbidden.length} object(s) the user may not create`] : [])];
      return {
        status: 'fail',
        summary: `The cluster would refuse what helm install creates: ${parts.join('; ')}${extra.length ? `; ${extra.join('; ')}` : ''}`,
        remediation: uniq([
          ...chartDenied.map((o) => remedyFor(o, chart)),
          ...quota.short.map((s) => `raise ResourceQuota ${s.quota} in ${s.namespace}, or lower coder.replicaCount or coder.resources`),
          ...wsDenied.map((o) => remedyFor(o, chart)),
        ]).join('; '),
        evidence,
      };
    }
    if (forbidden.length || errors.length) {
      const perm = (o: AdmissionObjectFact) => `${o.permission?.verb} ${o.permission?.resource}${o.permission?.group ? `.${o.permission.group}` : ''}${o.permission?.namespace ? ` in ${o.permission.namespace}` : ''}`;
      // helm install creates the chart's objects; the Pods and the sample workspace are created by
      // controllers and by Coder: the user needs create on them only for this dry-run to judge them.
      const forInstall = uniq(forbidden.filter((o) => o.origin === 'chart').map(perm));
      const forJudging = uniq(forbidden.filter((o) => o.origin !== 'chart').map(perm)).filter((p) => !forInstall.includes(p));
      const unjudged = forbidden.filter((o) => o.origin !== 'chart').map(where);
      const said = [
        ...(forInstall.length ? [`the user may not ${forInstall.join(', ')}, which helm install does (403 from RBAC, not admission)`] : []),
        ...(unjudged.length ? [`${unjudged.join(', ')} could not be judged: ${forJudging.length ? `the dry-run needs ${forJudging.join(', ')}` : 'the same permissions are missing'}${forInstall.length ? '' : ' (helm install itself does not create them: a controller and Coder do)'}`] : []),
        ...errors.map((o) => `${where(o)}: ${o.message ?? `HTTP ${o.httpStatus}`}`),
      ];
      return {
        status: 'error',
        summary: `${forbidden.length ? 'Admission could not judge what the chart creates' : 'The API server did not judge everything'}: ${said.join('; ')}`,
        remediation: forbidden.length
          ? `run with the kubeconfig that will run helm install, or grant this user ${grantingRules(forbidden)}${forbidden.some((o) => o.permission?.verb === 'escalate' || o.permission?.verb === 'bind') ? ' (escalate/bind: or let the user hold every permission the Role grants)' : ''}`
          : 'run again; if it persists, look at the API server (and any webhook it calls)',
        evidence,
      };
    }
    const warns: string[] = [];
    const fixes: string[] = [];
    if (missing.length) {
      warns.push(`${missing.map((n) => `namespace ${n.name}`).join(' and ')} ${missing.length > 1 ? 'do' : 'does'} not exist yet, so ${notSent.length} object(s) could not be dry-run there${missing.some((n) => n.createdByManifests) ? ' (the manifests create it)' : ' (helm install --create-namespace would create it)'}`);
      fixes.push(`create ${missing.map((n) => n.name).join(', ')} first (kubectl create namespace …) with the labels it will have (pod-security.kubernetes.io/enforce…), its quotas and policies, and run again: its admission decides what Coder may create there`);
    }
    if (wsDenied.length) {
      warns.push(`the chart's objects are admitted, but a workspace like Coder's example Kubernetes template would be refused: ${wsDenied.map((o) => `${where(o)} — ${by(o)}: ${o.message ?? ''}`).join('; ')}`);
      fixes.push(...wsDenied.map((o) => remedyFor(o, chart)));
    }
    if (undecidable.length) {
      warns.push(`a dry-run cannot decide ${undecidable.map((o) => `${where(o)} (${o.notes?.[0] ?? o.message ?? 'no reason given'})`).join('; ')}`);
      fixes.push(
        ...undecidable.map((o) =>
          o.mechanism === 'webhook'
            ? `the webhook ${o.policy} refuses dry-run requests (sideEffects not None): ask its owner to declare sideEffects: None, or check with a real install in a scratch namespace`
            : /Binding$/.test(o.kind)
              ? `let the user bind the Role (verb bind on roles) or hold every permission it grants; the kubernetes.rbac check tells what the user may do`
              : `install the CRDs first, then run again`,
        ),
      );
    }
    if (quota.unknown.length) {
      warns.push(`the ResourceQuotas could not be read, so the sum over replicas is not checked: ${quota.unknown.join('; ')}`);
      fixes.push('let the user list resourcequotas in the namespace, or check the quota by hand (kubectl describe resourcequota)');
    }
    if (warns.length) return { status: 'warn', summary: warns.join('; '), remediation: uniq(fixes).join('; '), evidence };
    const sampled = objs.filter((o) => o.origin === 'workspace');
    return {
      status: 'pass',
      summary: `The API server's dry-run admits all ${admitted.length} objects: ${objs.filter((o) => o.origin === 'chart').length} of the chart, ${objs.filter((o) => o.origin === 'pod').length} workload Pod(s) and the sample workspace in ${uniq(sampled.map((o) => o.namespace)).join(', ')}${quota.upgrades.length ? ` (${quota.upgrades.join('; ')})` : ''}`,
      evidence,
    };
  },
});
