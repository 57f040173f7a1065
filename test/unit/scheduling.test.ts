// Quantities, node selection, taints and tolerations, and where the values file puts Coder.
import { describe, expect, it } from 'vitest';
import { cpuMillis, mebibytes, parseQuantity } from '../../src/kubernetes/quantity.ts';
import { blockingTaints, NO_PLACEMENT, parseSelector, selects, tolerates } from '../../src/kubernetes/scheduling.ts';
import { interpretValues } from '../../src/inputs/values.ts';

describe('quantities', () => {
  it('reads CPU and memory the way Kubernetes writes them', () => {
    expect(cpuMillis('2')).toBe(2000);
    expect(cpuMillis('2000m')).toBe(2000);
    expect(cpuMillis('0.5')).toBe(500);
    expect(cpuMillis('3920m')).toBe(3920);
    expect(mebibytes('4096Mi')).toBe(4096);
    expect(mebibytes('8Gi')).toBe(8192);
    expect(mebibytes('16116152Ki')).toBe(15738.4);
    expect(mebibytes('1e9')).toBe(953.7);
    expect(mebibytes('512M')).toBe(488.3);
    expect(parseQuantity('lots')).toBeNaN();
    expect(parseQuantity(undefined)).toBeNaN();
  });
});

describe('scheduling', () => {
  const labels = { 'eks.amazonaws.com/nodegroup': 'coder', 'topology.kubernetes.io/zone': 'us-east-1a', 'node.kubernetes.io/instance-type': 'm5.xlarge' };
  it('nodeSelector and required node affinity', () => {
    expect(selects(NO_PLACEMENT, labels)).toBe(true);
    expect(selects({ ...NO_PLACEMENT, nodeSelector: { 'eks.amazonaws.com/nodegroup': 'coder' } }, labels)).toBe(true);
    expect(selects({ ...NO_PLACEMENT, nodeSelector: { 'eks.amazonaws.com/nodegroup': 'ws' } }, labels)).toBe(false);
    const term = (op: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist', values?: string[]) => ({ ...NO_PLACEMENT, affinityTerms: [[{ key: 'topology.kubernetes.io/zone', operator: op, ...(values ? { values } : {}) }]] });
    expect(selects(term('In', ['us-east-1a', 'us-east-1b']), labels)).toBe(true);
    expect(selects(term('NotIn', ['us-east-1a']), labels)).toBe(false);
    expect(selects(term('Exists'), labels)).toBe(true);
    expect(selects(term('DoesNotExist'), labels)).toBe(false);
    // Terms are ORed, expressions within a term ANDed.
    expect(selects({ ...NO_PLACEMENT, affinityTerms: [[{ key: 'x', operator: 'Exists' }], [{ key: 'topology.kubernetes.io/zone', operator: 'Exists' }]] }, labels)).toBe(true);
    expect(selects({ ...NO_PLACEMENT, affinityTerms: [[{ key: 'x', operator: 'Exists' }, { key: 'topology.kubernetes.io/zone', operator: 'Exists' }]] }, labels)).toBe(false);
  });
  it('taints and tolerations', () => {
    const t = { key: 'dedicated', value: 'coder', effect: 'NoSchedule' };
    expect(tolerates([{ key: 'dedicated', operator: 'Equal', value: 'coder', effect: 'NoSchedule' }], t)).toBe(true);
    expect(tolerates([{ key: 'dedicated', operator: 'Exists' }], t)).toBe(true);
    expect(tolerates([{ operator: 'Exists' }], t)).toBe(true);
    expect(tolerates([{ key: 'dedicated', value: 'other' }], t)).toBe(false);
    expect(tolerates([{ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }], t)).toBe(false);
    expect(blockingTaints([], [t, { key: 'soft', effect: 'PreferNoSchedule' }])).toEqual([t]);
  });
  it('parses --*-selector flags', () => {
    expect(parseSelector('eks.amazonaws.com/nodegroup=coder, kubernetes.io/os=linux')).toEqual({ 'eks.amazonaws.com/nodegroup': 'coder', 'kubernetes.io/os': 'linux' });
    expect(parseSelector('coder')).toBeUndefined();
    expect(parseSelector('')).toBeUndefined();
  });
});

describe('placement and requests from the values file', () => {
  it('v2: coder.nodeSelector, required node affinity, tolerations and resources', () => {
    const v = interpretValues(
      {
        coder: {
          replicaCount: 3,
          nodeSelector: { 'cloud.google.com/gke-nodepool': 'coder' },
          affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['a', 'b'] }] }] } } },
          tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'coder', effect: 'NoSchedule' }],
          resources: { requests: { cpu: '1', memory: '2Gi' }, limits: { cpu: '2', memory: '4Gi' } },
        },
      },
      'v.yaml',
    );
    expect(v.placement).toEqual({
      nodeSelector: { 'cloud.google.com/gke-nodepool': 'coder' },
      affinityTerms: [[{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['a', 'b'] }]],
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'coder', effect: 'NoSchedule' }],
      source: 'values coder.nodeSelector/affinity/tolerations',
    });
    expect(v.requests).toEqual({ cpuMillis: 1000, memoryMi: 2048, where: 'values coder.resources.requests' });
    // Limits only: Kubernetes uses them as the requests.
    expect(interpretValues({ coder: { resources: { limits: { cpu: '500m', memory: '1Gi' } } } }, 'v.yaml').requests).toEqual({ cpuMillis: 500, memoryMi: 1024, where: 'values coder.resources.limits' });
    // The chart's defaults (no resources, the preferred anti-affinity only) constrain nothing.
    const plain = interpretValues({ coder: { resources: {}, affinity: { podAntiAffinity: {} }, nodeSelector: {}, tolerations: [] } }, 'v.yaml');
    expect(plain.placement).toBeUndefined();
    expect(plain.requests).toBeUndefined();
  });
  it('v1: services.nodeSelector/tolerations and coderd.resources', () => {
    const v = interpretValues({ coderd: { replicas: 2, resources: { requests: { cpu: '250m', memory: '512Mi' } } }, services: { nodeSelector: { 'kubernetes.io/os': 'linux' }, tolerations: [] } }, 'v1.yaml');
    expect(v.placement).toMatchObject({ nodeSelector: { 'kubernetes.io/os': 'linux' }, source: 'values services.nodeSelector/tolerations' });
    expect(v.requests).toEqual({ cpuMillis: 250, memoryMi: 512, where: 'values coderd.resources.requests' });
  });
});
