// Coder reads CODER_PG_CONNECTION_URL byte for byte (coder/coder v2.30.0 cli/server.go): its
// escapePostgresURLUserInfo, then Go's url.Parse and lib/pq's parser (github.com/coder/pq). A
// string they refuse stops `coder server` before it contacts the database; one they misread
// connects somewhere else; a parameter lib/pq does not know goes to the server, which refuses it.
import { defineCheck } from '../../src/engine/define.ts';
import { isDriverSetting } from '../../src/inputs/pgurl.ts';
import { gucContext } from '../../src/postgres/guc-names.ts';
import { isIP } from 'node:net';

/** libpq connection keywords lib/pq does not handle: it sends them on, and no PostgreSQL knows them as parameters. */
const LIBPQ_ONLY = new Set([
  'hostaddr', 'passfile', 'require_auth', 'channel_binding', 'keepalives', 'keepalives_idle', 'keepalives_interval', 'keepalives_count',
  'tcp_user_timeout', 'gssencmode', 'requiressl', 'sslnegotiation', 'sslcompression', 'sslkeylogfile', 'sslpassword', 'sslcertmode', 'sslcrl',
  'sslcrldir', 'requirepeer', 'ssl_min_protocol_version', 'ssl_max_protocol_version', 'min_protocol_version', 'max_protocol_version', 'gsslib',
  'gssdelegation', 'scram_client_key', 'scram_server_key', 'service', 'target_session_attrs', 'load_balance_hosts', 'oauth_issuer',
  'oauth_client_id', 'oauth_client_secret', 'oauth_scope',
]);
/** Startup-packet keys the server takes that are not parameters (GUCs). */
const STARTUP_SPECIAL = new Set(['options', 'replication']);

const isLoopback = (h: string) => h === 'localhost' || h.endsWith('.localhost') || (isIP(h) === 4 && h.startsWith('127.')) || h === '::1' || h === '0:0:0:0:0:0:0:1';

interface Finding {
  level: 'warn' | 'fail';
  text: string;
  fix: string;
  tag: string;
}

