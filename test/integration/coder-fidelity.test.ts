// The real `coder server` v2.30.0 is the oracle for our PostgreSQL verdicts: for every database
// shape the world can build, run coder-preflight (the built CLI, --coder-version 2.30.0: the exact
// release of the oracle; with plain "2" a schema newer than 2.30.0 is rightly only a warning, as a
// later 2.x may know it) and then real Coder on the same URL, and require that
//   - wherever Coder refuses to start, we have a `fail` whose summary names the same cause, and
//   - wherever Coder starts, nothing of ours fails, except for runtime-only reasons (connection
//     slots for more replicas, LISTEN/NOTIFY through a transaction pooler, writes outside
//     transactions on a read-only default), which are named per case below.
// Each case also pins what real Coder does (its error line), so a new Coder that behaves otherwise
// shows up here. Cases that can only agree once another piece of work lands say `pending: <who>`:
// they are reported as todo with our current statuses, never counted as agreeing.
//
// Needs scripts/build-coder.sh (run by `scripts/setup.sh --world`) and root (Coder runs in a network
// namespace with only loopback: test/world/coder-server.ts). Without either the file is skipped with
// the reason printed — except in CI (CI=true) or with CODER_PREFLIGHT_REQUIRE_CODER=1, where it
// fails, as CODER_PREFLIGHT_REQUIRE_NODE makes the real-node tests fail. Writes the matrix to
// <world>/coder-matrix.md.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coderBinary, coderNetnsAvailable, startCoderServer, stopAllCoderServers, CODER_VERSION, type CoderServerResult } from '../world/coder-server.ts';
import { startPgBouncer, startPostgres, stopPgBouncer, stopPostgres, withClient, type PgBouncerInstance, type PgInstance } from '../world/postgres.ts';
import { worldDir } from '../world/proc.ts';
import { cliBin, nodeBin, spawnRun } from '../helpers/cli.ts';
import { assertValidReport } from '../helpers/report.ts';
import type { Report } from '../../src/report/model.ts';

const netns = coderNetnsAvailable();
const found = coderBinary();
/** The binary, or why real Coder cannot be run here (no binary, or no loopback-only network namespace). */
const bin: { path: string } | { missing: string } = netns !== true ? { missing: netns } : found;
const required = process.env.CI === 'true' || process.env.CODER_PREFLIGHT_REQUIRE_CODER === '1';

/** Failures of ours that are true but do not stop Coder from starting (it fails later, at run time). */
const RUNTIME_ONLY: Record<string, string> = {
  'postgres.connections': 'too few connection slots for the replicas and their pools (one Coder starts with 3)',
  'postgres.listen-notify': 'LISTEN/NOTIFY through a transaction pooler: pubsub starts, notifications never arrive',
};

/**
 * A runtime-only fail must not say Coder would not start: that would be a false alarm about start-up
 * dressed as a true one about run time.
 */
const STARTUP_CLAIM = /migrations? would fail|would not start|will not start|cannot start|refuses|stops at start-up/i;

interface Servers {
  pg10: PgInstance;
  pg11: PgInstance;
  pg12: PgInstance;
  pg13: PgInstance;
  pg18: PgInstance;
  /** TLS on (not required): many databases and roles, one per shape. */
  pg17: PgInstance;
  mtls: PgInstance;
  maxconn5: PgInstance;
  maxconn6: PgInstance;
  bouncer: PgBouncerInstance;
  /** Passwords of the roles made below. */
  pw: { reader: string; hasty: string; special: string };
}

interface Case {
  name: string;
  url: (s: Servers) => string;
  /** What real Coder v2.30.0 does: starts, or refuses with an error matching this. */
  coder: 'starts' | RegExp;
  /** Refuses: a `fail` of ours must have a summary matching this (the same cause). */
  cause?: RegExp;
  /** Starts: fails of ours allowed here beyond RUNTIME_ONLY, with why they are runtime-only. */
  runtime?: Record<string, string>;
  expect: 'agree' | `pending: ${string}`;
  /** A connect failure Coder retries for 30 s: stop at its first retry (see the waited-out case). */
  firstRetry?: true;
}

