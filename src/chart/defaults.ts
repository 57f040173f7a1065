// The chart this renderer follows, and its values.yaml defaults as data.
// Source: helm/coder/values.yaml and Chart.yaml of github.com/coder/coder/v2 v2.30.0 (commit
// 43e67d12e278e13399cffc77f132e8e628339477); the unit test compares this with that file.
import type { YamlMap } from './types.ts';

/** Chart.yaml. Released charts carry the Coder version in both fields (the repository says 0.1.0). */
export const CHART = { name: 'coder', version: '0.1.0', appVersion: '0.1.0', source: 'github.com/coder/coder/v2 v2.30.0 helm/coder' } as const;

export function chartDefaults(): YamlMap {
  return {
    coder: {
      env: [],
      envFrom: [],
      envUseClusterAccessURL: true,
      image: { repo: 'ghcr.io/coder/coder', tag: '', pullPolicy: 'IfNotPresent', pullSecrets: [] },
      initContainers: [],
      annotations: {},
      labels: {},
      podAnnotations: {},
      podLabels: {},
      priorityClassName: '',
      serviceAccount: {
        workspacePerms: true,
        enableDeployments: true,
        extraRules: [],
        workspaceNamespaces: [],
        annotations: {},
        labels: {},
        name: 'coder',
        disableCreate: false,
      },
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 1000,
        runAsGroup: 1000,
        readOnlyRootFilesystem: null,
        seccompProfile: { type: 'RuntimeDefault' },
        allowPrivilegeEscalation: false,
      },
      podSecurityContext: {},
      volumes: [],
      volumeMounts: [],
      tls: { secretNames: [] },
      replicaCount: 1,
      workspaceProxy: false,
      lifecycle: {},
      // values.yaml has `resources:` with everything under it commented out: a null.
      resources: null,
      readinessProbe: { enabled: true, initialDelaySeconds: 0 },
      livenessProbe: { enabled: false, initialDelaySeconds: 0 },
      certs: { secrets: [] },
      affinity: {
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              podAffinityTerm: {
                labelSelector: { matchExpressions: [{ key: 'app.kubernetes.io/instance', operator: 'In', values: ['coder'] }] },
                topologyKey: 'kubernetes.io/hostname',
              },
              weight: 1,
            },
          ],
        },
      },
      topologySpreadConstraints: null,
      tolerations: [],
      nodeSelector: {},
      service: {
        enable: true,
        type: 'LoadBalancer',
        sessionAffinity: 'None',
        externalTrafficPolicy: 'Cluster',
        loadBalancerIP: '',
        loadBalancerClass: '',
        annotations: {},
        httpNodePort: '',
        httpsNodePort: '',
      },
      ingress: {
        enable: false,
        className: '',
        host: '',
        wildcardHost: '',
        annotations: {},
        tls: { enable: false, secretName: '', wildcardSecretName: '' },
      },
      command: ['/opt/coder'],
      commandArgs: [],
    },
    provisionerDaemon: { pskSecretName: '' },
    extraTemplates: null,
  };
}
