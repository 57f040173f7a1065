// One PostgreSQL session per run, shared by every postgres.* collector. Queries on it run one at
// a time, in order: pg queues concurrent queries on a client itself, but warns that it will stop
// doing so ("Calling client.query() when the client is already executing a query").
import type { Client, QueryResultRow } from 'pg';
import { ClassifiedError } from '../errors.ts';
import type { CollectContext } from '../facts/collector.ts';
import type { PgSettings } from '../inputs/pgurl.ts';
import { classifyPgError, connect } from './connect.ts';

export class PgSession {
  readonly client: Client;
  readonly sslmode: string;
  readonly connectMs: number;
  readonly settings: PgSettings;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(opened: { client: Client; sslmode: string; connectMs: number }, settings: PgSettings) {
    this.client = opened.client;
    this.sslmode = opened.sslmode;
    this.connectMs = opened.connectMs;
    this.settings = settings;
  }

  /** Run a query after every query queued before it; errors are classified like every postgres fact. */
  query<T extends QueryResultRow>(sql: string, params?: unknown[]): Promise<T[]> {
    const run = this.tail.then(
      () => this.client.query<T>(sql, params),
      () => this.client.query<T>(sql, params),
    );
    this.tail = run.catch(() => undefined);
    return run.then(
      (r) => r.rows,
      (e: unknown) => {
        throw classifyPgError(e, this.settings, { phase: 'query' });
      },
    );
  }

  /** Exactly one row, or a `protocol` failure naming what was missing. */
  async row<T extends QueryResultRow>(sql: string, what: string, params?: unknown[]): Promise<T> {
    const [row] = await this.query<T>(sql, params);
    if (!row) throw new ClassifiedError('protocol', `the server returned no ${what}`);
    return row;
  }
}

/** The configured settings, or the not-configured/unresolved failure that explains why there are none. */
export function pgSettings(ctx: CollectContext): PgSettings {
  const pg = ctx.target.postgres;
  if (pg.state === 'absent') throw new ClassifiedError('not-configured', 'No database configured', pg.hint);
  if (pg.state === 'unresolved') throw new ClassifiedError(pg.reason, pg.message, pg.hint, undefined, pg.causedBy);
  return pg.settings;
}

/** The run's session: opened on first use, closed when the run ends. */
export function pgSession(ctx: CollectContext): Promise<PgSession> {
  const settings = pgSettings(ctx);
  return ctx.resources.use(
    'postgres.session',
    async () => new PgSession(await connect(settings, ctx.timeoutMs, ctx.signal), settings),
    async (s) => {
      await s.client.end().catch(() => {});
    },
  );
}

/** The fact that proves the database accepts Coder's connection; the others build on it. */
export const CONNECT_FACT = 'postgres.server';

/**
 * For every postgres.* collector but the connection's own: the shared session once the
 * connection fact succeeded. When it failed, that one cause is told once, by postgres.connect.
 */
export async function withPostgres<T>(ctx: CollectContext, fn: (s: PgSession) => Promise<T>): Promise<T> {
  await ctx.need(CONNECT_FACT);
  const session = await pgSession(ctx);
  try {
    return await fn(session);
  } catch (e) {
    throw classifyPgError(e, session.settings, { phase: 'query' });
  }
}
