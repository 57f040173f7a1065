import check from '../../../../checks/postgres/connections.ts';
import type { Deployment } from '../../../../src/engine/types.ts';
import type { PostgresConnectionsFact } from '../../../../src/facts/postgres/connections.ts';
import { failed, ONE_REPLICA, testCheck } from '../../../helpers/check-tester.ts';

const server = (over: Partial<PostgresConnectionsFact> = {}): { 'postgres.connections': PostgresConnectionsFact } => ({
  'postgres.connections': { maxConnections: 100, superuserReserved: 3, reservedConnections: 0, inUse: 1, ours: 1, ...over },
});
const replicas = (n: number, pool?: number): Deployment => ({ replicas: n, replicasSource: 'test', ...(pool ? { poolPerReplica: { value: pool, where: 'values' } } : {}) });

testCheck(check, {
  pass: [
    {
      name: 'Coder 2.x: replicas × (10 + 1 LISTEN) × 1.2, against max_connections less reserved slots',
      facts: server(),
      profile: 'v2',
      deployment: replicas(3),
      summary: "97 connection slots free for Coder's 40 (3 replicas × (10 + 1 LISTEN) × 1.2)",
      evidence: { needed: 40, availableToCoder: 97 },
      threshold: { value: /^3 replicas × \(10 \+ 1 LISTEN\) × 1\.2$/, source: /^Coder 2\.x scale docs/ },
    },
    // 7 replicas need ceil(7 × 11 × 1.2) = 93 ≤ 97; 8 need 106 > 97
    { name: 'Coder 2.x: 7 replicas need 93 of 97', facts: server(), profile: 'v2', deployment: replicas(7), summary: "97 connection slots free for Coder's 93", evidence: { needed: 93 } },
    { name: 'default: 3 × 30 = 90 < 97', facts: server({ maxConnections: 100 }), deployment: replicas(3), summary: "97 connection slots free for Coder's 90 (3 replicas × (30), strictly below)" },
    { name: 'Coder v1: 90 < 91', facts: server({ maxConnections: 94 }), profile: 'v1', deployment: replicas(3), summary: "91 connection slots free for Coder's 90" },
    {
      name: 'Coder 2.x: the default pool 10 with PostgreSQL 16 reserved_connections',
      facts: server({ maxConnections: 50, reservedConnections: 5 }),
      profile: 'v2',
      deployment: replicas(2),
      summary: "42 connection slots free for Coder's 27",
      evidence: { needed: 27, availableToCoder: 42 },
    },
  ],
  warn: [
    {
      name: 'it only fits while other clients are disconnected',
      facts: server({ maxConnections: 20, inUse: 6, ours: 1 }), // needs 14, 17 available, 5 used by others
      profile: 'v2',
      deployment: ONE_REPLICA,
      summary: /5 are in use by other clients/,
    },
  ],
  fail: [
    {
      name: 'Coder 2.x: 8 replicas need 106 > 97',
      facts: server(),
      profile: 'v2',
      deployment: replicas(8),
      summary: 'Coder needs 106 connections',
      evidence: { needed: 106 },
      remediation: /raise max_connections to at least 109/,
    },
    // Coder opens 90; v1's rule wants them strictly below the 90 available: the rule is in the comparison, not the count.
    {
      name: 'default: 90 is not < 90',
      facts: server({ maxConnections: 93 }),
      deployment: replicas(3),
      summary: 'Coder needs 90 connections (3 replicas × (30), strictly below) but max_connections 93 leaves 90',
      evidence: { needed: 90, availableToCoder: 90 },
      remediation: /raise max_connections to at least 94,/,
    },
    {
      // 2 × (20 + 1) × 1.2 = 50.4 → 51 needed; 50 − 3 − 5 = 42 available
      name: 'Coder 2.x: the pool size from the values file, and PostgreSQL 16 reserved_connections',
      facts: server({ maxConnections: 50, reservedConnections: 5 }),
      profile: 'v2',
      deployment: replicas(2, 20),
      summary: 'Coder needs 51 connections',
      evidence: { needed: 51, poolPerReplica: 20, poolFrom: 'values', availableToCoder: 42 },
    },
  ],
  skip: [{ name: 'no database', facts: { 'postgres.connections': failed('not-configured', 'm', { hint: 'h' }) }, summary: 'm', remediation: 'h' }],
  error: [{ name: 'the settings could not be read', facts: { 'postgres.connections': failed('timeout', 'm') }, summary: 'Could not gather postgres.connections: m' }],
});
