// access-url.upgrade through real proxies: Debian's nginx in front of a WebSocket echo backend, in
// the three ways people configure it (test/world/ws-proxy.ts). What nginx really does decides:
// with the Upgrade/Connection headers forwarded the echo comes back; without them, or with
// HTTP/1.0 upstream, the backend gets a plain GET and its 426 comes back through nginx.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resultOf, runJson } from '../helpers/cli.ts';
import { freePort } from '../world/proc.ts';
import { startEchoBackend, startNginx } from '../world/ws-proxy.ts';

let echo: Awaited<ReturnType<typeof startEchoBackend>>;
let nginx: Awaited<ReturnType<typeof startNginx>>;

beforeAll(async () => {
  echo = await startEchoBackend();
  nginx = await startNginx(echo.port);
});
afterAll(async () => {
  await nginx?.close();
  await echo?.close();
});

const check = async (url: string) => resultOf((await runJson(['--upgrade-url', url, '--check', 'access-url.upgrade'])).report, 'access-url.upgrade');

describe('access-url.upgrade through nginx', () => {
  it('passes when nginx forwards the upgrade: 101, and the echo of a random nonce comes back', async () => {
    const before = echo.upgrades();
    const r = await check(`http://127.0.0.1:${nginx.ports.good}/`);
    expect(r).toMatchObject({ status: 'pass', summary: new RegExp(`^http://127\\.0\\.0\\.1:${nginx.ports.good}/ upgrades to WebSocket from this machine .*: 101 in [\\d.]+ ms, the echo came back in [\\d.]+ ms$`) });
    expect(echo.upgrades()).toBe(before + 1);
  });
  it('fails, naming nginx\'s answer, when the Upgrade/Connection headers are not forwarded', async () => {
    const before = echo.plain();
    const r = await check(`http://127.0.0.1:${nginx.ports['no-upgrade-headers']}/`);
    expect(r).toMatchObject({ status: 'fail', summary: new RegExp(`answered HTTP/1\\.1 426 Upgrade Required \\(server: nginx/[\\d.]+\\) from this machine .* instead of 101 Switching Protocols`), remediation: /proxy_set_header Upgrade \$http_upgrade/ });
    expect(echo.plain()).toBe(before + 1); // the backend really got a plain request
  });
  it('fails when nginx speaks HTTP/1.0 upstream (its default)', async () => {
    const r = await check(`http://127.0.0.1:${nginx.ports.http10}/`);
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/426 Upgrade Required .*instead of 101/);
  });
  it('a closed port is an error that points at access-url.reachability', async () => {
    const r = await check(`http://127.0.0.1:${await freePort()}/`);
    expect(r).toMatchObject({ status: 'error', summary: /^Could not connect to .*ECONNREFUSED\): access-url\.reachability says why$/ });
  });
  it('without --upgrade-url or an access URL there is nothing to upgrade to: a skip', async () => {
    const r = resultOf((await runJson(['--check', 'access-url.upgrade'])).report, 'access-url.upgrade');
    expect(r.status).toBe('skip');
  });
});
