// The Secret the database password (v1 postgres.passwordSecret) or URL (v2 coder.env secretKeyRef)
// was read from, as bytes and positions only: what the value looks like, never the value.
import { ClassifiedError } from '../../errors.ts';
import type { SecretValueReport } from '../../inputs/secret-value.ts';
import { CONNECT_FACT } from '../../postgres/session.ts';
import { defineCollector } from '../collector.ts';

declare module '../types.ts' {
  interface FactMap {
    'postgres.password-secret': SecretValueReport;
  }
}

export default defineCollector({
  id: 'postgres.password-secret',
  timeoutMs: 1000,
  async collect(ctx) {
    const pg = ctx.target.postgres;
    if (pg.state === 'absent') throw new ClassifiedError('not-configured', 'No database configured', pg.hint);
    // The Secret could not be read: the same cause postgres.connect tells.
    if (pg.state === 'unresolved') throw new ClassifiedError(pg.reason, pg.message, pg.hint, undefined, pg.causedBy ?? CONNECT_FACT);
    if (!pg.secret) throw new ClassifiedError('not-configured', `The database settings come from ${pg.settings.source}, not from a Secret`, 'nothing to check: no Secret holds the password or the URL');
    return pg.secret;
  },
});
