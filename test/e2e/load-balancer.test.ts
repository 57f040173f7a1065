// kubernetes.load-balancer against the real kube-apiserver: nothing that implements LoadBalancer,
// a Service that already has an address (its status written through /status), kwok nodes on "AWS"
// (providerID aws://), a load-balancer DaemonSet that is not ready, and what the values ask for.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { runCheck } from '../helpers/cli.ts';
import { kubeConfig } from '../world/kube/kube.ts';
import { applyManifests, createFakeNodes, ensureNamespace, resetScenario, waitForNodesReady } from '../world/kube/scenario.ts';

const kube = inject('kube');
const kc = kubeConfig(kube, 'admin');
const SCENARIO = `lb-${process.pid}`;
const NS = `${SCENARIO}-ns`;
afterEach(async () => {
  await resetScenario(kc, SCENARIO);
});
const values = (service: Record<string, unknown>) => {
  const f = join(mkdtempSync(join(tmpdir(), 'cp-lb-')), 'values.yaml');
  writeFileSync(f, JSON.stringify({ coder: { service } }));
  return f;
};
const run = (...args: string[]) => runCheck('kubernetes.load-balancer', ['--kubeconfig', kube.kubeconfig, ...args]);

describe('kubernetes.load-balancer against a real kube-apiserver', () => {
  it('warns when nothing would give a LoadBalancer Service an address, naming the Services already pending', async () => {
    await ensureNamespace(kc, SCENARIO, NS);
    await applyManifests(kc, SCENARIO, [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: NS }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } } as never]);
    const { code, res } = await run();
    expect(code).toBe(0);
    expect(res).toMatchObject({ status: 'warn', summary: new RegExp(`^Nothing here gives a LoadBalancer Service an address .*already pending: ${NS}/web\\): Coder's EXTERNAL-IP would stay <pending>$`), evidence: { serviceType: 'LoadBalancer', cloudProviders: [] } });
  });

  it('passes once a LoadBalancer Service has an address', async () => {
    await ensureNamespace(kc, SCENARIO, NS);
    await applyManifests(kc, SCENARIO, [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'ingress', namespace: NS }, spec: { type: 'LoadBalancer', ports: [{ port: 443 }] } } as never]);
    // Only the status is written: no traffic goes to this documentation address (RFC 5737).
    await kc.makeApiClient(CoreV1Api).patchNamespacedServiceStatus({ name: 'ingress', namespace: NS, body: [{ op: 'add', path: '/status/loadBalancer', value: { ingress: [{ ip: '192.0.2.10' }] } }] });
    const { res } = await run();
    expect(res).toMatchObject({ status: 'pass', summary: `A LoadBalancer Service will get an address: 1 LoadBalancer Service has an address (${NS}/ingress)`, evidence: { withAddress: [`${NS}/ingress: 192.0.2.10`] } });
  });

  it('passes on AWS nodes, and fails there with sessionAffinity ClientIP (the classic ELB refuses it)', async () => {
    const names = [0, 1].map((i) => `${SCENARIO}-n${i}`);
    await createFakeNodes(kc, SCENARIO, names.map((name) => ({ name, group: { kind: 'eks', name: 'coder' }, zone: 'us-east-1a' })));
    await waitForNodesReady(kc, names);
    expect((await run()).res).toMatchObject({ status: 'pass', summary: /the nodes run on AWS/, evidence: { cloudProviders: ['AWS'] } });
    const affinity = await run('-f', values({ sessionAffinity: 'ClientIP' }));
    expect(affinity.code).toBe(3);
    expect(affinity.res).toMatchObject({ status: 'fail', summary: /Unsupported load balancer affinity: ClientIP/, remediation: /sessionAffinity: None/ });
  });

  it('names a load-balancer DaemonSet that is not ready, and skips when the Service is not a LoadBalancer', async () => {
    await applyManifests(kc, SCENARIO, [
      {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'kube-vip-ds', namespace: 'kube-system' },
        spec: { selector: { matchLabels: { app: 'kube-vip' } }, template: { metadata: { labels: { app: 'kube-vip' } }, spec: { containers: [{ name: 'kube-vip', image: 'preflight.test/kube-vip:none' }] } } },
      } as never,
    ]);
    expect((await run()).res).toMatchObject({ status: 'warn', summary: 'kube-vip (DaemonSet kube-system/kube-vip-ds) is installed but not ready: LoadBalancer Services get no address until it is' });
    expect((await run('-f', values({ type: 'ClusterIP' }))).res).toMatchObject({ status: 'skip', summary: /Coder's Service is type ClusterIP/ });
  });

  it('a user who may not list services cluster-wide gets an error, not a verdict', async () => {
    const { code, res } = await runCheck('kubernetes.load-balancer', ['--kubeconfig', kube.viewerKubeconfig]);
    expect(code).toBe(1);
    expect(res.status).toBe('error');
  });
});