export default defineCheck({
  id: 'postgres.url-syntax',
  title: 'The database URL parses as Coder will parse it',
  category: 'postgres',
  facts: ['postgres.url'],
  docs: 'https://coder.com/docs/admin/setup#postgresql-database',
  explain: {
    what: 'Reads the connection string the way `coder server` does: Coder\'s own escaping of the password (escapePostgresURLUserInfo), Go\'s url.Parse, then lib/pq\'s parser and its refusals (only lower-case postgres:// or postgresql:// is a URL; sslmode only disable/require/verify-ca/verify-full; client_encoding, datestyle, connect_timeout). It reports each character that is in the way by kind and position, with the encoded form to write — never the password — and the parameters lib/pq will pass on to the server. A key=value string is read the same way (Coder runs url.Parse on it too).',
    why: 'A string Coder refuses stops it before it contacts the database: a trailing newline from a Secret ("net/url: invalid control character in URL"), a bad % escape, an unencoded character Coder\'s escaping cannot fix, sslmode=prefer. One it misreads connects somewhere else: a "/", "?" or "#" in the password after digits ends the host part early. A parameter lib/pq does not know (channel_binding, target_session_attrs, a misspelt one) is sent to PostgreSQL as a run-time parameter, and the server refuses the connection. With CODER_PG_AUTH=awsiamrds the password in the URL is replaced by an IAM token. A loopback host is the pod\'s own loopback (a sidecar such as the Cloud SQL Auth Proxy): the checks here reach this machine\'s instead.',
    fix: 'URL-encode the special characters of the user name and password (the result names each one and its encoded form, e.g. # as %23, @ as %40, / as %2F, % as %25), remove white space and line breaks around the string (printf \'%s\' when making the Secret), use a supported sslmode, and drop parameters lib/pq does not know.',
  },
  onFactFailure({ 'postgres.url': u }) {
    if (u.ok || u.reason !== 'invalid-config' || !u.detail?.['kind']) return undefined;
    return { status: 'fail', summary: u.message, remediation: u.hint ?? 'fix the connection string', evidence: { reason: u.reason, ...u.detail } };
  },
  evaluate({ 'postgres.url': u }) {
    const shown = `host ${u.host.includes(':') ? `[${u.host}]` : u.host}, port ${u.port ?? '?'}, user ${u.user}, database ${u.database ?? '?'}, sslmode=${u.sslmode ?? 'require (the default)'}`;
    const evidence = {
      source: u.source,
      form: u.form,
      host: u.host,
      port: u.port,
      user: u.user,
      database: u.database,
      sslmode: u.sslmode,
      effectiveSslmode: u.effectiveSslmode,
      password: u.hasPassword ? 'given' : 'none',
      params: Object.keys(u.params),
      pgAuth: `${u.pgAuth.value} (${u.pgAuth.where})`,
    };
    if (u.form === 'fields') {
      return { status: 'skip', summary: `The database settings come from fields of the values file (${u.source}), not from a connection string: nothing to parse`, remediation: 'nothing to do', evidence };
    }
    const what = u.form === 'url' ? 'URL' : 'connection string';
    const findings: Finding[] = [];
    if (u.coderEscaped.length) {
      const list = u.coderEscaped.map((c) => `${c.char} at position ${c.position} (write ${c.encoded})`).join(', ');
      findings.push({
        level: 'warn',
        tag: 'coder-escapes-password',
        text: `the password has ${u.coderEscaped.length === 1 ? 'a character' : `${u.coderEscaped.length} characters`} a URL must encode — ${list}: Coder encodes ${u.coderEscaped.length === 1 ? 'it' : 'them'} itself (escapePostgresURLUserInfo), but psql, pg_dump and other tools reading the same Secret do not`,
        fix: `write the password URL-encoded: ${u.coderEscaped.map((c) => `${c.char} as ${c.encoded}`).join(', ')}`,
      });
    }
    for (const w of u.warnings) findings.push({ level: 'warn', tag: w.kind, text: w.message, fix: w.hint });
    for (const [k, v] of Object.entries(u.params)) {
      if (isDriverSetting(k) || STARTUP_SPECIAL.has(k)) continue;
      const sent = `lib/pq sends "${k}" to the server as a run-time parameter`;
      if (LIBPQ_ONLY.has(k)) {
        findings.push({ level: 'fail', tag: `param:${k}`, text: `"${k}" is a libpq connection option that lib/pq does not know: ${sent}, and PostgreSQL refuses the connection (unrecognized configuration parameter "${k}")`, fix: `remove ${k}=${k.includes('password') || k.includes('secret') || k.includes('key') ? '…' : v} from the connection string (lib/pq has no such setting)` });
        continue;
      }
      if (k.includes('.')) continue; // an extension's (or a custom) parameter: the server accepts a placeholder
      const c = gucContext(k);
      if (c === undefined) {
        findings.push({ level: 'warn', tag: `param:${k}`, text: `PostgreSQL 13 to 18 have no parameter "${k}": ${sent}, and a server that does not know it refuses the connection (unrecognized configuration parameter)`, fix: `check the spelling of ${k}, or remove it from the connection string` });
      } else if (c === 'sighup' || c === 'postmaster' || c === 'internal') {
        findings.push({ level: 'fail', tag: `param:${k}`, text: `"${k}" can only be set in the server's configuration (context ${c}): ${sent}, and the server refuses the connection`, fix: `remove ${k} from the connection string; set it in postgresql.conf (or the managed service's parameter group)` });
      } else if (c === 'superuser' || c === 'superuser-backend') {
        findings.push({ level: 'warn', tag: `param:${k}`, text: `only a superuser may set "${k}" (context ${c}): ${sent}, and the server refuses the connection unless ${u.user} is a superuser`, fix: `remove ${k} from the connection string, or set it for the role (ALTER ROLE … SET ${k} = …) as a superuser` });
      }
    }
    if (u.pgAuth.value === 'awsiamrds') {
      if (u.form === 'dsn') {
        findings.push({ level: 'fail', tag: 'iam-dsn', text: `CODER_PG_AUTH=awsiamrds (${u.pgAuth.where}) needs a postgres:// URL: Coder's awsiamrds driver takes the host, port and user from url.Parse of the string (coderd/database/awsiamrds), which a key=value string does not give`, fix: 'write the connection string as postgres://user@host:5432/db?sslmode=…' });
      } else if (u.hasPassword) {
        findings.push({ level: 'warn', tag: 'iam-password', text: `CODER_PG_AUTH=awsiamrds (${u.pgAuth.where}), but the URL has a password: Coder replaces it with an IAM token on every connection, so it is never used (and the checks here, which log in with it, see a different login than Coder)`, fix: 'remove the password from the URL; the role needs GRANT rds_iam and Coder\'s pods an IAM role allowed rds-db:connect' });
      }
    }
    const local = u.host.startsWith('/')
      ? `; the host is a Unix socket directory, ${u.host}: Coder's pod uses its own, and the checks here this machine's`
      : isLoopback(u.host)
        ? `; ${u.host} is a loopback address: in Coder's pod that is the pod itself (a sidecar such as the Cloud SQL Auth Proxy), while the checks here reach this machine's`
        : '';
    if (findings.length === 0) {
      return { status: 'pass', summary: `The ${what} parses as Coder will read it: ${shown}${local}`, evidence: { ...evidence, loopback: local !== '' } };
    }
    const worst = findings.some((f) => f.level === 'fail') ? 'fail' : 'warn';
    const first = findings.find((f) => f.level === worst)!;
    const others = findings.filter((f) => f !== first);
    return {
      status: worst,
      summary: `The ${what} from ${u.source}: ${first.text}${others.length ? ` (and ${others.length} more: ${others.map((f) => f.tag).join(', ')})` : ''}`,
      remediation: [first, ...others].map((f) => f.fix).join('; '),
      evidence: { ...evidence, loopback: local !== '', findings: findings.map((f) => `${f.level}: ${f.tag}`) },
    };
  },
});