const q = (pg: PgInstance) => new URL(pg.urls.coder).search; // ?sslmode=…(&sslrootcert=…)
const at = (pg: PgInstance, user: string, password: string, db: string, query = q(pg)) =>
  `postgresql://${user}:${encodeURIComponent(password)}@127.0.0.1:${pg.port}/${db}${query}`;
const coderAt = (pg: PgInstance, db: string, query = q(pg)) => at(pg, 'coder', pg.roles.coder.password, db, query);

const CASES: Case[] = [
  // Versions: Coder 2.x checks server_version_num >= 130000 right after connecting.
  ...([10, 11, 12] as const).map((m): Case => ({
    name: `PostgreSQL ${m}`,
    url: (s) => s[`pg${m}`].urls.coder,
    coder: /PostgreSQL version must be v13\.0\.0 or higher/,
    cause: /PostgreSQL.*\b1[0-2]\b.*13|13.*\b1[0-2]\b/,
    expect: 'agree',
  })),
  { name: 'PostgreSQL 13, fresh database', url: (s) => s.pg13.urls.coder, coder: 'starts', expect: 'agree' },
  { name: 'PostgreSQL 18, fresh database', url: (s) => s.pg18.urls.coder, coder: 'starts', expect: 'agree' },
  { name: 'PostgreSQL 17, TLS, sslmode=verify-full + sslrootcert', url: (s) => s.pg17.urls.coder, coder: 'starts', expect: 'agree' },
  // TLS
  {
    name: 'server without TLS, URL without sslmode (lib/pq: require)',
    url: (s) => coderAt(s.pg18, 'coder', ''),
    coder: /SSL is not enabled on the server/,
    cause: /TLS|SSL/,
    expect: 'agree',
    firstRetry: true,
  },
  { name: 'TLS, sslmode=require, no sslrootcert', url: (s) => coderAt(s.pg17, 'coder', '?sslmode=require'), coder: 'starts', expect: 'agree' },
  {
    name: 'TLS, sslmode=require + sslrootcert (lib/pq: verify-ca)',
    url: (s) => coderAt(s.pg17, 'coder', `?sslmode=require&sslrootcert=${encodeURIComponent(s.pg17.tlsFiles!.caCert)}`),
    coder: 'starts',
    expect: 'agree',
  },
  {
    name: 'TLS, sslmode=verify-full, no sslrootcert (private CA)',
    url: (s) => coderAt(s.pg17, 'coder', '?sslmode=verify-full'),
    coder: /x509: certificate signed by unknown authority/,
    cause: /certificate|verify|CA\b/i,
    expect: 'agree',
    firstRetry: true,
  },
  { name: 'mTLS, client certificate given', url: (s) => s.mtls.urls.coder, coder: 'starts', expect: 'agree' },
  {
    name: 'mTLS, no client certificate',
    url: (s) => coderAt(s.mtls, 'coder', `?sslmode=verify-full&sslrootcert=${encodeURIComponent(s.mtls.tlsFiles!.caCert)}`),
    coder: /certificate|no pg_hba\.conf entry|connection requires a valid client certificate/,
    cause: /certificate/i,
    expect: 'agree',
    firstRetry: true,
  },
  // Credentials and database
  {
    name: 'wrong password',
    url: (s) => at(s.pg17, 'coder', 'wrong-password', 'coder'),
    coder: /password authentication failed for user "coder"/,
    cause: /password authentication failed|password/i,
    expect: 'agree',
    firstRetry: true,
  },
  {
    name: 'database does not exist',
    url: (s) => coderAt(s.pg17, 'nosuchdb'),
    coder: /database "nosuchdb" does not exist/,
    cause: /nosuchdb.*does not exist|does not exist.*nosuchdb/,
    expect: 'agree',
    firstRetry: true,
  },
  // Privileges and read-only
  {
    name: 'role without CREATE on schema public (PostgreSQL 17 stock public, not the owner)',
    url: (s) => at(s.pg17, 'limited', s.pg17.roles.limited.password, 'nocreate'),
    coder: /permission denied for schema public/,
    cause: /CREATE.*public|public.*CREATE/,
    expect: 'agree',
  },
  {
    name: 'default_transaction_read_only=on on the database',
    url: (s) => coderAt(s.pg17, 'readonly'),
    // lib/pq opens every transaction with BEGIN READ WRITE, and migrations run in transactions.
    coder: 'starts',
    runtime: { 'postgres.primary': 'read-only by default: Coder starts (its transactions say READ WRITE) but writes outside a transaction fail at run time (seen: notifier "cannot execute SELECT in a read-only transaction")' },
    expect: 'agree',
  },
  {
    name: 'ALTER ROLE … SET default_transaction_read_only=on (role owns its database)',
    url: (s) => at(s.pg17, 'reader', s.pw.reader, 'readerdb'),
    coder: 'starts',
    runtime: { 'postgres.primary': 'read-only by default: as above' },
    expect: 'agree',
  },
  {
    name: "ALTER ROLE … SET statement_timeout = '1ms'",
    url: (s) => at(s.pg17, 'hasty', s.pw.hasty, 'hastydb'),
    coder: /canceling statement due to statement timeout/,
    cause: /statement_timeout/,
    // postgres.session-settings fails under 20 ms; postgres.connect fails when our own query is cancelled.
    expect: 'agree',
  },
  // Leftover schemas
  {
    name: 'dirty schema_migrations row',
    url: (s) => coderAt(s.pg17, 'dirty'),
    coder: /Dirty database version 300/,
    cause: /dirty/i,
    expect: 'agree',
  },
  {
    name: 'Coder v1 database (migration_cursor)',
    url: (s) => coderAt(s.pg17, 'v1'),
    coder: /currently connected to a Coder v1 database/,
    cause: /v1/,
    expect: 'agree',
  },
  {
    name: 'schema newer than v2.30.0 knows (schema_migrations version 999999)',
    url: (s) => coderAt(s.pg17, 'toonew'),
    coder: /no migration found for version 999999/,
    cause: /999999|newer/,
    expect: 'agree',
  },
  // URL syntax
  {
    name: 'password with unescaped # / ? in the URL',
    url: (s) => `postgres://special:${s.pw.special}@127.0.0.1:${s.pg17.port}/specialdb${q(s.pg17)}`,
    // cli/server.go escapePostgresURLUserInfo re-escapes the password after "invalid port" errors.
    coder: 'starts',
    expect: 'agree',
  },
  {
    name: 'trailing newline in the URL',
    url: (s) => s.pg17.urls.coder + '\n',
    coder: /net\/url: invalid control character in URL/,
    cause: /newline|control character|whitespace/i,
    expect: 'agree',
  },
  // Capacity and poolers
  {
    name: 'max_connections=5 (2 slots for Coder)',
    url: (s) => s.maxconn5.urls.coder,
    // Where it runs out depends on timing: the migration lock or pubsub's LISTEN connection.
    coder: /remaining connection slots are reserved/,
    cause: /connection|slot/i,
    expect: 'agree',
  },
  { name: 'max_connections=6 (3 slots: one Coder starts)', url: (s) => s.maxconn6.urls.coder, coder: 'starts', expect: 'agree' },
  { name: 'PgBouncer, transaction pooling', url: (s) => s.bouncer.urls.coder, coder: 'starts', expect: 'agree' },
];

