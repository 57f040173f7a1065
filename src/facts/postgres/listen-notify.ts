// Coder's pubsub is PostgreSQL LISTEN/NOTIFY on one dedicated connection per replica. Try it the
// same way: LISTEN on a second connection, pg_notify() on the first, wait for delivery. Nothing is
// written; the channel name is unique to this run.
import { randomBytes } from 'node:crypto';
import type { Notification } from 'pg';
import { defineCollector, FactError } from '../collector.ts';
import { classifyPgError, connect } from '../../postgres/connect.ts';
import { pgSettings, postgresClient, queryRow } from './server.ts';

/** How long a NOTIFY may take before we call it lost (Coder's pubsub expects near-immediate delivery). */
export const DELIVERY_WAIT_MS = 3000;

export default defineCollector({
  id: 'postgres.listen-notify',
  timeoutMs: 15_000,
  async collect(ctx) {
    const { client: notifier } = await postgresClient(ctx);
    const settings = pgSettings(ctx.target);
    const channel = `coder_preflight_${randomBytes(6).toString('hex')}`;
    const { r: inRecovery } = await queryRow<{ r: boolean }>(ctx, 'SELECT pg_is_in_recovery() AS r', 'recovery state');
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
        throw new FactError(f.reason, `LISTEN failed: ${(e as Error).message}`, inRecovery ? 'this server is a standby (in recovery): point Coder at the primary' : f.hint, { inRecovery });
      }
      const listening = (await listener.query<{ c: string }>('SELECT pg_listening_channels() AS c')).rows.map((r) => r.c);
      sentAt = performance.now();
      await notifier.query('SELECT pg_notify($1, $2)', [channel, 'ping']);
      let timer: NodeJS.Timeout | undefined;
      const lost = new Promise<null>((r) => {
        timer = setTimeout(() => r(null), DELIVERY_WAIT_MS);
      });
      const ms = await Promise.race([delivered, lost]);
      clearTimeout(timer);
      await listener.query(`UNLISTEN ${channel}`).catch(() => undefined);
      return {
        channel,
        delivered: ms !== null,
        deliveryMs: ms === null ? null : Math.round(ms * 10) / 10,
        waitedMs: ms === null ? DELIVERY_WAIT_MS : Math.round(ms * 10) / 10,
        listeningChannels: listening,
        inRecovery,
      };
    } catch (e) {
      throw classifyPgError(e, settings);
    } finally {
      await listener.end().catch(() => undefined);
    }
  },
});
