// The probe layer's pure parts: the settings (flags, config, image through a mirror), the pod spec
// (restricted PSA, limits, placement, pinning), the access rules, reading the agent's report back,
// the traffic-safety guard — and the agent's modes themselves, on loopback and a temp dir.
import { mkdtempSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { collectors } from '../../src/facts/index.ts';
import { tcpClient } from '../../src/probes/agent/tcp-client.ts';
import { tcpServer } from '../../src/probes/agent/tcp-server.ts';
import { volumeWrite } from '../../src/probes/agent/volume-write.ts';
import { encodeReport, MAX_REPORT_BYTES } from '../../src/probes/agent/report.ts';
import { probesOf, rulesFor } from '../../src/probes/define.ts';
import { newRunId, RUN_KEY, scratchNamespace } from '../../src/probes/labels.ts';
import { placementWords, probePod, readReport } from '../../src/probes/pods.ts';
import { DEFAULT_PROBE_IMAGE, probeSettings, withRegistry } from '../../src/probes/settings.ts';
import { serverTarget, UnsafeTargetError } from '../../src/probes/traffic.ts';

const KNOWN = ['dynamic-provisioning', 'network-policy'];

describe('probe settings', () => {
  it('nothing selected: no probes (and no scratch namespace)', () => {
    expect(probeSettings({}, undefined, KNOWN, 'coder')).toBeUndefined();
    expect(probeSettings({ active: false }, { active: false }, KNOWN, 'coder')).toBeUndefined();
  });
  it('--active runs every probe; --probe only those named; the config file does what the flags do', () => {
    expect(probeSettings({ active: true }, undefined, KNOWN, 'coder')).toMatchObject({ selected: KNOWN, image: DEFAULT_PROBE_IMAGE, imageSource: 'default' });
    expect(probeSettings({ probe: ['network-policy'] }, undefined, KNOWN, 'coder')?.selected).toEqual(['network-policy']);
    expect(probeSettings({ probe: ['network-policy,dynamic-provisioning', 'network-policy'] }, undefined, KNOWN, 'coder')?.selected).toEqual(['network-policy', 'dynamic-provisioning']);
    expect(probeSettings({}, { enabled: ['dynamic-provisioning'], image: 'registry.corp/node:24', pullSecret: 'regcred' }, KNOWN, 'coder')).toEqual({
      selected: ['dynamic-provisioning'],
      image: 'registry.corp/node:24',
      imageSource: 'probes.image',
      pullSecret: { namespace: 'coder', name: 'regcred' },
    });
  });
  it('refuses an unknown probe, with the closest name, and probe flags without a probe', () => {
    let err: unknown;
    try {
      probeSettings({ probe: ['network-polcy'] }, undefined, KNOWN, 'coder');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ message: '--probe "network-polcy" is not a probe (did you mean network-policy?)', hint: 'the probes are dynamic-provisioning, network-policy; --active runs them all' });
    expect(() => probeSettings({ 'probe-image': 'x/y:1' }, undefined, KNOWN, 'coder')).toThrow(/--probe-image has no effect without --active or --probe/);
    expect(() => probeSettings({ active: true, 'probe-image': 'Not An Image' }, undefined, KNOWN, 'coder')).toThrow(/is not an image reference/);
    expect(() => probeSettings({ active: true, 'probe-pull-secret': 'a/b/c' }, undefined, KNOWN, 'coder')).toThrow(/is not a Secret name/);
  });
  it('a registry prefix replaces the image\'s registry (Docker Hub\'s implicit library/ made explicit)', () => {
    expect(withRegistry('docker.io/library/node:24-slim', 'mirror.corp/dockerhub')).toBe('mirror.corp/dockerhub/library/node:24-slim');
    expect(withRegistry('node:24-slim', 'mirror.corp')).toBe('mirror.corp/library/node:24-slim');
    expect(withRegistry('bitnami/node:24', 'mirror.corp/')).toBe('mirror.corp/bitnami/node:24');
    expect(withRegistry('ghcr.io/acme/node:24', 'https://harbor.corp:8443/proxy')).toBe('harbor.corp:8443/proxy/acme/node:24');
    expect(withRegistry('localhost:5000/node:24', 'r.corp')).toBe('r.corp/node:24');
    expect(probeSettings({ active: true, 'probe-registry': 'mirror.corp/hub', 'probe-pull-secret': 'infra/regcred' }, undefined, KNOWN, 'coder')).toMatchObject({
      image: 'mirror.corp/hub/library/node:24-slim',
      imageSource: 'default through --probe-registry',
      pullSecret: { namespace: 'infra', name: 'regcred' },
    });
  });
  it('the built-in probes are the registry\'s probe facts', () => {
    expect(probesOf(collectors).map((p) => p.name)).toEqual(expect.arrayContaining(KNOWN));
    expect(probesOf(collectors).map((p) => p.fact)).toEqual(expect.arrayContaining(['probe.dynamic-provisioning', 'probe.network-policy']));
  });
});

