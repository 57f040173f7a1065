// The connection string as Coder will read it (src/inputs/pgurl.ts: Coder's own escaping, Go's
// net/url, lib/pq's parser): what it resolves to, what Coder escapes itself, and what may not be
// meant. A string Coder refuses is this fact's failure, with what is wrong and where; the other
// postgres.* facts then point here. No secret in it: the password is a yes/no.
import { ClassifiedError } from '../../errors.ts';
import { effectiveSslMode, type PgSyntax, type SslMode } from '../../inputs/pgurl.ts';
import { CONNECT_FACT } from '../../postgres/session.ts';
import { defineCollector } from '../collector.ts';

export interface PostgresUrlFact {
  /** Where the settings came from (flag, env var, values file, Secret). */
  source: string;
  /** 'url' or 'dsn' (key=value), as lib/pq reads it; 'fields': built from values-file fields, nothing to parse. */
  form: 'url' | 'dsn' | 'fields';
  host: string;
  /** null when Go misread the URL (the port is then a piece of the password). */
  port: number | null;
  user: string;
  /** null when Go misread the URL. */
  database: string | null;
  /** As written; null: none (lib/pq then uses require). */
  sslmode: string | null;
  effectiveSslmode: SslMode;
  /** The string itself carries a password (not --password-file or a prompt). */
  hasPassword: boolean;
  /** The parameters the string sets that lib/pq sends to the server as run-time parameters. */
  params: Record<string, string>;
  sslrootcert: string | null;
  sslcert: string | null;
  sslkey: string | null;
  /** Characters of the password Coder's escapePostgresURLUserInfo encodes itself. */
  coderEscaped: PgSyntax['coderEscaped'];
  /** It parses, but probably not as meant. */
  warnings: PgSyntax['warnings'];
  /** Go read the host part short: port and database come from the password (null here, so no report shows them). */
  misread: boolean;
  /** CODER_PG_AUTH as Coder will see it (password | awsiamrds), and where that came from. */
  pgAuth: { value: string; where: string };
}

declare module '../types.ts' {
  interface FactMap {
    'postgres.url': PostgresUrlFact;
  }
}

export default defineCollector({
  id: 'postgres.url',
  timeoutMs: 1000,
  async collect(ctx) {
    const pg = ctx.target.postgres;
    if (pg.state === 'absent') throw new ClassifiedError('not-configured', 'No database configured', pg.hint);
    if (pg.state === 'unresolved') {
      if (!pg.syntax) throw new ClassifiedError(pg.reason, pg.message, pg.hint, undefined, pg.causedBy ?? CONNECT_FACT);
      const first = pg.syntax.problems[0];
      throw new ClassifiedError(pg.reason, pg.message, pg.hint, {
        form: pg.syntax.form,
        kind: first?.kind ?? null,
        position: first?.position ?? null,
        char: first?.char ?? null,
        encoded: first?.encoded ?? null,
        problems: pg.syntax.problems.length,
        length: pg.syntax.length,
        ...(pg.syntax.problems.length > 1 ? { others: pg.syntax.problems.slice(1).map((p) => `${p.kind}${p.position ? ` at ${p.position}` : ''}${p.encoded ? ` (${p.encoded})` : ''}`).join('; ') } : {}),
      });
    }
    const s = pg.settings;
    const eff = effectiveSslMode(s);
    return {
      source: s.source,
      form: s.syntax?.form ?? 'fields',
      host: s.host,
      port: s.syntax?.misread ? null : s.port,
      user: s.user,
      database: s.syntax?.misread ? null : s.database,
      sslmode: s.sslmodeRaw ?? null,
      effectiveSslmode: 'mode' in eff ? eff.mode : 'require',
      hasPassword: s.syntax ? s.syntax.passwordInString : s.password !== undefined && s.password !== '',
      params: s.params,
      sslrootcert: s.sslinline ? null : (s.sslrootcert ?? null),
      sslcert: s.sslinline ? null : (s.sslcert ?? null),
      sslkey: s.sslinline ? null : (s.sslkey ?? null),
      coderEscaped: s.syntax?.coderEscaped ?? [],
      warnings: s.syntax?.warnings ?? [],
      misread: s.syntax?.misread === true,
      pgAuth: ctx.target.pgAuth ?? { value: 'password', where: 'default' },
    };
  },
});
