// The agent's modes: name → what it does with its JSON args. A new mode is one file beside this
// one and one line here.
import { accessReach } from './access-reach.ts';
import { egressAll } from './egress.ts';
import { pgConnect } from './pg-connect.ts';
import { pgLatency } from './pg-latency.ts';
import { tcpClient } from './tcp-client.ts';
import { tcpServer } from './tcp-server.ts';
import { volumeWrite } from './volume-write.ts';

export type Mode = (args: Record<string, unknown>) => Promise<unknown>;

export const MODES: Record<string, Mode> = {
  'volume-write': (a) => volumeWrite(a as never),
  'tcp-server': (a) => tcpServer(a as never),
  'tcp-client': (a) => tcpClient(a as never),
  'pg-latency': (a) => pgLatency(a as never),
  'pg-connect': (a) => pgConnect(a as never),
  'access-reach': (a) => accessReach(a as never),
  egress: (a) => egressAll(a as never),
};