describe('the scratch namespace and access rules', () => {
  it('a run id is a DNS label part; the namespace is coder-preflight-<run id>', () => {
    const id = newRunId();
    expect(id).toMatch(/^[a-z0-9]{8}$/);
    expect(scratchNamespace(id)).toBe(`coder-preflight-${id}`);
    expect(new Set(Array.from({ length: 50 }, newRunId)).size).toBe(50);
  });
  it('rules grant what is missing and no more: one rule per API group and verb set, no resourceNames', () => {
    const rules = rulesFor([
      { verb: 'create', group: '', resource: 'namespaces', namespace: '' },
      { verb: 'delete', group: '', resource: 'namespaces', namespace: '', name: 'coder-preflight-x' },
      { verb: 'create', group: '', resource: 'pods', namespace: 'coder-preflight-x' },
      { verb: 'create', group: '', resource: 'configmaps', namespace: 'coder-preflight-x' },
      { verb: 'create', group: 'networking.k8s.io', resource: 'networkpolicies', namespace: 'coder-preflight-x' },
    ]);
    expect(rules).toEqual([
      '{apiGroups: [""], resources: [namespaces], verbs: [create, delete]}',
      '{apiGroups: [""], resources: [pods, configmaps], verbs: [create]}',
      '{apiGroups: ["networking.k8s.io"], resources: [networkpolicies], verbs: [create]}',
    ]);
  });
});

const session = { namespace: 'coder-preflight-abc12345', settings: { selected: KNOWN, image: 'preflight.local/node:24', imageSource: 'test' } };

