import { expect } from 'vitest';
import check from '../../../../checks/postgres/listen-notify.ts';
import type { ListenNotifyFact } from '../../../../src/facts/postgres/listen-notify.ts';
import { failed, testCheck } from '../../../helpers/check-tester.ts';

const fact = (over: Partial<ListenNotifyFact> = {}): { 'postgres.listen-notify': ListenNotifyFact } => ({
  'postgres.listen-notify': { channel: 'coder_preflight_x', delivered: true, deliveryMs: 1.2, waitedMs: 1.2, listeningChannels: ['coder_preflight_x'], inRecovery: false, ...over },
});

testCheck(check, {
  pass: [{ name: 'the notification arrives, with the delivery time', facts: fact(), summary: 'NOTIFY reached the listening connection in 1.2 ms', evidence: { delivered: true, deliveryMs: 1.2 } }],
  fail: [
    {
      name: 'it never arrives and the listener vanished: a transaction pooler',
      facts: fact({ delivered: false, deliveryMs: null, waitedMs: 3000, listeningChannels: [] }),
      summary: /did not arrive within 3000 ms; .*transaction-pooling proxy/,
      remediation: /session mode/,
    },
    {
      name: 'it never arrives, the listener still registered: no pooler named',
      facts: fact({ delivered: false, deliveryMs: null, waitedMs: 3000 }),
      summary: 'did not arrive within 3000 ms',
      check: (r) => expect(r.summary).not.toMatch(/transaction-pooling/),
    },
    {
      name: 'a standby',
      facts: { 'postgres.listen-notify': failed('protocol', 'cannot execute LISTEN during recovery', { hint: 'point Coder at the primary', detail: { inRecovery: true } }) },
      summary: 'LISTEN is refused: the server is a standby in recovery (cannot execute LISTEN during recovery)',
      remediation: 'point Coder at the primary',
      check: (r) => expect(r.remediation).toBe('point Coder at the primary'),
    },
  ],
  error: [{ name: 'it could not try (timeout)', facts: { 'postgres.listen-notify': failed('timeout', 'm') }, summary: 'Could not gather postgres.listen-notify: m' }],
  skip: [{ name: 'no database', facts: { 'postgres.listen-notify': failed('not-configured', 'm', { hint: 'h' }) }, summary: 'm', remediation: 'h' }],
});
