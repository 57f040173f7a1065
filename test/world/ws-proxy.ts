// The path to Coder for access-url.upgrade's tests: a WebSocket echo backend (node:http's
// 'upgrade' event and RFC 6455 framing; a plain GET gets 426, as Coder's DERP handler answers)
// and Debian's nginx in front of it, one listener per variant, all on 127.0.0.1:
//   good                 proxy_http_version 1.1 + Upgrade/Connection headers (what nginx needs)
//   no-upgrade-headers   proxy_http_version 1.1, the hop-by-hop headers not forwarded
//   http10               proxy_http_version 1.0 (nginx's default)
// nginx runs as its own process (daemon off, its prefix, pid and logs in a temp dir).
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { readFrame } from '../../src/access/ws-upgrade.ts';
import { freePort, startDaemon, stopDaemon, waitFor } from './proc.ts';

export type ProxyVariant = 'good' | 'no-upgrade-headers' | 'http10';
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

function serverFrame(payload: Buffer): Buffer {
  if (payload.length > 125) throw new Error('echo: frames up to 125 bytes');
  return Buffer.concat([Buffer.from([0x81, payload.length]), payload]);
}

/** A WebSocket echo server on 127.0.0.1 (text frames come back as they were sent). */
export async function startEchoBackend(): Promise<{ port: number; upgrades: () => number; plain: () => number; close(): Promise<void> }> {
  let upgrades = 0;
  let plain = 0;
  // Upgraded sockets leave the server's bookkeeping (closeAllConnections does not see them) and
  // node:http's sockets are half-open: each is ended when its peer ends and destroyed on close(),
  // or server.close() would wait for them for ever.
  const upgraded = new Set<Duplex>();
  const server: Server = createServer((req, res) => {
    plain++;
    res.writeHead(426, { Upgrade: 'websocket', 'Content-Type': 'text/plain' }).end('WebSocket upgrade required\n');
  });
  server.on('upgrade', (req, sock) => {
    const key = String(req.headers['sec-websocket-key'] ?? '');
    if (String(req.headers.upgrade).toLowerCase() !== 'websocket' || !key) return sock.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    upgrades++;
    upgraded.add(sock);
    sock.on('close', () => upgraded.delete(sock));
    sock.on('end', () => sock.end());
    const accept = createHash('sha1').update(key + GUID).digest('base64');
    sock.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    let buf = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const f = readFrame(buf);
      if (!f) return;
      buf = Buffer.alloc(0);
      if (f.opcode === 0x8) return sock.end();
      sock.write(serverFrame(f.payload));
    });
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const close = () =>
    new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
      for (const s of upgraded) s.destroy();
    });
  return { port, upgrades: () => upgrades, plain: () => plain, close };
}

function location(variant: ProxyVariant, backend: number): string {
  const common = `proxy_pass http://127.0.0.1:${backend};\n      proxy_set_header Host $host;`;
  if (variant === 'good') return `${common}\n      proxy_http_version 1.1;\n      proxy_set_header Upgrade $http_upgrade;\n      proxy_set_header Connection "upgrade";`;
  if (variant === 'no-upgrade-headers') return `${common}\n      proxy_http_version 1.1;`;
  return `${common}\n      proxy_http_version 1.0;`;
}

/** nginx with one listener per variant in front of `backend`; ports by variant. */
export async function startNginx(backend: number, variants: ProxyVariant[] = ['good', 'no-upgrade-headers', 'http10']): Promise<{ ports: Record<ProxyVariant, number>; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'cp-nginx-'));
  const ports = {} as Record<ProxyVariant, number>;
  for (const v of variants) ports[v] = await freePort();
  const servers = variants.map((v) => `  server {\n    listen 127.0.0.1:${ports[v]};\n    location / {\n      ${location(v, backend)}\n    }\n  }`).join('\n');
  writeFileSync(
    join(dir, 'nginx.conf'),
    `worker_processes 1;\npid ${join(dir, 'nginx.pid')};\nerror_log ${join(dir, 'error.log')} warn;\nevents { worker_connections 64; }\nhttp {\n  access_log off;\n  client_body_temp_path ${dir}/body;\n  proxy_temp_path ${dir}/proxy;\n  fastcgi_temp_path ${dir}/fastcgi;\n  uwsgi_temp_path ${dir}/uwsgi;\n  scgi_temp_path ${dir}/scgi;\n${servers}\n}\n`,
  );
  const d = startDaemon({ name: `nginx-${process.pid}-${ports[variants[0]!]}`, command: '/usr/sbin/nginx', args: ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], stopSignal: 'SIGQUIT' });
  const { connect } = await import('node:net');
  await waitFor('nginx listening', () => new Promise<boolean>((r) => { const s = connect(ports[variants[0]!], '127.0.0.1', () => (s.destroy(), r(true))); s.on('error', () => r(false)); }), { daemon: d, timeoutMs: 15_000, intervalMs: 100 });
  return {
    ports,
    close: async () => {
      await stopDaemon(d, 5_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