describe('probe pods', () => {
  const placement = {
    nodeSelector: { 'eks.amazonaws.com/nodegroup': 'workspaces' },
    affinityTerms: [[{ key: 'topology.kubernetes.io/zone', operator: 'In' as const, values: ['us-east-1a'] }]],
    tolerations: [{ key: 'dedicated', operator: 'Equal' as const, value: 'workspaces', effect: 'NoSchedule' }],
    source: '--workspace-selector',
  };
  const pod = probePod(session, { name: 'p', probe: 'network-policy', role: 'server', mode: 'tcp-server', args: { nonce: 'n', port: 8080 }, placement, readinessPort: 8080, deadlineSeconds: 75 });

  it('passes the restricted Pod Security Standard: non-root 65532, no privilege escalation, no capabilities, RuntimeDefault seccomp', () => {
    const spec = pod.spec!;
    const c = spec.containers[0]!;
    expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(spec.hostNetwork ?? false).toBe(false);
    expect(spec.volumes?.every((v) => !v.hostPath)).toBe(true);
  });
  it('has requests and limits, a deadline, no service account token, and reports through the termination message', () => {
    const spec = pod.spec!;
    const c = spec.containers[0]!;
    expect(c.resources).toEqual({ requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } });
    expect(spec.activeDeadlineSeconds).toBe(75);
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(spec.restartPolicy).toBe('Never');
    expect(c).toMatchObject({ terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', image: 'preflight.local/node:24', imagePullPolicy: 'IfNotPresent' });
    expect(c.command).toEqual(['node', '/probe/agent.mjs', 'tcp-server', '{"nonce":"n","port":8080}']);
    expect(spec.volumes?.[0]).toEqual({ name: 'agent', configMap: { name: 'coder-preflight-agent', defaultMode: 0o444 } });
    expect(c.readinessProbe?.tcpSocket?.port).toBe(8080);
  });
  it('goes where the placement says (selector, required affinity, tolerations); a client is pinned to its server\'s node', () => {
    expect(pod.spec!.nodeSelector).toEqual({ 'eks.amazonaws.com/nodegroup': 'workspaces' });
    expect(pod.spec!.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms).toEqual([{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['us-east-1a'] }] }]);
    expect(pod.spec!.tolerations).toEqual(placement.tolerations);
    const client = probePod(session, { name: 'c', probe: 'network-policy', role: 'client', mode: 'tcp-client', args: { nonce: 'n' }, placement, node: 'node-7', deadlineSeconds: 30 });
    expect(client.spec!.nodeSelector).toBeUndefined();
    expect(client.spec!.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms).toEqual([{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-7'] }] }]);
    expect(client.spec!.tolerations).toEqual(placement.tolerations);
    const anywhere = probePod(session, { name: 'a', probe: 'x', role: 'r', mode: 'm', args: {}, deadlineSeconds: 1 });
    expect(anywhere.spec!.nodeSelector ?? anywhere.spec!.affinity ?? anywhere.spec!.tolerations).toBeUndefined();
    expect(anywhere.spec!.activeDeadlineSeconds).toBe(10);
    expect(placementWords(undefined, 'workspace')).toBe('anywhere the scheduler puts it (no workspace placement given)');
    expect(placementWords(placement, 'workspace')).toBe('eks.amazonaws.com/nodegroup=workspaces, topology.kubernetes.io/zone In us-east-1a with 1 toleration(s) (--workspace-selector)');
  });
  it('an image pull Secret is named (it is copied into the scratch namespace)', () => {
    const p = probePod({ ...session, settings: { ...session.settings, pullSecret: { namespace: 'coder', name: 'regcred' } } }, { name: 'p', probe: 'x', role: 'r', mode: 'm', args: {}, deadlineSeconds: 30 });
    expect(p.spec!.imagePullSecrets).toEqual([{ name: 'regcred' }]);
  });
});

const terminated = (message: string | undefined): V1Pod => ({ status: { phase: 'Succeeded', containerStatuses: [{ name: 'probe', image: 'x', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, ...(message !== undefined ? { message } : {}) } } }] } });

describe('reading the agent\'s report', () => {
  it('takes the report only when it carries the nonce this run gave the agent', () => {
    const line = encodeReport({ agent: 1, mode: 'volume-write', nonce: 'n1', ok: true, ms: 3, result: { match: true } });
    expect(readReport(terminated(line), 'n1')).toEqual({ report: { agent: 1, mode: 'volume-write', nonce: 'n1', ok: true, ms: 3, result: { match: true } } });
    expect(readReport(terminated(line), 'n2')).toEqual({ problem: 'the report in the pod\'s termination message is not from the agent this run started' });
    expect(readReport(terminated(''), 'n1')).toMatchObject({ problem: expect.stringContaining('without a report') });
    expect(readReport(terminated('Completed'), 'n1')).toMatchObject({ problem: expect.stringContaining('is not the agent\'s report') });
    expect(readReport({ status: { phase: 'Running' } }, 'n1')).toMatchObject({ problem: expect.stringContaining('has not finished') });
  });
  it('a report that would not fit the termination message says so instead', () => {
    const big = encodeReport({ agent: 1, mode: 'tcp-client', nonce: 'n', ok: true, ms: 1, result: { x: 'y'.repeat(5000) } });
    expect(Buffer.byteLength(big)).toBeLessThanOrEqual(MAX_REPORT_BYTES);
    expect(JSON.parse(big)).toMatchObject({ ok: false, error: { code: 'REPORT_TOO_LARGE' } });
  });
});

