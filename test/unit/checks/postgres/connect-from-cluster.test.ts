import { describe, expect, it } from 'vitest';
import check from '../../../../checks/postgres/connect-from-cluster.ts';
import type { PgConnectProbeResult } from '../../../../src/facts/probe/pg-connect.ts';
import { nearMisses, parseServiceName } from '../../../../src/kubernetes/service-names.ts';
import type { ProbeFact, ProbeRan } from '../../../../src/probes/define.ts';
import { pgLoginSecret, PG_MOUNT } from '../../../../src/probes/pg-credentials.ts';
import { podSettings } from '../../../../src/probes/agent/pg-login.ts';
import { failed, testCheck } from '../../../helpers/check-tester.ts';

const ran: ProbeRan = { state: 'ran', probe: 'pg-connect', runId: 'abc12345', namespace: 'coder-preflight-abc12345', image: 'node:24', durationMs: 3000 };
const base: PgConnectProbeResult = { placement: 'anywhere the scheduler puts it', target: 'the database postgresql.coder.svc.cluster.local:5432', node: 'cp-1', namespace: 'coder' };
const fact = (over: Partial<PgConnectProbeResult>): { 'probe.pg-connect': ProbeFact<PgConnectProbeResult> } => ({ 'probe.pg-connect': { ...ran, ...base, ...over } });
const refused = (cause: string, message: string, reason = 'unauthorized') => ({ ok: false, failure: { reason, cause, message, hint: `fix ${cause}` } });

