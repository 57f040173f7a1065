// kubernetes.node-groups against the real kube-apiserver, with kwok nodes labelled the way the
// platforms label them: pinned or not, tainted, too small, read by a user who may not list nodes.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { expectUsageError, runCheck, runCli } from '../helpers/cli.ts';
import { kubeConfig } from '../world/kube/kube.ts';
import { createFakeNodes, NODE_GROUP_LABELS, resetScenario, waitForNodesReady, type FakeNodeSpec } from '../world/kube/scenario.ts';

const kube = inject('kube');
const kc = kubeConfig(kube, 'admin');
const SCENARIO = `ng-${process.pid}`;
const EKS = 'eks.amazonaws.com/nodegroup';
afterEach(async () => {
  await resetScenario(kc, SCENARIO);
});

async function nodes(specs: FakeNodeSpec[]) {
  await createFakeNodes(kc, SCENARIO, specs);
  await waitForNodesReady(kc, specs.map((s) => s.name));
}
const group = (name: string, n: number, over: Partial<FakeNodeSpec> = {}): FakeNodeSpec[] => Array.from({ length: n }, (_, i) => ({ name: `${SCENARIO}-${name}-${i}`, group: { kind: 'eks', name }, zone: 'us-east-1a', ...over }));
function values(coder: Record<string, unknown>): string {
  const f = join(mkdtempSync(join(tmpdir(), 'cp-ng-')), 'values.yaml');
  writeFileSync(f, JSON.stringify({ coder }));
  return f;
}
const run = (...args: string[]) => runCheck('kubernetes.node-groups', ['--kubeconfig', kube.kubeconfig, ...args]);