describe('traffic safety', () => {
  const ours = { runId: 'abc12345', namespace: 'coder-preflight-abc12345' };
  const ready = (over: Partial<V1Pod> = {}): V1Pod => ({
    metadata: { name: 's', namespace: ours.namespace, labels: { [RUN_KEY]: 'abc12345' } },
    spec: { nodeName: 'node-1', containers: [] },
    status: { phase: 'Running', podIP: '10.1.2.3', conditions: [{ type: 'Ready', status: 'True' }] },
    ...over,
  });
  const real = { name: 'node-1', fake: false };
  it('a client is only given a server pod of this run, seen Ready, on a real node, and is pinned to that node', () => {
    expect(serverTarget(ours, ready(), real, 8080)).toEqual({ host: '10.1.2.3', port: 8080, node: 'node-1', what: 'server pod s (10.1.2.3:8080) on node node-1' });
    expect(() => serverTarget(ours, ready({ metadata: { name: 's', namespace: 'other', labels: { [RUN_KEY]: 'abc12345' } } }), real, 8080)).toThrow(UnsafeTargetError);
    expect(() => serverTarget(ours, ready({ metadata: { name: 's', namespace: ours.namespace, labels: { [RUN_KEY]: 'zzz' } } }), real, 8080)).toThrow(/not created by this run/);
    expect(() => serverTarget(ours, ready({ status: { phase: 'Running', podIP: '10.1.2.3', conditions: [{ type: 'Ready', status: 'False' }] } }), real, 8080)).toThrow(/not been seen Ready/);
    expect(() => serverTarget(ours, ready(), { name: 'node-1', fake: true, why: 'annotation kwok.x-k8s.io/node=fake' }, 8080)).toThrow(/fakes pods/);
    expect(() => serverTarget(ours, ready(), { name: 'node-2', fake: false }, 8080)).toThrow(UnsafeTargetError);
  });
});

describe('the agent\'s modes (loopback and a temp dir only)', () => {
  it('volume-write writes, fsyncs, reads back and compares, then removes its file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cp-probe-vol-'));
    const r = await volumeWrite({ nonce: 'abc', dir, bytes: 65536 });
    expect(r).toMatchObject({ bytes: 65536, match: true, file: join(dir, 'coder-preflight-abc') });
    expect(r.fs?.totalBytes).toBeGreaterThan(0);
    expect(readdirSync(dir)).toEqual([]);
    await expect(volumeWrite({ nonce: 'abc', dir: join(dir, 'missing'), bytes: 10 })).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('tcp-client reaches a tcp-server only with its token; counts refusals as blocked', async () => {
    const port = await new Promise<number>((res) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => res(p));
      });
    });
    const server = tcpServer({ nonce: 's', port, token: 'tok', maxMs: 1500 });
    await new Promise((r) => setTimeout(r, 100));
    const reached = await tcpClient({ nonce: 'c', host: '127.0.0.1', port, token: 'tok', until: 'reachable', attempts: 5, intervalMs: 10, timeoutMs: 500, windowMs: 1000 });
    expect(reached).toMatchObject({ met: true, attempts: 1, counts: { reached: 1 }, timeline: 'R' });
    const wrong = await tcpClient({ nonce: 'c', host: '127.0.0.1', port, token: 'other', until: 'reachable', attempts: 3, intervalMs: 10, timeoutMs: 500, windowMs: 1000 });
    expect(wrong).toMatchObject({ met: false, counts: { 'wrong-answer': 3 }, timeline: 'WWW' });
    expect(await server).toEqual({ port, served: 4 });
    const blocked = await tcpClient({ nonce: 'c', host: '127.0.0.1', port, token: 'tok', until: 'blocked', consecutive: 2, attempts: 10, intervalMs: 10, timeoutMs: 500, windowMs: 1000 });
    expect(blocked).toMatchObject({ met: true, attempts: 2, timeline: 'CC', errors: ['ECONNREFUSED'], metAtMs: 0 });
  });
});