testCheck(check, {
  pass: [
    {
      name: 'resolves, reaches and logs in from the pod',
      facts: fact({ result: { ok: true, dns: { addresses: ['10.0.0.7'], ms: 2 }, connectMs: 12.5, sslmode: 'require', tls: true, version: '17.6', versionNum: 170006 } }),
      summary: "From a pod on node cp-1, postgresql.coder.svc.cluster.local:5432 resolves and accepts Coder's login: PostgreSQL 17.6 (TLS, sslmode=require) in 12.5 ms",
      evidence: { dns: '10.0.0.7 in 2 ms', serverVersion: '17.6', tls: true, node: 'cp-1' },
      check: (r) => expect(r.vantage).toBe('a pod on node cp-1 (anywhere the scheduler puts it)'),
    },
  ],
  fail: [
    {
      name: 'the name does not resolve inside the cluster, and a Service of a similar name exists',
      facts: fact({
        result: { ok: false, dns: { code: 'ENOTFOUND', ms: 3 }, failure: { reason: 'dns', cause: 'dns', message: 'cannot resolve postgresql.coder.svc.cluster.local (ENOTFOUND)' } },
        nearMisses: [{ host: 'coder-db-postgresql.coder.svc.cluster.local', service: 'coder-db-postgresql', namespace: 'coder', ports: [5432], why: 'Service coder/coder-db-postgresql has a name like postgresql' }],
      }),
      summary: "From a pod on node cp-1, the database host postgresql.coder.svc.cluster.local does not resolve (ENOTFOUND): Coder's pods would not find the database; did you mean coder-db-postgresql.coder.svc.cluster.local? (Service coder/coder-db-postgresql has a name like postgresql)",
      remediation: 'use coder-db-postgresql.coder.svc.cluster.local as the host (the cluster\'s DNS names a Service <service>.<namespace>.svc.cluster.local)',
      evidence: { cause: 'dns', similarServices: ['coder-db-postgresql.coder.svc.cluster.local (Service coder/coder-db-postgresql has a name like postgresql; ports 5432)'] },
    },
    { name: 'no Service is close: the DNS failure alone', facts: fact({ result: { ok: false, dns: { code: 'EAI_AGAIN', ms: 5000 }, failure: { reason: 'dns', cause: 'dns', message: 'cannot resolve' } } }), summary: /does not resolve \(EAI_AGAIN\): Coder's pods would not find the database$/, remediation: /a Service as <service>/ },
    { name: 'a refused password, from where Coder runs', facts: fact({ result: refused('auth-failed', 'password authentication failed for user "coder"') }), summary: 'From a pod on node cp-1, Coder could not connect: password authentication failed for user "coder"', remediation: 'fix auth-failed' },
    { name: 'nothing answers from the cluster: a failure there, not an error', facts: fact({ result: refused('timeout', 'no answer from db:5432 in time', 'timeout') }), summary: /Coder could not connect: no answer/ },
  ],
  warn: [
    { name: 'the pod never reported', facts: fact({ problem: 'pod pg-connect-1 landed on node kwok-1, which fakes pods (annotation kwok.x-k8s.io/node=fake): nothing ran there' }), summary: /^Inconclusive: pod pg-connect-1 landed on node kwok-1/ },
    {
      name: 'a TLS file this machine does not have (it may be mounted in Coder\'s pod)',
      facts: fact({ result: refused('sslrootcert-unreadable', 'cannot read sslrootcert /etc/coder/ca.pem: ENOENT', 'invalid-config'), missingFiles: ['sslrootcert /etc/coder/ca.pem'] }),
      summary: /this machine has no such file to give the probe \(sslrootcert \/etc\/coder\/ca.pem\)/,
    },
    { name: 'the server is still starting', facts: fact({ result: refused('server-starting', 'the server is not accepting connections yet', 'unreachable') }), summary: /did not complete/ },
  ],
  skip: [
    { name: 'not asked for', facts: { 'probe.pg-connect': { state: 'not-selected', probe: 'pg-connect', proves: 'x' } }, summary: /--probe pg-connect/ },
    { name: 'no database', facts: fact({ problem: 'no database is configured to connect to' }), summary: 'No database is configured to connect to from the cluster' },
  ],
  error: [{ name: 'the cluster could not be reached', facts: { 'probe.pg-connect': failed('unreachable', 'the API server did not answer') }, summary: /did not answer/ }],
});

describe('a database host as a Service name, and the Services it may have meant', () => {
  const services = [
    { name: 'coder-db-postgresql', namespace: 'coder', ports: [5432] },
    { name: 'coder-db-postgresql-hl', namespace: 'coder', ports: [5432] },
    { name: 'postgres', namespace: 'databases', ports: [5432] },
    { name: 'coder', namespace: 'coder', ports: [80] },
  ];
  it('reads every form of a cluster name, and nothing else', () => {
    expect(parseServiceName('postgresql', 'coder')).toEqual({ service: 'postgresql', namespace: 'coder', form: 'bare' });
    expect(parseServiceName('postgres.databases', 'coder')).toMatchObject({ service: 'postgres', namespace: 'databases', form: 'ns' });
    expect(parseServiceName('pg.db.svc', 'coder')).toMatchObject({ form: 'svc' });
    expect(parseServiceName('pg.db.svc.cluster.local.', 'coder')).toMatchObject({ form: 'fqdn', domain: 'cluster.local' });
    expect(parseServiceName('db.example.com', 'coder')).toBeUndefined();
    expect(parseServiceName('10.0.0.1', 'coder')).toBeUndefined();
  });
  it('suggests the chart\'s name for "postgresql", in the form the user wrote', () => {
    const near = nearMisses(parseServiceName('postgresql.coder.svc.cluster.local', 'coder')!, services, 5432);
    expect(near.map((n) => n.host)).toEqual(['coder-db-postgresql.coder.svc.cluster.local', 'coder-db-postgresql-hl.coder.svc.cluster.local', 'postgres.databases.svc.cluster.local']);
  });
  it('the right name in the wrong namespace comes first', () => {
    const near = nearMisses(parseServiceName('postgres.coder.svc', 'coder')!, services, 5432);
    expect(near[0]).toMatchObject({ host: 'postgres.databases.svc', why: 'Service postgres exists in namespace databases, not coder' });
  });
  it('a short or unlike name suggests nothing; the name itself is not a near miss', () => {
    expect(nearMisses(parseServiceName('db', 'coder')!, services)).toEqual([]);
    expect(nearMisses(parseServiceName('mysql-primary', 'coder')!, services)).toEqual([]);
    expect(nearMisses(parseServiceName('coder-db-postgresql', 'coder')!, services, 5432).map((n) => n.host)).toEqual(['coder-db-postgresql-hl']);
    expect(nearMisses(parseServiceName('coder-db', 'coder')!, services, 5432).map((n) => n.host)).toEqual(['coder-db-postgresql', 'coder-db-postgresql-hl']);
  });
});

describe('the login a probe pod gets', () => {
  it('keeps the password and TLS files out of the pod\'s arguments, and the agent puts them back', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const d = mkdtempSync(join(tmpdir(), 'pglogin-'));
    try {
      writeFileSync(join(d, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nCA\n');
      const s = { host: 'db', port: 5432, user: 'coder', password: 's3cr3t!', database: 'coder', sslmodeRaw: 'verify-full', sslrootcert: join(d, 'ca.pem'), sslcert: '/mounted/in/coder/client.crt', params: {}, source: 'test' };
      const { data, login, missingFiles } = pgLoginSecret(s);
      expect(data).toEqual({ password: 's3cr3t!', sslrootcert: '-----BEGIN CERTIFICATE-----\nCA\n' });
      expect(JSON.stringify(login)).not.toContain('s3cr3t!');
      expect(login).toMatchObject({ passwordFile: `${PG_MOUNT}/password`, files: { sslrootcert: `${PG_MOUNT}/sslrootcert`, sslcert: '/mounted/in/coder/client.crt' } });
      expect(missingFiles).toEqual(['sslcert /mounted/in/coder/client.crt']);
      // What the agent reads back, with the Secret's files where the pod mounts them.
      writeFileSync(join(d, 'password'), 's3cr3t!');
      const back = podSettings({ ...login, passwordFile: join(d, 'password'), files: { ...login.files, sslrootcert: join(d, 'ca.pem') } });
      expect(back).toMatchObject({ host: 'db', user: 'coder', password: 's3cr3t!', sslrootcert: join(d, 'ca.pem'), sslcert: '/mounted/in/coder/client.crt', sslmodeRaw: 'verify-full' });
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
  it('inline PEM (sslinline=true) travels in the Secret and comes back as text', () => {
    const { data, login } = pgLoginSecret({ host: 'db', port: 5432, user: 'u', database: 'd', sslmodeRaw: 'require', sslinline: true, sslkey: '-----BEGIN PRIVATE KEY-----\nK\n', params: {}, source: 't' });
    expect(data).toEqual({ sslkey: '-----BEGIN PRIVATE KEY-----\nK\n' });
    expect(JSON.stringify(login)).not.toContain('PRIVATE KEY');
    expect(login).toMatchObject({ inline: true, files: { sslkey: `${PG_MOUNT}/sslkey` } });
  });
});
