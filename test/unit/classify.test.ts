// Error classification decides pass/fail/error downstream: a TLS problem is a definite fail, an
// unreachable host is "could not decide from here". Shapes below are the ones Node, undici and pg produce.
import { describe, expect, it } from 'vitest';
import { classifyKubeError } from '../../src/kubernetes/client.ts';
import { classifyPgError } from '../../src/postgres/connect.ts';
import { parsePostgresUrl } from '../../src/inputs/pgurl.ts';
import { parseDuration, parseOutputs } from '../../src/cli/options.ts';

const fetchFailed = (code: string, message = 'x') => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(message), { code }) });

describe('classifyKubeError', () => {
  it.each([
    [fetchFailed('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 'tls'],
    [fetchFailed('DEPTH_ZERO_SELF_SIGNED_CERT'), 'tls'],
    [fetchFailed('ERR_TLS_CERT_ALTNAME_INVALID'), 'tls'],
    [fetchFailed('CERT_HAS_EXPIRED'), 'tls'],
    [fetchFailed('ECONNREFUSED'), 'unreachable'],
    [fetchFailed('ENOTFOUND'), 'dns'],
    [fetchFailed('UND_ERR_CONNECT_TIMEOUT'), 'timeout'],
    [Object.assign(new Error('HTTP-Code: 401'), { code: 401 }), 'unauthorized'],
    [Object.assign(new Error('HTTP-Code: 403'), { code: 403, body: '{"message":"nope"}' }), 'forbidden'],
    [Object.assign(new Error('HTTP-Code: 500'), { code: 500 }), 'protocol'],
  ] as const)('%#: → %s', (err, reason) => {
    expect(classifyKubeError(err).reason).toBe(reason);
  });
});

describe('classifyPgError', () => {
  const s = parsePostgresUrl('postgres://coder:pw@db.example:5432/coder', 'test');
  // Each cause has its own message and its own advice: the hint names what to do about that cause.
  it.each([
    [{ code: '28P01', message: 'password authentication failed for user "coder"' }, 'unauthorized', /password authentication failed for user "coder"/, /special characters must be URL-encoded/],
    [{ code: '28000', message: 'no pg_hba.conf entry for host' }, 'unauthorized', /no pg_hba\.conf entry/, /pg_hba\.conf does not admit/],
    [{ code: '3D000', message: 'database "coder" does not exist' }, 'invalid-config', /database "coder" does not exist/, /CREATE DATABASE coder OWNER coder/],
    [{ code: '53300', message: 'sorry, too many clients already' }, 'capacity', /^PostgreSQL at db\.example:5432 is out of connection slots: sorry, too many clients already$/, /raise max_connections, or close idle clients/],
    [new Error('The server does not support SSL connections'), 'tls', /server does not support TLS/, /enable TLS on the server, or add \?sslmode=disable/],
    [{ code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND db.example' }, 'dns', /cannot resolve db\.example/, /in-cluster names .* do not resolve outside the cluster/],
    [{ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }, 'unreachable', /connection refused by db\.example:5432/, /listen_addresses, port, firewall/],
    [new Error('Connection terminated due to connection timeout'), 'timeout', /no answer from db\.example:5432 in time/, /routing and firewalls/],
    [{ code: 'SELF_SIGNED_CERT_IN_CHAIN', message: 'self-signed certificate in certificate chain' }, 'tls', /TLS verification failed: self-signed certificate/, /sslrootcert=<file>/],
  ] as const)('%#: → %s', (err, reason, message, hint) => {
    const f = classifyPgError(err, s);
    expect(f.reason).toBe(reason);
    expect(f.message).toMatch(message);
    expect(f.hint).toMatch(hint);
  });
});

describe('CLI argument parsing', () => {
  it('parses durations', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('45')).toBe(45_000);
    expect(() => parseDuration('10ms')).toThrow(/too short/);
    expect(() => parseDuration('fast')).toThrow(/not a duration/);
  });
  it('parses outputs: default table, format=file, one stdout only', () => {
    expect(parseOutputs(undefined)).toEqual([{ format: 'table' }]);
    expect(parseOutputs(['json', 'junit=/tmp/j.xml'])).toEqual([{ format: 'json' }, { format: 'junit', file: '/tmp/j.xml' }]);
    expect(() => parseOutputs(['json', 'table'])).toThrow(/only one --output can go to stdout/);
    expect(() => parseOutputs(['junit='])).toThrow(/missing file name/);
    expect(() => parseOutputs(['yaml'])).toThrow(/unknown output format/);
  });
});
