// Runs inside a fresh network namespace (`unshare --net`, made by test/world/coder-server.ts) whose
// only interface is loopback: brings `lo` up, listens on 127.0.0.1:<port> for each given port and
// forwards every connection to the unix socket <sockdir>/<port>.sock (served from the host's
// namespace, which connects on to the host's 127.0.0.1:<port>), then runs the command given after
// `--` with stdio inherited and exits with its code.
//
// Why: real `coder server` runs tailscale's netcheck once its server tailnet is up, and that sends a
// UDP "hairpin" datagram to 203.0.113.1:12345 (an RFC 5737 documentation address) whenever any
// non-loopback interface is up. Here none is: tailscale sees the network as down and skips it, and
// anything else that tried to leave loopback would fail with ENETUNREACH instead of going out.
//
//   node coder-netns.mjs <sockdir> <port,port,…> -- <command> [args…]
import { execFileSync, spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';

const sep = process.argv.indexOf('--');
const [sockdir, portList] = process.argv.slice(2, sep);
const [cmd, ...args] = process.argv.slice(sep + 1);
if (sep < 0 || !sockdir || !cmd) {
  process.stderr.write('usage: coder-netns.mjs <sockdir> <ports> -- <command> [args…]\n');
  process.exit(2);
}

execFileSync('ip', ['link', 'set', 'lo', 'up'], { stdio: 'inherit' });

const ports = (portList ?? '').split(',').filter(Boolean).map(Number);
await Promise.all(
  ports.map(
    (port) =>
      new Promise((resolve, reject) => {
        const srv = createServer((client) => {
          const upstream = connect(join(sockdir, `${port}.sock`));
          const close = () => {
            client.destroy();
            upstream.destroy();
          };
          client.on('error', close).on('close', close);
          upstream.on('error', close).on('close', close);
          client.pipe(upstream);
          upstream.pipe(client);
        });
        srv.once('error', reject);
        srv.listen(port, '127.0.0.1', () => {
          srv.unref(); // the forwarders must not keep this process alive after the command exits
          resolve(undefined);
        });
      }),
  ),
);

const child = spawn(cmd, args, { stdio: 'inherit' });
// The harness signals the whole process group (this process and the command): let the command
// shut down on its own signal, and leave when it has.
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, () => {});
child.on('error', (e) => {
  process.stderr.write(`coder-netns: ${cmd}: ${e.message}\n`);
  process.exit(127);
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
