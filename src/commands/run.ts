// `run` (the default command): resolve what to check, gather facts (live, or from a snapshot),
// judge, write every requested output, and return the exit code.
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { assertWritable, parseDuration, parseOutputs, parseReplicas, parseUsers, parseSelectorFlag, useColor, type Io, type Values } from '../cli/options.ts';
import { NO_PLACEMENT } from '../kubernetes/scheduling.ts';
import { startSpinner, wantsSpinner, type Progress } from '../cli/spinner.ts';
import { exitCodeFor, type FailOn } from '../engine/exit.ts';
import { resolveOptions, validateOverrides, withOverride, type OptionOverrides, type ResolvedOptions } from '../engine/options.ts';
import { runChecks } from '../engine/run.ts';
import { selectChecks } from '../engine/select.ts';
import type { AnyCheck, CheckResult, Deployment, Profile } from '../engine/types.ts';
import { ConfigError, EXIT, errorMessage } from '../errors.ts';
import { readSnapshot, SNAPSHOT_FORMAT, SNAPSHOT_KIND, SnapshotFactSource, type FactSnapshot } from '../facts/snapshot.ts';
import { ATTACHMENTS_RESOURCE, BundleAttachments } from '../bundle/attachments.ts';
import { FactStore } from '../facts/store.ts';
import type { FactSource } from '../facts/types.ts';
import { profileFromVersion } from '../inputs/profile.ts';
import { resolveTarget } from '../inputs/resolve.ts';
import { askHidden, canAsk } from '../cli/prompt.ts';
import { Redactor } from '../redact.ts';
import { buildReport, describeTarget } from '../report/build.ts';
import type { Report, TargetDescription } from '../report/model.ts';
import { render } from '../report/renderers.ts';
import { VERSION } from '../version.ts';
import { probesOf } from '../probes/define.ts';
import { probeSettings, type ProbeSettings } from '../probes/settings.ts';
import type { CommandContext } from './context.ts';
import { redactingIo } from './redacting-io.ts';

/** Where this run's facts come from, and the context they are judged in. */
interface Session {
  facts: FactSource;
  profile: Profile;
  deployment: Deployment;
  vantage: string;
  target: TargetDescription;
  optionsFor(check: AnyCheck): ResolvedOptions;
  info: NonNullable<Report['facts']>;
  /** The checks the saved run ran (replays run those unless --check says otherwise). */
  checks?: readonly string[];
  /** When a fact's collector started, ms into the run (live runs). */
  startedAt?(id: string): number | undefined;
  /** True once Ctrl-C/SIGTERM stopped the run. */
  interrupted(): boolean;
  /** What the probes leave for the support bundle (live runs). */
  attachments?: BundleAttachments;
  /** The run's Kubernetes target is the in-cluster service account. */
  inCluster?: boolean;
  /** Replays: which coder-preflight gathered the facts, and when (saved again as they were). */
  gatheredBy?: Pick<FactSnapshot, 'tool' | 'savedAt'>;
  close(): Promise<void>;
}

function selectors(values: Values): { controlPlaneSelector?: Record<string, string>; workspaceSelector?: Record<string, string> } {
  return {
    ...(values['control-plane-selector'] !== undefined ? { controlPlaneSelector: parseSelectorFlag('control-plane-selector', values['control-plane-selector']) } : {}),
    ...(values['workspace-selector'] !== undefined ? { workspaceSelector: parseSelectorFlag('workspace-selector', values['workspace-selector']) } : {}),
  };
}

function parseFailOn(v: string): FailOn {
  if (v !== 'warn' && v !== 'fail') throw new ConfigError(`--fail-on ${v} is not warn or fail`, 'use --fail-on warn to gate on warnings');
  return v;
}

