// Coder's pubsub is PostgreSQL LISTEN/NOTIFY on one dedicated connection per replica. Try it the
// same way: LISTEN on a second connection, pg_notify() on the first, wait for delivery. Nothing is
// written; the channel name is unique to this run.
import { randomBytes } from 'node:crypto';
import type { Notification } from 'pg';
import { withDeadline } from '../../deadline.ts';
import { ClassifiedError } from '../../errors.ts';
import { classifyPgError, connect } from '../../postgres/connect.ts';
import { withPostgres } from '../../postgres/session.ts';
import { defineCollector } from '../collector.ts';

export interface ListenNotifyFact {
  channel: string;
  /** NOTIFY arrived at the listening connection. */
  delivered: boolean;
  /** Time from pg_notify() to delivery, ms (null when not delivered). */
  deliveryMs: number | null;
  waitedMs: number;
  /** pg_listening_channels() on the listener, right after LISTEN: empty means a pooler switched connections. */
  listeningChannels: string[];
  /** pg_is_in_recovery(): a standby cannot LISTEN. */
  inRecovery: boolean;
}

declare module '../types.ts' {
  interface FactMap {
    'postgres.listen-notify': ListenNotifyFact;
  }
}

/** How long a NOTIFY may take before we call it lost (Coder's pubsub expects near-immediate delivery). */
export const DELIVERY_WAIT_MS = 3000;

export default defineCollector({
  id: 'postgres.listen-notify',
  timeoutMs: 15_000,
  collect: (ctx) =>
    withPostgres(ctx, async (notifier) => {
      const settings = notifier.settings;
      const channel = `coder_preflight_${randomBytes(6).toString('hex')}`;
      const { r: inRecovery } = await notifier.row<{ r: boolean }>('SELECT pg_is_in_recovery() AS r', 'recovery state');
      const { client: listener } = await connect(settings, ctx.timeoutMs, ctx.signal);
      try {
        let resolveDelivery: (ms: number) => void = () => {};
        const delivered = new Promise<number>((r) => (resolveDelivery = r));
        let sentAt = 0;
        listener.on('notification', (n: Notification) => {
          if (n.channel === channel) resolveDelivery(performance.now() - sentAt);
        });
        try {
          await listener.query(`LISTEN ${channel}`);
        } catch (e) {
          const f = classifyPgError(e, settings);
          throw new ClassifiedError(f.reason, `LISTEN failed: ${(e as Error).message}`, inRecovery ? 'this server is a standby (in recovery): point Coder at the primary' : f.hint, { inRecovery });
        }
        const listening = (await listener.query<{ c: string }>('SELECT pg_listening_channels() AS c')).rows.map((r) => r.c);
        sentAt = performance.now();
        await notifier.query('SELECT pg_notify($1, $2)', [channel, 'ping']);
        const ms = await withDeadline<number | null>(delivered, { ms: DELIVERY_WAIT_MS, onTimeout: () => null });
        await listener.query(`UNLISTEN ${channel}`).catch(() => undefined);
        return {
          channel,
          delivered: ms !== null,
          deliveryMs: ms === null ? null : Math.round(ms * 10) / 10,
          waitedMs: ms === null ? DELIVERY_WAIT_MS : Math.round(ms * 10) / 10,
          listeningChannels: listening,
          inRecovery,
        };
      } finally {
        await listener.end().catch(() => undefined);
      }
    }),
});
