// The egress walk (src/access/egress.ts) against real servers on loopback: an HTTPS endpoint with
// the world's throwaway CA, a CONNECT proxy (node:http's 'connect' event, as squid answers), a
// proxy that refuses the tunnel, NO_PROXY, a closed port.
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bypassesProxy, egress } from '../../src/access/egress.ts';
import { FRONT_DOOR_HOST, makeFrontDoorPki, startFrontDoor, type FrontDoorPki, type FrontDoorServer } from '../world/front-door.ts';
import { freePort } from '../world/proc.ts';

let pki: FrontDoorPki;
let door: FrontDoorServer;
let proxy: Server;
let proxyPort: number;
const tunnels: string[] = [];

beforeAll(async () => {
  pki = makeFrontDoorPki();
  door = await startFrontDoor(pki, 'good', 'coder', { address: '127.0.0.1', port: 0 });
  proxy = createServer((_req, res) => res.writeHead(405).end());
  proxy.on('connect', (req, client) => {
    tunnels.push(String(req.url));
    // Only the front door's name may be tunnelled, always to the front door.
    if (!String(req.url).startsWith(`${FRONT_DOOR_HOST}:`)) return client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
    const up = connect(door.port, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      up.pipe(client);
      client.pipe(up);
    });
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
  proxyPort = (proxy.address() as { port: number }).port;
});
afterAll(async () => {
  await door.close();
  await new Promise((r) => proxy.close(r));
});

const ca = () => [readFileSync(pki.rootCa, 'utf8')];
const base = { timeoutMs: 3000, userAgent: 'coder-preflight-test' };

describe('the egress walk', () => {
  it('straight: DNS of an address is skipped, TCP, TLS verified with the CA bundle, an HTTP answer', async () => {
    const r = await egress({ url: `https://127.0.0.1:${door.port}/healthz`, caPems: ca(), ...base });
    expect(r).toMatchObject({ ok: true, status: 200, proxy: null, failedAt: null, addresses: ['127.0.0.1'] });
    // The certificate names coder.preflight.test, not the address: the answer counts, the name check says why it is not trusted.
    expect(r.tlsVerified).toBe(false);
    expect(r.tlsError).toMatch(/ALTNAME_INVALID|127\.0\.0\.1 is not in the cert's list/);
  });
  it('through a CONNECT proxy: the proxy resolves the name, the certificate verifies for it', async () => {
    const r = await egress({ url: `https://${FRONT_DOOR_HOST}:${door.port}/healthz`, proxy: `http://127.0.0.1:${proxyPort}`, caPems: ca(), ...base });
    expect(r).toMatchObject({ ok: true, status: 200, proxy: `127.0.0.1:${proxyPort}`, tlsVerified: true, tlsError: null });
    expect(tunnels).toContain(`${FRONT_DOOR_HOST}:${door.port}`);
  });
  it('a proxy that refuses the tunnel: the proxy step, with its answer', async () => {
    const r = await egress({ url: `https://registry.preflight.test:${door.port}/v2/`, proxy: `127.0.0.1:${proxyPort}`, caPems: ca(), ...base });
    expect(r).toMatchObject({ ok: false, failedAt: 'proxy', proxyAnswer: 'HTTP/1.1 403 Forbidden', error: { code: 'PROXY_REFUSED' } });
  });
  it('NO_PROXY as Go reads it', () => {
    expect(bypassesProxy('registry.corp.internal', '.corp.internal')).toBe(true);
    expect(bypassesProxy('corp.internal', '.corp.internal')).toBe(true);
    expect(bypassesProxy('registry.corp.internal', 'corp.internal,10.0.0.0/8')).toBe(true);
    expect(bypassesProxy('ghcr.io', 'corp.internal')).toBe(false);
    expect(bypassesProxy('anything', '*')).toBe(true);
    expect(bypassesProxy('x', undefined)).toBe(false);
  });
  it('a bypassed host goes straight (no tunnel asked), a closed port is the TCP step', async () => {
    const before = tunnels.length;
    const port = await freePort();
    const r = await egress({ url: `https://127.0.0.1:${port}/`, proxy: `127.0.0.1:${proxyPort}`, noProxy: '127.0.0.1', caPems: ca(), ...base });
    expect(r).toMatchObject({ ok: false, failedAt: 'tcp', proxy: null, error: { code: 'ECONNREFUSED' } });
    expect(tunnels.length).toBe(before);
  });
  it('not a URL', async () => {
    expect(await egress({ url: 'ftp://x/', ...base })).toMatchObject({ ok: false, failedAt: 'url', error: { code: 'BAD_URL' } });
  });
});