/** What coder-preflight said: a report, or (exit 2) a refusal of the settings before any check ran. */
type Ours = { exit: number | null; report: Report } | { exit: 2; usage: string };

interface Row {
  c: Case;
  coder: CoderServerResult;
  ours: Ours;
  agree: boolean;
  why: string;
}

/**
 * The built CLI (bin/coder-preflight.js → dist/). CODER_PREFLIGHT_FIDELITY_CLI may point at another
 * build's launcher, e.g. one made from a snapshot while dist/ is being rebuilt by someone else.
 */
const OUR_CLI = process.env.CODER_PREFLIGHT_FIDELITY_CLI ?? cliBin;


/** The built CLI on this URL with the Coder 2.x profile, postgres checks only. */
async function runOurs(url: string): Promise<Ours> {
  const r = await spawnRun(nodeBin, [OUR_CLI, '--postgres-url', url, '--coder-version', CODER_VERSION.slice(1), '--check', 'postgres', '-o', 'json'], { timeoutMs: 90_000 });
  if (r.code === 2 && r.stdout === '') return { exit: 2, usage: r.stderr.trim() };
  let report: unknown;
  try {
    report = JSON.parse(r.stdout);
  } catch {
    throw new Error(`coder-preflight printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  assertValidReport(report);
  return { exit: r.code, report };
}

/** Whether our report agrees with what Coder did in this case. */
function judge(c: Case, coder: CoderServerResult, ours: Ours): { agree: boolean; why: string } {
  if ('usage' in ours) {
    // Refusing the URL outright (exit 2, one line on stderr) is our strongest "will not start".
    const line = ours.usage.split('\n')[0]!;
    if (coder.started) return { agree: false, why: `refuses the URL (exit 2) although Coder starts: ${line}` };
    return c.cause!.test(ours.usage) ? { agree: true, why: `refuses the URL (exit 2): ${line}` } : { agree: false, why: `refuses the URL (exit 2) for another cause: ${line}` };
  }
  const fails = ours.report.results.filter((r) => r.status === 'fail');
  if (!coder.started) {
    const named = fails.find((f) => c.cause!.test(f.summary));
    return named
      ? { agree: true, why: `${named.id} fails: ${named.summary}` }
      : { agree: false, why: fails.length ? `no fail names the cause; fails: ${fails.map((f) => `${f.id}: ${f.summary}`).join(' | ')}` : 'nothing of ours fails' };
  }
  const allowed = { ...RUNTIME_ONLY, ...c.runtime };
  const blocking = fails.filter((f) => !(f.id in allowed) || STARTUP_CLAIM.test(f.summary));
  if (blocking.length) return { agree: false, why: `fails although Coder starts: ${blocking.map((f) => `${f.id}: ${f.summary}`).join(' | ')}` };
  const runtime = fails.map((f) => `${f.id}: ${f.summary}`);
  return { agree: true, why: runtime.length ? `runtime-only fails: ${runtime.join(' | ')}` : 'no fail' };
}

/** Run `fn` over `items`, at most `n` at a time, keeping order. */
async function pool<T, R>(items: T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

const short = (s: string) =>
  s
    .replace(/^error: (connect to postgres: )*/, '')
    .replace(new RegExp(worldDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g'), '<world>')
    .replace(/%2F[^&\s"]*ca\.crt/g, '<ca.crt>')
    .replace(/\s+/g, ' ')
    .trim();

const statusLine = (ours: Ours) =>
  'usage' in ours
    ? 'exit 2 (URL refused)'
    : ours.report.results
    .filter((r) => r.status !== 'pass' && r.status !== 'skip')
    .map((r) => `${r.id.replace(/^postgres\./, '')}=${r.status}`)
    .join(', ') || 'all pass';

function matrix(rows: Row[], wallMs: number): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const lines = [
    `# Real \`coder server\` ${CODER_VERSION} vs coder-preflight (--coder-version ${CODER_VERSION.slice(1)})`,
    '',
    `Generated by test/integration/coder-fidelity.test.ts (wall time ${(wallMs / 1000).toFixed(1)} s). "Coder" is what the real server did;`,
    '"ours" lists every non-pass, non-skip status of the postgres checks; "verdict" says whether they agree.',
    '',
    '| case | real Coder | coder-preflight | verdict |',
    '|---|---|---|---|',
  ];
  for (const r of rows) {
    const coder = r.coder.started ? `starts (${r.coder.ms} ms)` : `refuses: ${short(r.coder.reason.split('\n').pop() ?? '')}${'retrying' in r.coder && r.coder.retrying ? ' (first of its 30 s of retries)' : ''}`;
    const verdict = r.agree ? `agree — ${r.why}` : r.c.expect === 'agree' ? `DISAGREE — ${r.why}` : `${r.c.expect} — ${r.why}`;
    lines.push(`| ${cell(r.c.name)} | ${cell(coder)} | ${cell(statusLine(r.ours))} | ${cell(short(verdict))} |`);
  }
  return lines.join('\n') + '\n';
}

if ('missing' in bin) {
  if (required) {
    describe('real coder server vs coder-preflight', () => {
      it('can run the real coder server (CI builds it with scripts/setup.sh --world, and runs as root)', () => {
        throw new Error(`cannot run coder ${CODER_VERSION} here: ${bin.missing}`);
      });
    });
  } else {
    console.log(`coder-fidelity: skipped — cannot run coder ${CODER_VERSION} here: ${bin.missing.split('\n')[0]} (build it with scripts/build-coder.sh; needs root)`);
    describe.skip('real coder server vs coder-preflight (no coder binary)', () => {
      it('needs scripts/build-coder.sh', () => {});
    });
  }
} else {
  const coderBin = bin.path;
  let s: Servers | undefined;
  const rows = new Map<string, Row>();
  let waited: CoderServerResult | undefined;
  let md = '';
  let secrets: string[] = [];
  const started: PgInstance[] = [];

  beforeAll(async () => {
    const t0 = performance.now();
    const mk = async (o: Parameters<typeof startPostgres>[0]) => {
      const pg = await startPostgres(o);
      started.push(pg);
      return pg;
    };
    // allSettled: every server that did start is in `started` (and stopped in afterAll) before a failure is thrown.
    const settled = await Promise.allSettled([
      mk({ major: 10 }),
      mk({ major: 11 }),
      mk({ major: 12 }),
      mk({ major: 13 }),
      mk({ major: 18 }),
      mk({ major: 17, tls: 'on' }),
      mk({ major: 17, tls: 'mtls' }),
      mk({ major: 17, maxConnections: 5 }),
      mk({ major: 17, maxConnections: 6 }),
    ]);
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const [pg10, pg11, pg12, pg13, pg18, pg17, mtls, maxconn5, maxconn6] = settled.map((r) => (r as PromiseFulfilledResult<PgInstance>).value) as [
      PgInstance, PgInstance, PgInstance, PgInstance, PgInstance, PgInstance, PgInstance, PgInstance, PgInstance,
    ];
    const bouncer = await startPgBouncer(pg13, { poolMode: 'transaction' });
    const pw = { reader: randomBytes(9).toString('hex'), hasty: randomBytes(9).toString('hex'), special: `${randomBytes(3).toString('hex')}#x/y?${randomBytes(3).toString('hex')}` };
    await withClient(pg17.urls.superuser, async (c) => {
      for (const db of ['dirty', 'v1', 'toonew', 'readonly']) await c.query(`CREATE DATABASE ${db} OWNER coder`);
      await c.query(`ALTER DATABASE readonly SET default_transaction_read_only = on`);
      await c.query(`CREATE ROLE reader LOGIN PASSWORD '${pw.reader}'`);
      await c.query(`CREATE DATABASE readerdb OWNER reader`);
      await c.query(`ALTER ROLE reader SET default_transaction_read_only = on`);
      await c.query(`CREATE ROLE hasty LOGIN PASSWORD '${pw.hasty}'`);
      await c.query(`CREATE DATABASE hastydb OWNER hasty`);
      await c.query(`ALTER ROLE hasty SET statement_timeout = '1ms'`);
      // A database the superuser owns: PostgreSQL 15+ gives PUBLIC only USAGE on its schema public.
      await c.query(`CREATE DATABASE nocreate`);
      await c.query(`GRANT CONNECT ON DATABASE nocreate TO limited`);
      await c.query(`CREATE ROLE special LOGIN PASSWORD '${pw.special}'`);
      await c.query(`CREATE DATABASE specialdb OWNER special`);
    });
    // golang-migrate's table, as Coder's pgTxnDriver creates it.
    const migrationsTable = `CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)`;
    await withClient(coderAt(pg17, 'dirty'), (c) => c.query(`${migrationsTable}; INSERT INTO schema_migrations VALUES (300, true)`));
    await withClient(coderAt(pg17, 'toonew'), (c) => c.query(`${migrationsTable}; INSERT INTO schema_migrations VALUES (999999, false)`));
    await withClient(coderAt(pg17, 'v1'), (c) => c.query(`CREATE TABLE migration_cursor (id integer)`));
    s = { pg10, pg11, pg12, pg13, pg18, pg17, mtls, maxconn5, maxconn6, bouncer, pw };
    secrets = [...started.flatMap((p) => Object.values(p.roles).map((r) => r.password)), ...Object.values(pw)];
    console.log(`coder-fidelity: world ready in ${Math.round(performance.now() - t0)} ms`);

    // Coder runs two at a time (2 cores); the one waited out (30 s, mostly sleeping) goes first.
    type Job = { kind: 'waited' } | { kind: 'case'; c: Case };
    const jobs: Job[] = [{ kind: 'waited' }, ...CASES.map((c) => ({ kind: 'case' as const, c }))];
    const srv = s;
    await pool(jobs, 2, async (j) => {
      if (j.kind === 'waited') {
        waited = await startCoderServer({ bin: coderBin, url: at(srv.pg17, 'coder', 'wrong-password', 'coder'), secrets, timeoutMs: 60_000, name: 'waited-wrong-password' });
        return;
      }
      const c = j.c;
      const url = c.url(srv);
      // Ours first, as in real life (preflight, then install), and never at the same time as Coder
      // on the same server: both would compete for its few connection slots.
      const ours = await runOurs(url);
      const coder = await startCoderServer({ bin: coderBin, url, secrets, timeoutMs: 60_000, name: c.name, ...(c.firstRetry ? { stopOnFirstRetry: true } : {}) });
      rows.set(c.name, { c, coder, ours, ...judge(c, coder, ours) });
    });
    const wallMs = performance.now() - t0;
    md = matrix(CASES.map((c) => rows.get(c.name)!), wallMs);
    mkdirSync(worldDir, { recursive: true });
    writeFileSync(join(worldDir, 'coder-matrix.md'), md);
    console.log(md);
    for (const r of rows.values()) {
      if (r.c.expect === 'agree') continue;
      const details = 'report' in r.ours ? r.ours.report.results.filter((x) => x.status !== 'pass' && x.status !== 'skip').map((x) => `\n    ${x.id}=${x.status}: ${x.summary}`).join('') : '';
      console.log(`coder-fidelity: ${r.c.name}: ${r.c.expect}; ours today: ${statusLine(r.ours)}; ${r.agree ? 'NOW AGREES: set expect to "agree"' : r.why}${details}`);
    }
  }, 600_000);

  afterAll(async () => {
    await stopAllCoderServers();
    if (s?.bouncer) await stopPgBouncer(s.bouncer);
    await Promise.all(started.map((p) => stopPostgres(p)));
  });

  describe(`real coder server ${CODER_VERSION} vs coder-preflight`, () => {
    it('Coder retries a failed connection for 30 s and exits with the error its first retry showed', () => {
      expect(waited).toBeDefined();
      expect(waited!.started).toBe(false);
      if (waited!.started) return;
      expect(waited!.exitCode).toBe(1);
      expect(waited!.reason).toMatch(/unable to connect after \d+ tries; last error: pq: password authentication failed for user "coder"/);
      expect(waited!.ms).toBeGreaterThan(25_000);
      const first = rows.get('wrong password')!.coder;
      expect(first.started === false && first.reason).toMatch(/^ping postgres: retrying: pq: password authentication failed for user "coder"$/);
    });

    it('never shows a password in what Coder printed, nor in the matrix', () => {
      expect(md).toContain('| case |');
      for (const text of [...rows.values()].map((x) => x.coder.output).concat(waited ? [waited.output] : [], md)) {
        for (const p of secrets) {
          expect(text).not.toContain(p);
          expect(text).not.toContain(encodeURIComponent(p));
        }
      }
    });

    for (const c of CASES) {
      describe(c.name, () => {
        it(c.coder === 'starts' ? 'real Coder starts' : `real Coder refuses: ${c.coder.source}`, () => {
          const r = rows.get(c.name)!.coder;
          if (c.coder === 'starts') expect(r.started, r.started ? '' : r.reason).toBe(true);
          else {
            expect(r.started, 'Coder started').toBe(false);
            if (!r.started) {
              expect(r.timedOut, r.reason).toBeUndefined();
              expect(r.reason).toMatch(c.coder);
            }
          }
        });
        if (c.expect === 'agree') {
          it(c.coder === 'starts' ? 'nothing of ours fails for a reason that would stop it starting' : 'we fail with the same cause', () => {
            const row = rows.get(c.name)!;
            expect(row.agree, row.why).toBe(true);
            // The exit code follows the verdict: 3 on a fail, 2 for a refused URL, never a crash.
            const anyFail = 'report' in row.ours && row.ours.report.results.some((r) => r.status === 'fail');
            if (c.coder === 'starts') expect(row.ours.exit).toBe(anyFail ? 3 : 0);
            else expect([2, 3]).toContain(row.ours.exit);
          });
        } else {
          it.todo(`coder-preflight agrees — ${c.expect}`);
        }
      });
    }
  });
}
