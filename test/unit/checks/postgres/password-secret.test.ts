import { describe, expect, it } from 'vitest';
import check from '../../../../checks/postgres/password-secret.ts';
import { inspectSecretValue, type SecretValueReport } from '../../../../src/inputs/secret-value.ts';
import { failed, testCheck } from '../../../helpers/check-tester.ts';

const report = (value: string | Buffer, holds: SecretValueReport['holds'] = 'password'): { 'postgres.password-secret': SecretValueReport } => {
  const raw = typeof value === 'string' ? Buffer.from(value) : value;
  return { 'postgres.password-secret': { secret: 'coder/db', key: holds === 'password' ? 'password' : 'url', holds, bytes: raw.length, problems: inspectSecretValue(raw) } };
};

describe('inspectSecretValue', () => {
  it('names each kind of problem with its byte position, and nothing for a clean value', () => {
    expect(inspectSecretValue(Buffer.from('s3cret-pw'))).toEqual([]);
    expect(inspectSecretValue(Buffer.from('s3cret-pw\n'))).toEqual([{ kind: 'ends with a newline', position: 10 }]);
    expect(inspectSecretValue(Buffer.from('s3cret-pw\r\n'))).toEqual([{ kind: 'ends with CR LF', position: 11 }]);
    expect(inspectSecretValue(Buffer.from(' pw '))).toEqual([{ kind: 'trailing whitespace', position: 4 }, { kind: 'leading whitespace', position: 1 }]);
    expect(inspectSecretValue(Buffer.from('a\nb'))).toEqual([{ kind: 'a line break inside', position: 2 }]);
    expect(inspectSecretValue(Buffer.from([0x70, 0x00, 0x77]))).toEqual([{ kind: 'a NUL byte', position: 2 }]);
    expect(inspectSecretValue(Buffer.from([0x70, 0xc3, 0x28]))).toEqual([{ kind: 'invalid UTF-8', position: 2 }]);
    expect(inspectSecretValue(Buffer.from('pässwörd'))).toEqual([]);
    expect(inspectSecretValue(Buffer.alloc(0))).toEqual([{ kind: 'empty', position: 0 }]);
  });
});

testCheck(check, {
  pass: [
    { name: 'a clean password', facts: report('s3cret-pw'), summary: 'Secret coder/db key "password" holds a clean password (9 bytes, no surrounding whitespace or line breaks)', evidence: { problems: [] } },
    { name: 'a clean URL with UTF-8 in it', facts: report('postgres://coder:pässwörd@db/coder', 'connection URL'), summary: 'holds a clean connection URL' },
  ],
  fail: [
    {
      name: 'a password with the newline echo adds',
      facts: report('s3cret-pw\n'),
      summary: 'The password in Secret coder/db key "password" has ends with a newline (byte 10 of 10): lib/pq sends those bytes as the password, so the login fails',
      remediation: "recreate it without them: printf '%s' '<the password>' > password && kubectl -n coder create secret generic db --from-file=./password",
      check: (r) => expect(JSON.stringify(r)).not.toContain('s3cret'),
    },
    { name: 'a URL with CR LF from a Windows editor', facts: report('postgres://coder:pw@db/coder\r\n', 'connection URL'), summary: /ends with CR LF \(byte 30 of 30\): Go refuses to parse a URL with control characters/ },
    { name: 'an empty value', facts: report(''), summary: 'has empty (byte 0 of 0)' },
  ],
  skip: [
    { name: 'the settings come from a flag, not a Secret', facts: { 'postgres.password-secret': failed('not-configured', 'The database settings come from --postgres-url, not from a Secret', { hint: 'nothing to check' }) }, summary: 'not from a Secret' },
  ],
  error: [{ name: 'the Secret could not be read', facts: { 'postgres.password-secret': failed('forbidden', 'could not read Secret coder/db key "password": forbidden (403)') }, summary: 'Could not gather postgres.password-secret: could not read Secret' }],
});
