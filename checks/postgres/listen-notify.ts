// Coder's pubsub (coderd/database/pubsub) uses PostgreSQL LISTEN/NOTIFY on a dedicated connection
// per replica. Behind a transaction-pooling proxy (PgBouncer pool_mode=transaction) LISTEN is
// accepted but no NOTIFY ever arrives (install-failures #21); a standby cannot LISTEN at all.
import { defineCheck } from '../../src/engine/define.ts';

export default defineCheck({
  id: 'postgres.listen-notify',
  title: 'LISTEN/NOTIFY delivers notifications',
  category: 'postgres',
  facts: ['postgres.listen-notify'],
  docs: 'https://coder.com/docs/admin/infrastructure/architecture',
  tags: ['active'],
  explain: {
    what: 'Opens a second connection with the same settings, LISTENs on a channel unique to this run, sends pg_notify() from the first connection and waits up to 3 s for the notification. Writes nothing.',
    why: 'Coder\'s replicas coordinate workspace builds, agent connections and live updates through LISTEN/NOTIFY. A transaction-pooling proxy (PgBouncer, RDS Proxy and similar) between Coder and PostgreSQL accepts LISTEN but drops notifications, so workspaces hang in "starting" with no error; a read-only standby refuses LISTEN.',
    fix: 'Point Coder directly at PostgreSQL (or at a pooler in session mode), and at the primary, not a replica or reader endpoint.',
  },
  // A standby refusing LISTEN is a finding: Coder's pubsub would fail the same way.
  onFactFailure({ 'postgres.listen-notify': n }) {
    if (n.ok || n.detail?.inRecovery !== true) return undefined;
    return { status: 'fail', summary: `LISTEN is refused: the server is a standby in recovery (${n.message})`, remediation: n.hint ?? 'point Coder at the primary', evidence: { reason: n.reason, inRecovery: true } };
  },
  evaluate({ 'postgres.listen-notify': f }) {
    const evidence = { channel: f.channel, delivered: f.delivered, deliveryMs: f.deliveryMs, waitedMs: f.waitedMs, listeningChannels: f.listeningChannels, inRecovery: f.inRecovery };
    if (!f.delivered) {
      const pooled = !f.listeningChannels.includes(f.channel);
      return {
        status: 'fail',
        summary: `A NOTIFY sent to a listening connection did not arrive within ${f.waitedMs} ms${pooled ? '; the listener was not even registered on the next statement — a transaction-pooling proxy is switching server connections' : ''}`,
        remediation: 'connect Coder directly to PostgreSQL or through a pooler in session mode (PgBouncer pool_mode=session): Coder\'s pubsub needs LISTEN/NOTIFY on a stable connection',
        evidence,
      };
    }
    return { status: 'pass', summary: `NOTIFY reached the listening connection in ${f.deliveryMs} ms`, evidence };
  },
});
