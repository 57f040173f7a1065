// A DNS server of the test world on a loopback address (port 53, UDP), so names like
// coder.preflight.test resolve through real DNS — getaddrinfo and c-ares asking a nameserver —
// without touching any resolver off this machine. Processes see it through a private mount
// namespace whose /etc/resolv.conf names it (and, optionally, whose /etc/hosts is our own):
// runWithResolver(). Records: exact names and "*.domain" wildcards (any depth), A only; a name in
// `drop` gets no answer (a resolver that times out); everything else is NXDOMAIN.
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A loopback address for the world's DNS (any 127/8 address answers on Linux): one per run, so runs never collide on port 53. */
export const WORLD_DNS_ADDRESS = `127.53.${1 + Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;

export interface DnsZone {
  /** name or *.domain → IPv4 address. */
  a: Record<string, string>;
  /** Names that get no answer at all. */
  drop?: string[];
}

export interface WorldDns {
  address: string;
  /** Queries seen (name and type), for tests that assert what was asked. */
  queries: { name: string; type: number }[];
  setZone(z: DnsZone): void;
  close(): Promise<void>;
}

function readName(msg: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  let i = offset;
  while (i < msg.length) {
    const len = msg[i]!;
    if (len === 0) return { name: labels.join('.'), end: i + 1 };
    labels.push(msg.subarray(i + 1, i + 1 + len).toString('latin1'));
    i += 1 + len;
  }
  throw new Error('truncated name');
}

function lookupA(zone: DnsZone, name: string): { exists: boolean; address?: string } {
  const n = name.toLowerCase().replace(/\.$/, '');
  if (zone.a[n]) return { exists: true, address: zone.a[n] };
  for (const [k, v] of Object.entries(zone.a)) if (k.startsWith('*.') && n.endsWith(k.slice(1))) return { exists: true, address: v };
  return { exists: false };
}

function answer(zone: DnsZone, q: Buffer): Buffer | undefined {
  if (q.length < 12) return undefined;
  const { name, end } = readName(q, 12);
  const type = q.readUInt16BE(end);
  if ((zone.drop ?? []).includes(name.toLowerCase())) return undefined;
  const found = lookupA(zone, name);
  const question = q.subarray(12, end + 4);
  const header = Buffer.alloc(12);
  q.copy(header, 0, 0, 2);
  const rd = q[2]! & 1;
  const rcode = found.exists ? 0 : 3;
  const answers: Buffer[] = [];
  if (found.exists && type === 1 && found.address) {
    const rr = Buffer.alloc(16);
    rr.writeUInt16BE(0xc00c, 0);
    rr.writeUInt16BE(1, 2);
    rr.writeUInt16BE(1, 4);
    rr.writeUInt32BE(5, 6);
    rr.writeUInt16BE(4, 10);
    found.address.split('.').forEach((p, i) => rr.writeUInt8(Number(p), 12 + i));
    answers.push(rr);
  }
  header.writeUInt8(0x80 | 0x04 | rd, 2); // QR, AA, RD as asked
  header.writeUInt8(0x80 | rcode, 3); // RA
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length, 6);
  return Buffer.concat([header, question, ...answers]);
}

export function startWorldDns(zone: DnsZone, address = WORLD_DNS_ADDRESS): Promise<WorldDns> {
  let current = zone;
  const queries: WorldDns['queries'] = [];
  const sock: Socket = createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    try {
      const { name, end } = readName(msg, 12);
      queries.push({ name, type: msg.readUInt16BE(end) });
      const out = answer(current, msg);
      if (out) sock.send(out, rinfo.port, rinfo.address);
    } catch {
      /* not a query we understand: no answer */
    }
  });
  return new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(53, address, () =>
      resolve({
        address,
        queries,
        setZone: (z) => (current = z),
        close: () => new Promise<void>((r) => sock.close(() => r())),
      }),
    );
  });
}

/** A resolv.conf naming only the world's DNS (one try, one second: a dropped name fails fast). */
export function worldResolvConf(address = WORLD_DNS_ADDRESS): string {
  const f = join(mkdtempSync(join(tmpdir(), 'cp-resolv-')), 'resolv.conf');
  writeFileSync(f, `nameserver ${address}\noptions timeout:1 attempts:1\n`);
  return f;
}

/** A hosts file with localhost and the given extra lines. */
export function worldHostsFile(lines: string[] = []): string {
  const f = join(mkdtempSync(join(tmpdir(), 'cp-hosts-')), 'hosts');
  writeFileSync(f, ['127.0.0.1 localhost', '::1 localhost', ...lines, ''].join('\n'));
  return f;
}

/** argv that runs `cmd args` in a private mount namespace whose /etc/resolv.conf and /etc/hosts are these files. */
export function runWithResolver(resolv: string, hosts: string, cmd: string, args: string[]): [string, string[]] {
  return ['unshare', ['-m', 'sh', '-c', 'mount --bind "$1" /etc/resolv.conf && mount --bind "$2" /etc/hosts && shift 2 && exec "$@"', 'sh', resolv, hosts, cmd, ...args]];
}