describe('kubernetes.node-groups against a real kube-apiserver', () => {
  it('passes with Coder pinned to its own EKS node group, and names the groups', async () => {
    await nodes([...group('coder', 3), ...group('workspaces', 2)]);
    const { code, res } = await run('-f', values({ replicaCount: 3, nodeSelector: { [EKS]: 'coder' } }));
    expect(res).toMatchObject({ status: 'pass', summary: /Coder's 3 replicas fit on 3 nodes of their own \(nodeSelector eks\.amazonaws\.com\/nodegroup=coder\); 2 other nodes for workspaces/ });
    expect(res.evidence.groups).toEqual(expect.arrayContaining([expect.stringMatching(/^eks\.amazonaws\.com\/nodegroup=coder: 3 nodes \(3 schedulable\)/), expect.stringMatching(/^eks\.amazonaws\.com\/nodegroup=workspaces: 2 nodes/)]));
    expect(res.threshold).toMatchObject({ value: '3 replicas × 2000m CPU / 4096Mi', source: /chart default resources/ });
    expect(code).toBe(0);
  });

  it('warns when Coder is not pinned, and --control-plane-selector checks a selector before it is in the values', async () => {
    await nodes([...group('coder', 2), ...group('workspaces', 2)]);
    const loose = await run();
    expect(loose.res).toMatchObject({ status: 'warn', summary: /not pinned to a node group/, remediation: /coder\.nodeSelector \(e\.g\. eks\.amazonaws\.com\/nodegroup: coder;/ });
    const flag = await run('--control-plane-selector', `${EKS}=coder`);
    expect(flag.res).toMatchObject({ status: 'pass', evidence: { controlPlane: 'nodeSelector eks.amazonaws.com/nodegroup=coder (--control-plane-selector)' } });
  });

  it('fails on a tainted group the values do not tolerate, and passes once they do', async () => {
    const taints = [{ key: 'dedicated', value: 'coder', effect: 'NoSchedule' }];
    await nodes([...group('coder', 2, { taints }), ...group('workspaces', 1)]);
    const untolerated = await run('-f', values({ replicaCount: 2, nodeSelector: { [EKS]: 'coder' } }));
    expect(untolerated.code).toBe(3);
    expect(untolerated.res).toMatchObject({ status: 'fail', summary: /taint dedicated=coder:NoSchedule not tolerated/, remediation: /coder\.tolerations/ });
    const tolerated = await run('-f', values({ replicaCount: 2, nodeSelector: { [EKS]: 'coder' }, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'coder', effect: 'NoSchedule' }] }));
    expect(tolerated.res.status).toBe('pass');
  });

  it('fails when the group is too small for the replicas\' requests, warns when replicas must share a node', async () => {
    await nodes([...group('coder', 2, { capacity: { cpu: '2', memory: '4Gi', pods: '110' } }), ...group('workspaces', 1)]);
    const small = await run('-f', values({ replicaCount: 2, nodeSelector: { [EKS]: 'coder' } }));
    expect(small.res).toMatchObject({ status: 'fail', summary: /No node Coder may use has room for one replica \(2000m CPU \/ 4096Mi requested/ });
    const fits = await run('-f', values({ replicaCount: 2, nodeSelector: { [EKS]: 'coder' }, resources: { requests: { cpu: '500m', memory: '1Gi' } } }));
    expect(fits.res).toMatchObject({ status: 'pass', threshold: { value: '2 replicas × 500m CPU / 1024Mi', source: 'values coder.resources.requests' } });
    const wide = await run('-f', values({ replicaCount: 3, nodeSelector: { [EKS]: 'coder' }, resources: { requests: { cpu: '900m', memory: '1Gi' } } }));
    expect(wide.res).toMatchObject({ status: 'warn', summary: /3 replicas but only 2 nodes can hold one/ });
  });

  it('a user who may not list nodes gets an error naming the permission, not a verdict', async () => {
    const { code, res } = await runCheck('kubernetes.node-groups', ['--kubeconfig', kube.viewerKubeconfig]);
    expect(code).toBe(1);
    expect(res).toMatchObject({ status: 'error', summary: /forbidden/, remediation: /may not list nodes/ });
  });
});

describe('kubernetes.node-groups on GKE, AKS and Karpenter labels', () => {
  for (const kind of ['gke', 'aks', 'karpenter'] as const) {
    it(`finds ${kind} node groups and pins Coder to one; warns with one group only`, async () => {
      const label = NODE_GROUP_LABELS[kind];
      const g = (name: string, n: number) => Array.from({ length: n }, (_, i) => ({ name: `${SCENARIO}-${kind}-${name}-${i}`, group: { kind, name: `${SCENARIO}-${name}` }, zone: 'zone-a' }));
      await nodes([...g('coder', 2), ...g('ws', 1)]);
      const pinned = await run('-f', values({ replicaCount: 2, nodeSelector: { [label]: `${SCENARIO}-coder` } }));
      expect(pinned.res).toMatchObject({ status: 'pass', summary: new RegExp(`fit on 2 nodes of their own \\(nodeSelector ${label.replace(/[./]/g, '\\$&')}=${SCENARIO}-coder\\); \\d+ other nodes? for workspaces`) });
      expect(pinned.res.evidence.groups).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^${label.replace(/[./]/g, '\\$&')}=${SCENARIO}-coder: 2 nodes`))]));
      await resetScenario(kc, SCENARIO);
      await nodes(g('all', 2));
      const one = await run('-f', values({ replicaCount: 2, nodeSelector: { [label]: `${SCENARIO}-all` } }), '--workspace-selector', `${label}=${SCENARIO}-all`);
      expect(one.res).toMatchObject({ status: 'warn', summary: /2 nodes are in both the control-plane and the workspace selection/ });
    });
  }
});

describe('kubernetes.node-groups --users', () => {
  it('sizes against the validated architecture for that many users, with the arithmetic', async () => {
    await nodes([...group('coder', 3, { capacity: { cpu: '8', memory: '32Gi', pods: '110' } }), ...group('workspaces', 2)]);
    const { res } = await run('-f', values({ replicaCount: 2, nodeSelector: { [EKS]: 'coder' } }), '--users', '2000');
    expect(res).toMatchObject({ status: 'warn', summary: /^for 2000 users the validated 2k architecture runs 3 coderd replicas, this deployment 2; each replica requests 2 vCPU \/ 4 GB, below the tier's 4 vCPU \/ 12 GB$/ });
    expect(res.evidence.sizing).toEqual(expect.arrayContaining(['2000 users → the 2k tier', expect.stringMatching(/^workspaces: 1200 concurrent \(60% of 2000\) × 0.1 vCPU \/ 128 MB = 120 vCPU \/ 150 GB/)]));
    expectUsageError(await runCli(['--kubeconfig', kube.kubeconfig, '--users', 'many']), /--users "many" is not a number of users/);
  });
});

describe('kubernetes.high-availability against a real kube-apiserver', () => {
  const cp = `${SCENARIO}-ha`;
  const ha = (...args: string[]) => runCheck('kubernetes.high-availability', ['--kubeconfig', kube.kubeconfig, ...args]);
  const zoned = (zones: string[]) => zones.map((zone, i) => ({ name: `${cp}-${i}`, group: { kind: 'eks' as const, name: cp }, zone }));

  it('passes with one node per replica across zones, and warns when they share one zone', async () => {
    await nodes(zoned(['us-east-1a', 'us-east-1b', 'us-east-1c']));
    const spread = await ha('-f', values({ replicaCount: 3, nodeSelector: { [EKS]: cp } }));
    expect(spread.res).toMatchObject({ status: 'pass', summary: /^3 replicas have 3 nodes to run on across 3 zones \(us-east-1a, us-east-1b, us-east-1c\); the chart only prefers distinct nodes/ });
    await resetScenario(kc, SCENARIO);
    await nodes(zoned(['us-east-1a', 'us-east-1a']));
    const oneZone = await ha('-f', values({ replicaCount: 2, nodeSelector: { [EKS]: cp }, topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule' }] }));
    expect(oneZone.res).toMatchObject({ status: 'warn', summary: 'every node Coder may use is in zone us-east-1a: a zone outage stops all 2 replicas', evidence: { topologySpread: ['topology.kubernetes.io/zone'] } });
    expect(oneZone.code).toBe(0); // a warn fails the run only with --fail-on warn
  });

  it('fails when the values point the DERP relay at the access URL; skips one replica', async () => {
    await nodes(zoned(['us-east-1a', 'us-east-1b']));
    const env = [{ name: 'CODER_ACCESS_URL', value: 'https://coder.example.test' }, { name: 'CODER_DERP_SERVER_RELAY_URL', value: 'https://coder.example.test' }];
    const bad = await ha('-f', values({ replicaCount: 2, nodeSelector: { [EKS]: cp }, env }));
    expect(bad.res).toMatchObject({ status: 'fail', summary: /^CODER_DERP_SERVER_RELAY_URL is the access URL/ });
    const one = await ha('-f', values({ replicaCount: 1, nodeSelector: { [EKS]: cp } }));
    expect(one.res.status).toBe('skip');
  });
});
