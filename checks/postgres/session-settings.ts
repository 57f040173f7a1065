// Managed PostgreSQL often sets statement_timeout / lock_timeout on a role or in a parameter group;
// Coder's migrations then die mid-run ("canceling statement due to statement timeout") and the
// deployment crash-loops (coder-install-failures.md D14). Coder itself sets none of these.
//
// Why each matters, from Coder's source (coderd/database/migrations/txnmigrator.go, migrate.go,
// coderd/database/pubsub/pubsub.go):
// - all pending migrations run in one transaction and each migration file is sent as one
//   statement, so statement_timeout bounds a whole file, however much data it rewrites;
// - a replica that starts while another migrates waits in pg_advisory_xact_lock (golang-migrate's
//   LockTimeout: 2 min), and both timeouts cancel that wait; migrations also wait for table locks;
// - the pubsub's LISTEN connection is idle by design and the pool keeps idle connections, so any
//   idle_session_timeout closes them (requests fail, subscribers get ErrDroppedMessages);
// - Coder runs a transaction's statements back to back (a migration run is idle between files for
//   milliseconds), so idle_in_transaction_session_timeout only bites when it is short.
import { defineCheck } from '../../src/engine/define.ts';
import { sqlIdent as ident } from '../../src/postgres/sql.ts';
import type { PostgresSessionSettingsFact, SessionTimeoutName, StoredSetting } from '../../src/facts/postgres/session-settings.ts';

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/** A stored or URL value ("5s", "1min", "5000", "0") in ms, the way PostgreSQL reads it (no unit: ms); null if it is not a time. */
export function parseMs(value: string): number | null {
  const m = /^\s*'?\s*(\d+(?:\.\d+)?)\s*(us|ms|s|min|h|d)?\s*'?\s*$/.exec(value);
  return m ? Number(m[1]) * UNIT_MS[m[2] ?? 'ms']! : null;
}

/** ms in PostgreSQL's own words: 5000 → 5s, 60000 → 1min, 90000 → 90s. */
export function formatMs(ms: number): string {
  if (ms === 0) return '0';
  for (const [u, f] of [['d', 86_400_000], ['h', 3_600_000], ['min', 60_000], ['s', 1000]] as const) if (ms % f === 0) return `${ms / f}${u}`;
  return `${ms}ms`;
}


const OPTION = {
  statement_timeout: 'acceptStatementTimeoutFromMs',
  lock_timeout: 'acceptLockTimeoutFromMs',
  idle_session_timeout: 'acceptIdleSessionTimeoutFromMs',
  idle_in_transaction_session_timeout: 'acceptIdleInTransactionTimeoutFromMs',
} as const satisfies Record<SessionTimeoutName, string>;

const HARM: Record<SessionTimeoutName, string> = {
  statement_timeout: 'a migration that runs longer, or a replica waiting for another one\'s migration lock, is cancelled',
  lock_timeout: 'a migration waiting that long for a table lock or for the migration lock is cancelled',
  idle_session_timeout: 'idle pooled connections and the pubsub LISTEN connection are closed (failed requests, dropped notifications)',
  idle_in_transaction_session_timeout: 'a transaction paused that long is ended with its session',
};

interface Place {
  /** "user (role coder)", "the connection URL", … */
  where: string;
  /** The statement or step that removes it. */
  reset: string;
}

function storedPlace(scope: StoredSetting['scope'], name: string, user: string, db: string): Place {
  switch (scope) {
    case 'database user':
      return { where: `database user (role ${user} in database ${db})`, reset: `ALTER ROLE ${ident(user)} IN DATABASE ${ident(db)} RESET ${name}` };
    case 'user':
      return { where: `user (role ${user})`, reset: `ALTER ROLE ${ident(user)} RESET ${name}` };
    case 'database':
      return { where: `database (database ${db})`, reset: `ALTER DATABASE ${ident(db)} RESET ${name}` };
    case 'global':
      return { where: 'global (ALTER ROLE ALL)', reset: `ALTER ROLE ALL RESET ${name}` };
  }
}

const STORED_SCOPES = new Set<string>(['database user', 'user', 'database', 'global']);
/** Levels a role cannot always change (a managed service's parameter group): say how to override them for Coder alone. */
const SERVER_WIDE = new Set<string>(['configuration file', 'command line', 'global', 'default']);

