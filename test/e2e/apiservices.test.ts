// kubernetes.apiservices against the real kube-apiserver: its built-in groups, a real aggregated
// APIService whose backing Service does not exist (Available=False), and a user who may not list them.
import { describe, expect, inject, it } from 'vitest';
import { kubeConfig } from '../world/kube/kube.ts';
import { brokenApiService, resetScenario } from '../world/kube/scenario.ts';
import { runCheck } from '../helpers/cli.ts';

const kube = inject('kube');
const check = (kubeconfig: string, ...args: string[]) => runCheck('kubernetes.apiservices', ['--kubeconfig', kubeconfig, ...args]);

describe('kubernetes.apiservices against a real kube-apiserver', () => {
  it('passes for Coder 2.x: the built-in groups are there and Available', async () => {
    const { code, res } = await check(kube.kubeconfig, '--coder-version', '2.18.0');
    expect(code).toBe(0);
    expect(res.status).toBe('pass');
    expect(res.evidence.missing).toEqual([]);
    expect(res.evidence.apiServices).toBeGreaterThan(10); // a real server has dozens
  });

  it('warns for Coder v1 that metrics.k8s.io is not installed', async () => {
    const { res } = await check(kube.kubeconfig, '--coder-version', '1.44.3');
    expect(res).toMatchObject({ status: 'warn', evidence: { metricsApi: 'absent' } });
  });

  it('warns, naming it, when an aggregated APIService is registered but its Service does not exist', async () => {
    const kc = kubeConfig(kube, 'admin');
    const scenario = `apisvc-${process.pid}`;
    try {
      const name = await brokenApiService(kc, scenario);
      // The aggregator's availability controller needs a moment to mark it.
      let res;
      for (let i = 0; i < 50; i++) {
        res = (await check(kube.kubeconfig, '--coder-version', '2.18.0')).res;
        if (res.status !== 'pass') break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(res).toMatchObject({ status: 'warn', evidence: { notAvailable: [name] } });
      expect(res!.summary).toMatch(/Available=False: ServiceNotFound/);
      expect(res!.remediation).toMatch(/metrics-server/);
    } finally {
      await resetScenario(kc, scenario);
    }
  });

  it('is an error (exit 1) for a user who may not list APIServices, with what to grant', async () => {
    const { code, res } = await check(kube.viewerKubeconfig);
    expect(code).toBe(1);
    expect(res).toMatchObject({ status: 'error', evidence: { reason: 'forbidden' } });
    expect(res.remediation).toMatch(/list apiservices\.apiregistration\.k8s\.io/);
  });
});
