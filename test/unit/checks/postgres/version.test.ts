import check from '../../../../checks/postgres/version.ts';
import type { PostgresServerFact } from '../../../../src/facts/postgres/server.ts';
import { failed, testCheck } from '../../../helpers/check-tester.ts';

const server = (versionNum: number): { 'postgres.server': PostgresServerFact } => {
  const major = Math.floor(versionNum / 10000);
  return { 'postgres.server': { host: 'db', port: 5432, database: 'coder', user: 'coder', source: 'x', sslmode: 'require', tls: true, versionNum, version: `${major}.${versionNum % 100}`, major, versionString: '', connectMs: 1 } };
};

testCheck(check, {
  pass: [
    { name: 'baseline: 13 passes', facts: server(130023), summary: 'PostgreSQL 13.23 meets the minimum 11' },
    { name: 'Coder 2.x: exactly 130000 passes', facts: server(130000), profile: 'v2', summary: 'meets the minimum 13' },
    { name: 'Coder v1: 11 passes', facts: server(110022), profile: 'v1', summary: 'meets the minimum 11' },
    {
      name: 'says where the threshold came from and when community support ends',
      facts: server(170010),
      profile: 'v2',
      summary: 'community support for 17 ends 2029-11',
      threshold: { value: '>= 13', source: /cli\/server\.go/ },
      evidence: { serverVersionNum: 170010, minimumMajor: 13, communitySupportEnds: '2029-11' },
    },
    {
      name: 'a config override of the minimum applies and says so',
      facts: server(140010),
      profile: 'v2',
      options: { minMajor: 14 },
      summary: 'meets the minimum 14',
      threshold: { value: '>= 14', source: /^test\.config\.yaml: thresholds\.postgres\.version sets minMajor=14 \(default: Coder 2\.x cli\/server\.go/ },
    },
  ],
  warn: [
    { name: 'baseline: 11 works for v1 but not for Coder 2.x', facts: server(110022), summary: 'PostgreSQL 11.22 works for Coder v1, but Coder 2.x refuses versions below 13', remediation: /plan an upgrade to PostgreSQL 13/ },
    { name: 'baseline: 12 warns', facts: server(120022), summary: 'Coder 2.x refuses versions below 13' },
  ],
  fail: [
    { name: 'baseline: 10 is below the minimum 11', facts: server(100023), summary: 'PostgreSQL 10.23 is older than 11', remediation: /upgrade the server to PostgreSQL 13/ },
    { name: 'Coder 2.x: 12 fails', facts: server(120022), profile: 'v2', summary: /older than 13, the minimum for Coder 2\.x/, threshold: { value: '>= 13' } },
    { name: 'Coder v1: 10 fails', facts: server(100023), profile: 'v1', summary: 'older than 11' },
    { name: 'a stricter override fails what the default passes', facts: server(140010), profile: 'v2', options: { minMajor: 15 }, summary: 'older than 15' },
  ],
  skip: [{ name: 'no database configured', facts: { 'postgres.server': failed('not-configured', 'No database configured', { hint: 'pass --postgres-url' }) }, summary: 'No database configured', remediation: 'pass --postgres-url' }],
  error: [{ name: 'the version could not be read', facts: { 'postgres.server': failed('unreachable', 'refused') }, summary: 'Could not gather postgres.server: refused' }],
});