/** Every place that gives this role in this database a non-zero value, the one in effect first. */
function places(f: PostgresSessionSettingsFact, name: SessionTimeoutName, source: string | null, sourceFile: string | null, inUrl: boolean): { places: Place[]; override?: string } {
  const out: Place[] = [];
  const { user, database: db } = f;
  if (inUrl) out.push({ where: 'the connection URL', reset: `remove ${name} from the connection URL (Coder's driver sends it to the server)` });
  const stored = (f.stored ?? []).filter((x) => x.name === name && parseMs(x.value) !== 0);
  // The effective source first, then whatever lies under it.
  const effective = source && STORED_SCOPES.has(source) ? stored.filter((x) => x.scope === source) : [];
  for (const x of [...effective, ...stored.filter((x) => !effective.includes(x))]) out.push(storedPlace(x.scope, name, user, db));
  // Not readable (or not found): pg_settings.source still names the level in effect.
  if (!inUrl && source && STORED_SCOPES.has(source) && effective.length === 0) out.unshift(storedPlace(source as StoredSetting['scope'], name, user, db));
  if (!inUrl && source === 'configuration file') {
    out.unshift({
      where: `configuration file (${sourceFile ?? 'which file is not visible to this role'})`,
      reset: `remove ${name} from the server configuration (postgresql.conf, ALTER SYSTEM RESET ${name}, or the managed service's parameter group) and reload it`,
    });
  } else if (!inUrl && source === 'command line') {
    out.unshift({ where: 'command line (the server was started with it)', reset: `remove -c ${name}=… from the server's start-up options and restart it` });
  } else if (!inUrl && source && !STORED_SCOPES.has(source)) {
    out.unshift({ where: source, reset: `find what sets ${name} for this session (source "${source}": a pooler's connect options, PGOPTIONS, a build default) and remove it` });
  }
  // Under a server-wide value, a role-level 0 wins for Coder's role alone.
  return !inUrl && source && SERVER_WIDE.has(source) ? { places: out, override: `or, for Coder's role alone: ALTER ROLE ${ident(user)} SET ${name} = 0` } : { places: out };
}

