// PKI for the local control plane, made with openssl (ECDSA P-256: fast to generate, accepted by
// every component). One cluster CA signs serving and client certs; a separate front-proxy CA lets
// the aggregator authenticate to extension API servers (needed for APIServices to be handled).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export interface Pki {
  dir: string;
  caCrt: string;
  caKey: string;
  apiserverCrt: string;
  apiserverKey: string;
  saKey: string;
  saPub: string;
  frontProxyCaCrt: string;
  frontProxyClientCrt: string;
  frontProxyClientKey: string;
  /** Client certs by name: admin, viewer, controller-manager, scheduler, kubelet-client. */
  clients: Record<ClientName, { crt: string; key: string; user: string; groups: string[] }>;
}

export type ClientName = 'admin' | 'viewer' | 'controller-manager' | 'scheduler' | 'kubelet-client';

/** Client identities: CN is the user name, O the groups (that is how the apiserver reads client certs). */
export const CLIENTS: Record<ClientName, { user: string; groups: string[] }> = {
  admin: { user: 'world-admin', groups: ['system:masters'] },
  // The restricted user: no groups besides system:authenticated; bound only to ClusterRole `view`.
  viewer: { user: 'preflight-viewer', groups: [] },
  'controller-manager': { user: 'system:kube-controller-manager', groups: [] },
  scheduler: { user: 'system:kube-scheduler', groups: [] },
  // apiserver -> kubelet (logs/exec) for the real-node work; kubeadm gives this identity system:masters-like rights.
  'kubelet-client': { user: 'kube-apiserver-kubelet-client', groups: ['system:masters'] },
};

/** Service CIDR's first address; the apiserver serving cert must carry it (in-cluster clients dial it). */
export const FIRST_SERVICE_IP = '10.96.0.1';

function openssl(cwd: string, args: string[]): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function genKey(cwd: string, file: string): void {
  openssl(cwd, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file]);
}

function subj(cn: string, groups: string[] = []): string {
  return groups.map((o) => `/O=${o}`).join('') + `/CN=${cn}`;
}

/** Issue a leaf cert signed by `ca` (req -x509 -CA: one openssl call per cert). */
function issue(cwd: string, ca: string, name: string, subject: string, exts: string[]): void {
  genKey(cwd, `${name}.key`);
  openssl(cwd, [
    'req', '-x509', '-new', '-key', `${name}.key`, '-subj', subject, '-days', '3650',
    '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-out', `${name}.crt`,
    '-addext', 'basicConstraints=critical,CA:FALSE',
    '-addext', 'keyUsage=critical,digitalSignature,keyEncipherment',
    ...exts.flatMap((e) => ['-addext', e]),
  ]);
}

function makeCa(cwd: string, name: string, cn: string): void {
  genKey(cwd, `${name}.key`);
  openssl(cwd, [
    'req', '-x509', '-new', '-key', `${name}.key`, '-subj', `/CN=${cn}`, '-days', '3650', '-out', `${name}.crt`,
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
  ]);
}

/** Generate a fresh PKI into `dir` (wiped first). */
export function makePki(dir: string): Pki {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  makeCa(dir, 'ca', 'coder-preflight-world-ca');
  makeCa(dir, 'front-proxy-ca', 'coder-preflight-world-front-proxy-ca');
  const sans = [
    'IP:127.0.0.1', 'IP:::1', 'DNS:localhost', 'DNS:kubernetes', 'DNS:kubernetes.default', 'DNS:kubernetes.default.svc',
    'DNS:kubernetes.default.svc.cluster.local', `IP:${FIRST_SERVICE_IP}`,
    // The real node's bridge gateway: a pod that runs coder-preflight in the cluster (deploy/job.yaml)
    // reaches the API server there (the world has no kube-proxy for the kubernetes Service's IP).
    'IP:10.88.0.1',
  ];
  issue(dir, 'ca', 'apiserver', '/CN=kube-apiserver', [`subjectAltName=${sans.join(',')}`, 'extendedKeyUsage=serverAuth']);
  for (const [name, id] of Object.entries(CLIENTS)) {
    issue(dir, 'ca', name, subj(id.user, id.groups), ['extendedKeyUsage=clientAuth']);
  }
  issue(dir, 'front-proxy-ca', 'front-proxy-client', '/CN=front-proxy-client', ['extendedKeyUsage=clientAuth']);
  // Service-account token signing pair (ES256).
  genKey(dir, 'sa.key');
  openssl(dir, ['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub']);
  writeFileSync(join(dir, 'README'), 'Throw-away PKI of the coder-preflight test world. Regenerated on every `world up --kube`.\n');
  const p = (f: string) => join(dir, f);
  const clients = Object.fromEntries(
    Object.entries(CLIENTS).map(([name, id]) => [name, { crt: p(`${name}.crt`), key: p(`${name}.key`), ...id }]),
  ) as Pki['clients'];
  return {
    dir,
    caCrt: p('ca.crt'),
    caKey: p('ca.key'),
    apiserverCrt: p('apiserver.crt'),
    apiserverKey: p('apiserver.key'),
    saKey: p('sa.key'),
    saPub: p('sa.pub'),
    frontProxyCaCrt: p('front-proxy-ca.crt'),
    frontProxyClientCrt: p('front-proxy-client.crt'),
    frontProxyClientKey: p('front-proxy-client.key'),
    clients,
  };
}
