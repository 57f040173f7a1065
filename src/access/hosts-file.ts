// Which lines of a hosts file name a host (glibc's files backend: "address name [alias…]", '#'
// starts a comment, names compare case-insensitively, no wildcards). A name that resolves here
// only through this machine's /etc/hosts does not resolve in pods: they use the cluster's DNS.
// Only node: imports: this file is bundled into the probe agent too.

export interface HostsFileEntry {
  /** 1-based line number. */
  line: number;
  address: string;
}

export function hostsFileEntries(text: string, host: string): HostsFileEntry[] {
  const want = host.toLowerCase().replace(/\.$/, '');
  const out: HostsFileEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const fields = raw.replace(/#.*$/, '').trim().split(/\s+/).filter(Boolean);
    if (fields.length < 2) return;
    const [address, ...names] = fields;
    if (names.some((n) => n.toLowerCase().replace(/\.$/, '') === want)) out.push({ line: i + 1, address: address! });
  });
  return out;
}