async function liveSession(values: Values, io: Io, c: CommandContext, redactor: Redactor, overrides: OptionOverrides | undefined, timeoutMs: number, probeWith?: ProbeSettings): Promise<Session> {
  const target = await resolveTarget({
    kubeconfig: values.kubeconfig,
    context: values.context,
    namespace: values.namespace,
    postgresUrl: values['postgres-url'],
    ...(values['password-file'] !== undefined ? { passwordFile: values['password-file'] } : {}),
    ...(canAsk(values, io) ? { askPassword: (q: string) => askHidden(q, io) } : {}),
    values: values.values,
    ...(values.manifests !== undefined ? { manifests: values.manifests } : {}),
    ...(values['release-name'] !== undefined ? { releaseName: values['release-name'] } : {}),
    coderVersion: values['coder-version'],
    ...(values.replicas !== undefined ? { replicas: parseReplicas(values.replicas) } : {}),
    ...selectors(values),
    access: {
      ...(values['access-url'] !== undefined ? { accessUrl: values['access-url'] } : {}),
      ...(values['wildcard-access-url'] !== undefined ? { wildcardAccessUrl: values['wildcard-access-url'] } : {}),
      ...(values['ca-bundle'] !== undefined ? { caBundle: values['ca-bundle'] } : {}),
      ...(values['upgrade-url'] !== undefined ? { upgradeUrl: values['upgrade-url'] } : {}),
    },
    env: io.env,
    redactor,
  });
  // --active/--probe: the run's probes, their scratch namespace and the disposer that removes it (in close()).
  const probes = probeWith
    ? new (await import('../probes/session.ts')).ProbeSession({
        settings: probeWith,
        timeoutMs,
        ...(values.debug ? { debug: (l: string) => io.stderr.write(`debug: ${l}\n`) } : {}),
        warn: (l: string) => io.stderr.write(`${l}\n`),
      })
    : undefined;
  if (probes) target.probes = probes;
  const abort = new AbortController();
  const deadline = setTimeout(() => abort.abort(new Error('timeout')), timeoutMs);
  deadline.unref();
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(EXIT.interrupted);
    interrupted = true;
    io.stderr.write('\ncoder-preflight: interrupted — stopping and cleaning up (Ctrl-C again to quit at once)\n');
    abort.abort(new Error('interrupted'));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const store = new FactStore({ collectors: c.collectors, target, redactor, signal: abort.signal });
  // The probe layer adds its events and pod logs here (attachmentsFor(ctx.resources)); --bundle writes them.
  const attachments = new BundleAttachments();
  void store.resources.use(ATTACHMENTS_RESOURCE, async () => attachments);
  return {
    facts: store,
    profile: target.profile,
    deployment: { ...target.deployment, ...(values.users !== undefined ? { users: parseUsers(values.users) } : {}) },
    vantage: target.vantage,
    target: describeTarget(target),
    optionsFor: (check) => resolveOptions(check, target.profile, overrides),
    info: { source: 'live' },
    attachments,
    inCluster: target.kube.configured && target.kube.target.inCluster,
    startedAt: (id) => store.startedAt.get(id),
    interrupted: () => interrupted,
    async close() {
      clearTimeout(deadline);
      // Keep listening while the clients close: a second Ctrl-C during the cleanup quits at once.
      try {
        // The probes' objects first, while the Kubernetes client is still open.
        await probes?.dispose();
        await store.resources.closeAll();
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    },
  };
}

/** What a replay's report says about where its facts came from: another version, hosts replaced. */
function replayNote(savedBy: string, hostsRedacted: boolean): { note?: string } {
  const notes = [
    ...(savedBy !== VERSION ? [`facts gathered by coder-preflight ${savedBy}, judged by ${VERSION}: checks that changed since may judge differently`] : []),
    ...(hostsRedacted ? ['the bundle was written with --redact-hosts: host names and addresses are placeholders, so checks that look at what a host is (an IP literal, a private range) may judge differently'] : []),
  ];
  return notes.length ? { note: notes.join('; ') } : {};
}

/** Flags that say what to connect to mean nothing when replaying saved facts. */
const TARGET_FLAGS = ['kubeconfig', 'context', 'namespace', 'postgres-url', 'password-file', 'values', 'manifests', 'release-name', 'access-url', 'wildcard-access-url', 'ca-bundle', 'upgrade-url', 'active', 'probe', 'probe-image', 'probe-pull-secret', 'probe-registry', 'egress-endpoint'] as const;

function replaySession(values: Values, file: string, overrides: OptionOverrides | undefined, from: { flag: '--from-facts' | '--from-bundle'; snapshot: FactSnapshot; source: 'snapshot' | 'bundle'; hostsRedacted?: boolean } | undefined = undefined): Session {
  const flag = from?.flag ?? '--from-facts';
  const given = TARGET_FLAGS.find((f) => values[f] !== undefined);
  if (given) throw new ConfigError(`--${given} has no effect with ${flag}: the facts were gathered already`, `drop it, or run live without ${flag} (--coder-version, --replicas and the node selectors may re-judge saved facts)`);
  const snap = from?.snapshot ?? readSnapshot(file);
  const profile = values['coder-version'] ? profileFromVersion(values['coder-version']) : snap.context.profile;
  const deployment: Deployment = { ...snap.context.deployment };
  if (values.replicas !== undefined) Object.assign(deployment, { replicas: parseReplicas(values.replicas), replicasSource: '--replicas' });
  if (values.users !== undefined) deployment.users = parseUsers(values.users);
  const sel = selectors(values);
  if (sel.controlPlaneSelector) deployment.controlPlane = { ...NO_PLACEMENT, tolerations: deployment.controlPlane?.tolerations ?? [], nodeSelector: sel.controlPlaneSelector, source: '--control-plane-selector' };
  if (sel.workspaceSelector) deployment.workspaces = { ...NO_PLACEMENT, nodeSelector: sel.workspaceSelector, source: '--workspace-selector' };
  const rejudge = values['coder-version'] !== undefined;
  return {
    facts: new SnapshotFactSource(snap.facts, file),
    profile,
    deployment,
    vantage: snap.context.vantage,
    target: snap.context.target as TargetDescription,
    // Exactly as the run that saved them judged, unless asked to re-judge for another Coder.
    optionsFor: (check) => {
      const saved = snap.context.options[check.id];
      return saved && !rejudge ? withOverride(saved, check.id, overrides) : resolveOptions(check, profile, overrides);
    },
    info: {
      source: from?.source ?? 'snapshot',
      file,
      savedAt: snap.savedAt,
      savedBy: snap.tool.version,
      ...replayNote(snap.tool.version, from?.hostsRedacted ?? false),
    },
    checks: snap.context.checks,
    gatheredBy: { tool: snap.tool, savedAt: snap.savedAt },
    interrupted: () => false,
    close: async () => {},
  };
}

export async function run(values: Values, rawIo: Io, c: CommandContext): Promise<number> {
  const redactor = new Redactor({ hosts: values['redact-hosts'] ?? false });
  // The checks' documentation links are not the user's hosts.
  redactor.keepHosts(c.checks.flatMap((x) => (URL.canParse(x.docs) ? [new URL(x.docs).hostname] : [])));
  // Every byte to stdout and stderr goes through the redactor, and so does the message of an error that ends the run.
  const io = redactingIo(rawIo, redactor);
  try {
    return await runWith(values, io, c, redactor);
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(redactor.redact(e.message, 'stderr'), e.hint !== undefined ? redactor.redact(e.hint, 'stderr') : undefined);
    if (e instanceof Error) {
      e.message = redactor.redact(e.message, 'stderr');
      if (e.stack) e.stack = redactor.redact(e.stack, 'stderr');
    }
    throw e;
  }
}

async function runWith(values: Values, io: Io, c: CommandContext, redactor: Redactor): Promise<number> {
  const startedAt = new Date();
  const started = performance.now();
  const outputs = parseOutputs(values.output);
  const failOn = parseFailOn(values['fail-on'] ?? c.config.failOn ?? 'fail');
  const timeoutMs = values.timeout ? parseDuration(values.timeout) : 60_000;
  const chosen = values.check ?? c.config.check;
  let selected = selectChecks(c.checks, chosen, values.skip ?? c.config.skip);
  const overrides = c.config.thresholds && c.config.file ? { file: c.config.file, byCheck: c.config.thresholds } : undefined;
  if (overrides) validateOverrides(c.checks, overrides);
  const saveTo = values['save-facts'];
  if (saveTo) assertWritable(saveTo, '--save-facts');
  const bundleTo = values.bundle;
  if (bundleTo) assertWritable(bundleTo, '--bundle');
  const fromBundle = values['from-bundle'];
  if (fromBundle && values['from-facts']) throw new ConfigError('--from-facts and --from-bundle both give the facts to judge', 'give one of them');
  const fromFacts = values['from-facts'] ?? fromBundle;
  const bundle = fromBundle ? (await import('../bundle/read.ts')).readBundle(fromBundle) : undefined;
  const session = fromBundle && bundle
    ? replaySession(values, fromBundle, overrides, { flag: '--from-bundle', snapshot: bundle.snapshot, source: 'bundle', hostsRedacted: bundle.meta.hostsRedacted === true })
    : fromFacts
      ? replaySession(values, fromFacts, overrides)
      : await liveSession(values, io, c, redactor, overrides, timeoutMs, probeSettings(values, c.config.probes, probesOf(c.collectors).map((x) => x.name), values.namespace ?? 'coder'));
  // --redact-hosts: the hosts of the target, and this machine's name, are known before anything is judged.
  if (redactor.hosts) {
    redactor.discoverHosts(JSON.stringify(session.target));
    redactor.addHost(fromFacts ? /^this machine \((.+)\)$/.exec(session.vantage)?.[1] : hostname(), 'the name of the machine coder-preflight ran on');
  }
  // A replay judges what the saved run judged, unless --check (or the config file) says otherwise.
  if (session.checks && !chosen) {
    const saved = new Set(session.checks);
    if (selected.some((x) => saved.has(x.id))) selected = selected.filter((x) => saved.has(x.id));
  }
  if (fromFacts && session.info.savedBy !== VERSION) io.stderr.write(`coder-preflight: replaying ${fromBundle ? 'a bundle written' : 'facts saved'} by coder-preflight ${session.info.savedBy} with ${VERSION}: checks that changed since may judge differently\n`);

  const stdoutFormat = outputs.find((o) => !o.file)?.format;
  const spinner: Progress | undefined = wantsSpinner(io, stdoutFormat, values.debug ?? false) ? await startSpinner(io, selected.length) : undefined;
  let results: CheckResult[];
  try {
    results = await runChecks({
      checks: selected,
      facts: session.facts,
      profile: session.profile,
      deployment: session.deployment,
      vantage: session.vantage,
      optionsFor: session.optionsFor,
      redactor,
      onStart: (x) => spinner?.started(x.id),
      onGathered: (x) => spinner?.done(x.id),
    });
  } finally {
    spinner?.stop();
    await session.close();
  }
  const gathered = await session.facts.snapshot();
  if (redactor.hosts) registerFactHosts(redactor, gathered);
  if (values.debug) {
    for (const [id, f] of Object.entries(gathered)) {
      const at = session.startedAt?.(id);
      io.stderr.write(`debug: fact ${id}: ${f.ok ? 'ok' : `${f.reason}: ${f.message}${f.causedBy ? ` (caused by ${f.causedBy})` : ''}`} (${at !== undefined ? `started +${at} ms, ` : ''}${f.durationMs} ms)\n`);
    }
  }
  // The facts every check saw, with the run's settings: --save-facts and the bundle's facts.json.
  const snapshot = (): FactSnapshot => ({
    kind: SNAPSHOT_KIND,
    formatVersion: SNAPSHOT_FORMAT,
    // A replay's facts are still the ones its source gathered: keep who gathered them and when.
    tool: session.gatheredBy?.tool ?? { name: 'coder-preflight', version: VERSION },
    savedAt: session.gatheredBy?.savedAt ?? new Date().toISOString(),
    context: {
      profile: session.profile,
      deployment: session.deployment,
      vantage: session.vantage,
      target: session.target,
      options: Object.fromEntries(selected.filter((x) => x.defaults).map((x) => [x.id, session.optionsFor(x)])),
      checks: selected.map((x) => x.id),
    },
    facts: gathered,
  });
  if (saveTo) writeOutput(saveTo, redactor.redact(`${JSON.stringify(redactor.redactValue(snapshot(), `file ${saveTo}`), null, 2)}\n`, `file ${saveTo}`));

  const exitCode = session.interrupted() ? EXIT.interrupted : exitCodeFor(results.map((r) => r.status), failOn);
  const report = redactor.redactValue(
    buildReport({
      startedAt,
      durationMs: performance.now() - started,
      profile: session.profile,
      target: session.target,
      results,
      order: selected,
      exitCode,
      facts: session.info,
      plugins: c.plugins.map((p) => ({ name: p.name, spec: p.spec })),
    }),
    'report',
  );
  const color = useColor(values, io.env, Boolean(io.stdout.isTTY));
  const opts = { width: io.stdout.columns, verbose: values.verbose ?? false, checks: c.checks };
  for (const o of outputs) {
    const text = render(o.format, report, { ...opts, color: o.file ? false : color });
    if (o.file) writeOutput(o.file, redactor.redact(text, `file ${o.file}`));
    else io.stdout.write(text);
  }
  if (!stdoutFormat) io.stdout.write(render('table', report, { ...opts, color }));
  if (bundleTo) {
    const { writeBundle } = await import('../bundle/write.ts');
    const written = writeBundle({ file: bundleTo, report, renderOptions: opts, snapshot: snapshot(), ...(session.attachments ? { attachments: session.attachments } : {}), argv: io.argv ?? process.argv.slice(2), env: io.env, inCluster: session.inCluster ?? false, redactor });
    io.stderr.write(`coder-preflight: wrote the support bundle ${bundleTo} (${(written.bytes / 1024).toFixed(1)} KiB: ${written.meta.files.length} files; redaction.json lists what was masked${redactor.hosts ? ', hosts replaced' : ''}); replay it with coder-preflight run --from-bundle ${bundleTo}\n`);
  }
  return exitCode;
}

/** --redact-hosts: the nodes' names are host names too (they are often the machines' DNS names). */
function registerFactHosts(redactor: Redactor, facts: Record<string, { ok: boolean; value?: unknown }>): void {
  const nodes = facts['kubernetes.nodes'];
  if (nodes?.ok) for (const n of (nodes.value as { items?: { name?: string }[] }).items ?? []) redactor.addHost(n.name, 'a node name');
  redactor.discoverHosts(JSON.stringify(facts));
}

function writeOutput(file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (e) {
    throw new ConfigError(`cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}`, 'choose a path you can write to');
  }
}
