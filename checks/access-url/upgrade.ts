// Coder's workspace traffic rides WebSockets through every proxy between users, workspaces and
// coderd: the agents' DERP relay (/derp), the web terminal, port forwarding. A reverse proxy or
// Ingress that drops the hop-by-hop Upgrade/Connection headers, or speaks HTTP/1.0 upstream, keeps
// plain HTTP working and breaks all of them (coder-install-failures.md §1 rank 5).
import { defineCheck } from '../../src/engine/define.ts';
import type { AccessUrlUpgradeFact } from '../../src/facts/access-url/upgrade.ts';

const PROXY_FIX =
  'let the proxy pass WebSocket upgrades: nginx `proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "upgrade";` (ingress-nginx does this by itself: look for a configuration-snippet or an older controller overriding it), Traefik and Envoy pass upgrades unless a middleware strips hop-by-hop headers; AWS: an ALB passes WebSockets, a Classic ELB only on TCP/SSL listeners, not HTTP/HTTPS; raise idle timeouts above 60 s; Cloudflare: enable WebSockets for the zone';

export default defineCheck({
  id: 'access-url.upgrade',
  title: 'WebSocket upgrades pass through the path to Coder',
  category: 'access-url',
  facts: ['access-url.upgrade'],
  docs: 'https://coder.com/docs/admin/networking',
  explain: {
    what: 'Sends an HTTP/1.1 GET with Upgrade: websocket, Connection: Upgrade and a random Sec-WebSocket-Key through the real path: to Coder\'s /derp on the access URL (DERP over WebSocket, subprotocol derp, as workspace agents use it), or, before Coder runs, to --upgrade-url (a WebSocket echo service you put behind the same proxy). Passes only on 101 Switching Protocols with the right Sec-WebSocket-Accept and a frame through the upgraded connection (the echo of a random nonce; DERP\'s first frame). Names the status a proxy answered instead, and an HTTP/1.0 answer.',
    why: 'The agents connect to coderd over DERP on WebSockets, and the web terminal and port forwarding are WebSockets too. A proxy that drops the Upgrade and Connection headers (they are hop-by-hop: a proxy must forward them on purpose) or speaks HTTP/1.0 to its upstream keeps every page working and leaves workspaces "Connecting" and terminals blank.',
    fix: PROXY_FIX,
  },
  evaluate({ 'access-url.upgrade': f }) {
    const where = `from ${f.vantage}`;
    const evidence = {
      url: f.url,
      target: f.target,
      outcome: f.outcome,
      status: f.status ?? null,
      httpVersion: f.httpVersion ?? null,
      ...(Object.keys(f.headers).length ? { headers: Object.entries(f.headers).map(([k, v]) => `${k}: ${v}`) } : {}),
      ...(f.bodyStart ? { bodyStart: f.bodyStart } : {}),
      ...(f.error ? { error: `${f.error.code}: ${f.error.message}` } : {}),
      timings: Object.entries(f.ms).map(([k, v]) => `${k} ${v} ms`),
    };
    const echo = f.expect === 'echo';
    const answered = `${f.httpVersion ?? 'HTTP'} ${f.status ?? '?'}${f.reason ? ` ${f.reason}` : ''}${f.headers.server ? ` (server: ${f.headers.server})` : ''}`;
    if (f.outcome === 'upgraded' && f.frame) {
      return { status: 'pass', summary: `${f.url} upgrades to WebSocket ${where}: 101 in ${f.ms.upgrade} ms, ${echo ? 'the echo came back' : 'Coder\'s DERP server sent its first frame'} in ${f.ms.frame} ms`, evidence, vantage: f.vantage };
    }
    if (f.outcome === 'connect-failed' || f.outcome === 'tls-failed') {
      return { status: 'error', summary: `Could not ${f.outcome === 'tls-failed' ? 'complete TLS with' : 'connect to'} ${f.url} ${where} (${f.error?.code}): access-url.reachability says why`, remediation: 'see access-url.reachability', evidence, vantage: f.vantage };
    }
    if (f.outcome === 'upgraded' || f.outcome === 'no-frame') {
      return echo
        ? { status: 'fail', summary: `${f.url} answered 101 ${where}, but the frame sent through the upgraded connection did not come back${f.frame === false && f.outcome === 'upgraded' ? ' as sent' : ''}: something in the path accepts the upgrade and does not pass WebSocket frames`, remediation: PROXY_FIX, evidence, vantage: f.vantage }
        : { status: 'warn', summary: `${f.url} upgraded (101) ${where}, but Coder's DERP server sent no frame within ${f.error ? f.error.message.replace(/^no frame within /, '') : 'the time'}: the upgrade passes, the relay did not answer`, remediation: 'run again; if it persists, look at what sits between the proxy and Coder', evidence, vantage: f.vantage };
    }
    if (f.outcome === 'bad-accept') return { status: 'fail', summary: `${f.url} answered 101 ${where} with a wrong Sec-WebSocket-Accept: something in the path rewrites the handshake, and WebSocket clients (the agents) refuse it`, remediation: PROXY_FIX, evidence, vantage: f.vantage };
    if (f.outcome === 'not-upgraded') {
      if (f.httpVersion === 'HTTP/1.0') {
        return { status: 'fail', summary: `${f.url} answered ${answered} ${where} instead of 101: an HTTP/1.0 answer cannot upgrade (a proxy speaking HTTP/1.0)`, remediation: PROXY_FIX, evidence, vantage: f.vantage };
      }
      if (!echo && f.status === 426) {
        return { status: 'fail', summary: `The upgrade did not reach Coder ${where}: its DERP endpoint ${f.url} got a plain request and answered ${answered} — a proxy in the path drops the Upgrade/Connection headers or speaks HTTP/1.0 upstream; workspaces would stay "Connecting"`, remediation: PROXY_FIX, evidence, vantage: f.vantage };
      }
      if (!echo && (f.status === 404 || f.status === 503 || f.status === 502)) {
        return { status: 'skip', summary: `Nothing answers the upgrade yet ${where}: GET ${f.url} got ${answered}, so Coder does not run behind the access URL; run again after the install, or give --upgrade-url (a WebSocket echo service behind the same proxy) to check the proxy now`, remediation: 'give --upgrade-url, or run again once Coder answers', evidence, vantage: f.vantage };
      }
      if (!echo && (f.status === 401 || f.status === 403 || f.status === 407 || (f.status !== undefined && f.status >= 300 && f.status < 400))) {
        return { status: 'warn', summary: `${f.url} answered ${answered} ${where} instead of 101: an authenticating proxy in front of Coder? Agents and the web terminal have no browser session for it`, remediation: 'exempt /derp and /api/ from the authenticating proxy', evidence, vantage: f.vantage };
      }
      return { status: 'fail', summary: `${f.url} answered ${answered} ${where} instead of 101 Switching Protocols: the WebSocket upgrade does not pass${echo ? ' (the echo service behind the same proxy got, or answered, a plain request)' : ''}`, remediation: PROXY_FIX, evidence, vantage: f.vantage };
    }
    return { status: f.outcome === 'timeout' ? 'error' : 'fail', summary: f.outcome === 'timeout' ? `No answer to the upgrade from ${f.url} ${where} (${f.error?.message ?? 'timeout'})` : `${f.url} ${f.outcome === 'not-http' ? 'did not answer HTTP' : 'closed the connection without an answer'} to the upgrade ${where}`, remediation: f.outcome === 'timeout' ? 'run again; a proxy that holds upgrade requests open looks like this' : PROXY_FIX, evidence, vantage: f.vantage };
  },
});