export default defineCheck({
  id: 'postgres.session-settings',
  title: 'No session timeout would cut Coder\'s migrations or connections',
  category: 'postgres',
  facts: ['postgres.session-settings'],
  docs: 'https://coder.com/docs/tutorials/external-database',
  defaults: {
    baseline: {
      acceptStatementTimeoutFromMs: 0,
      acceptLockTimeoutFromMs: 0,
      acceptIdleSessionTimeoutFromMs: 0,
      acceptIdleInTransactionTimeoutFromMs: 60_000,
      failStatementTimeoutBelowMs: 20,
      source:
        'Coder\'s source (coderd/database/migrations, pubsub): each migration file is one statement inside one transaction and replicas wait up to 2 min for the migration lock, the LISTEN connection is idle by design — so any statement_timeout, lock_timeout or idle_session_timeout warns (0: no value is accepted; set one to accept values at least that long); Coder\'s transactions are not idle between statements, so idle_in_transaction_session_timeout of 1 min or more is accepted (our judgement); a statement_timeout under 20 ms fails: the real coder server v2.30.0 refused to start at 2, 5 and 10 ms ("canceling statement due to statement timeout" while migrating) and started at 20, 100 and 300 ms on a fresh PostgreSQL 17 (test/integration/coder-fidelity.test.ts)',
    },
  },
  explain: {
    what: 'As Coder\'s role, in Coder\'s database, reads statement_timeout, lock_timeout, idle_in_transaction_session_timeout and idle_session_timeout (PostgreSQL 14+) with where each comes from (pg_settings.source), every ALTER ROLE / ALTER DATABASE … SET that applies (pg_db_role_setting: role in database, role, database, all roles), and any of them in the connection URL (Coder\'s lib/pq sends those to the server). What it cannot read it says so.',
    why: 'Coder migrates its schema at start-up in one transaction, each migration file one statement, and a replica that starts meanwhile waits up to 2 minutes for the migration lock: a statement_timeout or lock_timeout (managed services\' parameter groups often set 10–30 s) cancels them — "canceling statement due to statement timeout" — and Coder crash-loops. idle_session_timeout closes Coder\'s idle pooled connections and its LISTEN connection, which is idle by design. A short idle_in_transaction_session_timeout ends a paused transaction with its session.',
    fix: 'Reset the setting where it is set: ALTER ROLE <role> RESET statement_timeout, ALTER DATABASE <db> RESET …, ALTER ROLE <role> IN DATABASE <db> RESET …, ALTER ROLE ALL RESET …, or remove it from the server configuration / parameter group; or override it for Coder alone with ALTER ROLE <role> SET statement_timeout = 0. Remove it from the connection URL if it is there.',
  },
  evaluate({ 'postgres.session-settings': f }, { options }) {
    const evidence: Record<string, string | number | boolean | null | string[]> = { user: f.user, database: f.database };
    const key = (name: string) => name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    const bad: { name: SessionTimeoutName; ms: number; places: Place[]; override?: string }[] = [];
    const accepted: string[] = [];
    const shown: string[] = [];
    for (const s of f.settings) {
      if (!s.exists) {
        evidence[key(s.name)] = 'absent (before PostgreSQL 14)';
        shown.push(`${s.name} absent`);
        continue;
      }
      const url = f.fromUrl.find((x) => x.name === s.name);
      const ms = url ? parseMs(url.value) : s.ms;
      const source = url ? 'the connection URL' : s.source;
      const shownValue = url ? url.value : formatMs(s.ms ?? 0);
      evidence[key(s.name)] = shownValue;
      evidence[`${key(s.name)}SetBy`] = source;
      if (!url && s.sourceFile) evidence[`${key(s.name)}File`] = s.sourceFile;
      shown.push(`${s.name}=${shownValue}`);
      if (ms === null || ms <= 0) continue;
      const accept = options[OPTION[s.name]];
      if (accept > 0 && ms >= accept) {
        accepted.push(`${s.name}=${formatMs(ms)} (accepted: at least ${formatMs(accept)}, ${OPTION[s.name]})`);
        continue;
      }
      bad.push({ name: s.name, ms, ...places(f, s.name, s.source, s.sourceFile, url !== undefined) });
    }
    evidence['storedSettings'] = f.stored ? f.stored.map((x) => `${x.scope}: ${x.name}=${x.value}`) : null;
    if (f.storedError) evidence['notRead'] = f.storedError;
    if (f.fromUrl.length) evidence['inUrl'] = f.fromUrl.map((x) => `${x.name}=${x.value}`);

    const strict = (Object.keys(OPTION) as SessionTimeoutName[]).filter((n) => options[OPTION[n]] === 0);
    const lenient = (Object.keys(OPTION) as SessionTimeoutName[]).filter((n) => options[OPTION[n]] > 0).map((n) => `${n} < ${formatMs(options[OPTION[n]])}`);
    const threshold = { value: `warns on: ${[strict.length ? `${strict.join(', ')} ≠ 0` : '', ...lenient].filter(Boolean).join('; ')}` };
    const who = `role ${f.user} in database ${f.database}`;
    const notRead = f.storedError ? ` (role and database settings not read: ${f.storedError})` : '';

    const fatal = bad.find((b) => b.name === 'statement_timeout' && b.ms < options.failStatementTimeoutBelowMs);
    if (fatal) {
      return {
        status: 'fail',
        summary: `Coder's sessions as ${who} would run with statement_timeout=${formatMs(fatal.ms)}, set by ${fatal.places.map((p) => p.where).join(' and ') || 'an unknown source'}: so short that Coder's migrations are cancelled at start-up ("canceling statement due to statement timeout") and it does not start`,
        remediation: [...fatal.places.map((p) => p.reset), ...(fatal.override ? [fatal.override] : [])].join('; '),
        evidence,
        threshold: { value: `fails under ${formatMs(options.failStatementTimeoutBelowMs)}; ${threshold.value}` },
      };
    }
    if (bad.length) {
      const list = bad.map((b) => `${b.name}=${formatMs(b.ms)}, set by ${b.places.map((p) => p.where).join(' and ') || 'an unknown source'}`);
      const harm = bad.map((b) => HARM[b.name]);
      const resets = [...new Set(bad.flatMap((b) => [...b.places.map((p) => p.reset), ...(b.override ? [b.override] : [])]))];
      return {
        status: 'warn',
        summary: `Coder's sessions as ${who} would run with ${list.join('; ')}: ${harm.join('; ')}${notRead}`,
        remediation: resets.join('; '),
        evidence,
        threshold,
      };
    }
    return {
      status: 'pass',
      summary: `No timeout would cut Coder's sessions as ${who}: ${shown.join(', ')}${accepted.length ? `; ${accepted.join('; ')}` : ''}${notRead}`,
      evidence,
      threshold,
    };
  },
});
