// tcp-server: listen, and answer every connection with one line carrying the token, so a client
// knows it reached this server (and not a proxy, another pod, or a port something else answers).
// Runs until SIGTERM (the pod's deletion) or args.maxMs.
import { createServer } from 'node:net';
import type { TcpServerArgs, TcpServerResult } from './report.ts';

export function tcpServer(a: TcpServerArgs): Promise<TcpServerResult> {
  const port = Number(a.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw Object.assign(new Error(`bad port ${a.port}`), { code: 'BAD_ARGS' });
  let served = 0;
  const answer = `${JSON.stringify({ token: String(a.token) })}\n`;
  const server = createServer((sock) => {
    served++;
    sock.on('error', () => undefined);
    sock.end(answer);
  });
  return new Promise((resolve, reject) => {
    const stop = () => {
      clearTimeout(timer);
      server.close();
      resolve({ port, served });
    };
    const timer = setTimeout(stop, Math.max(1000, Number(a.maxMs) || 120_000));
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    server.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    server.listen(port, '0.0.0.0');
  });
}
