import check from '../../../../checks/access-url/upgrade.ts';
import type { AccessUrlUpgradeFact } from '../../../../src/facts/access-url/upgrade.ts';
import { readFrame, textFrame } from '../../../../src/access/ws-upgrade.ts';
import { describe, expect, it } from 'vitest';
import { failed, testCheck } from '../../../helpers/check-tester.ts';

const DERP = 'https://coder.acme.io/derp';
const f = (over: Partial<AccessUrlUpgradeFact>): { 'access-url.upgrade': AccessUrlUpgradeFact } => ({
  'access-url.upgrade': { url: DERP, path: '/derp', expect: 'derp', outcome: 'upgraded', httpVersion: 'HTTP/1.1', status: 101, reason: 'Switching Protocols', headers: {}, frame: true, ms: { connect: 3, upgrade: 5, frame: 1 }, vantage: 'this machine (laptop)', target: "Coder's DERP endpoint on the access URL (--access-url)", ...over },
});
const plain = (status: number, reason: string, over: Partial<AccessUrlUpgradeFact> = {}) => f({ outcome: 'not-upgraded', status, reason, frame: undefined, headers: { server: 'nginx/1.22.1' }, ...over });

testCheck(check, {
  pass: [
    { name: 'Coder\'s DERP endpoint upgrades and sends its first frame', facts: f({}), summary: "https://coder.acme.io/derp upgrades to WebSocket from this machine (laptop): 101 in 5 ms, Coder's DERP server sent its first frame in 1 ms" },
    { name: 'the echo service behind the same proxy', facts: f({ url: 'https://echo.acme.io/', expect: 'echo' }), summary: /the echo came back in 1 ms$/ },
  ],
  fail: [
    { name: 'the proxy dropped the headers: Coder\'s DERP handler got a plain GET (426)', facts: plain(426, 'Upgrade Required'), summary: /^The upgrade did not reach Coder from this machine \(laptop\): its DERP endpoint https:\/\/coder\.acme\.io\/derp got a plain request and answered HTTP\/1\.1 426 Upgrade Required \(server: nginx\/1\.22\.1\)/, remediation: /proxy_http_version 1\.1/ },
    { name: 'an HTTP/1.0 answer', facts: plain(200, 'OK', { httpVersion: 'HTTP/1.0' }), summary: /an HTTP\/1\.0 answer cannot upgrade/ },
    { name: 'the echo service got a plain request', facts: plain(426, 'Upgrade Required', { url: 'http://echo/', expect: 'echo' }), summary: /instead of 101 Switching Protocols: the WebSocket upgrade does not pass \(the echo service/ },
    { name: '101, and the frame does not come back', facts: f({ expect: 'echo', outcome: 'no-frame', frame: false }), summary: /did not come back/ },
    { name: 'a rewritten handshake', facts: f({ outcome: 'bad-accept' }), summary: /wrong Sec-WebSocket-Accept/ },
  ],
  warn: [
    { name: 'an authenticating proxy', facts: plain(302, 'Found'), summary: /an authenticating proxy in front of Coder\?/ },
    { name: 'DERP upgraded, no frame', facts: f({ outcome: 'no-frame', frame: false, error: { code: 'ETIMEDOUT', message: 'no frame within 5000 ms' } }), summary: /sent no frame within 5000 ms/ },
  ],
  skip: [
    { name: 'before the install: nothing answers /derp', facts: plain(404, 'Not Found'), summary: /^Nothing answers the upgrade yet .*give --upgrade-url/ },
    { name: 'no access URL', facts: { 'access-url.upgrade': failed('not-configured', 'No access URL to reach') }, summary: 'No access URL to reach' },
  ],
  error: [
    { name: 'nothing listens', facts: f({ outcome: 'connect-failed', status: undefined, frame: undefined, error: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' } }), summary: /access-url\.reachability says why$/ },
    { name: 'no answer at all', facts: f({ outcome: 'timeout', status: undefined, frame: undefined, error: { code: 'ETIMEDOUT', message: 'no answer within 5000 ms' } }), summary: /^No answer to the upgrade/ },
  ],
});

describe('WebSocket frames', () => {
  it('a masked client frame reads back as sent', () => {
    expect(readFrame(textFrame('coder-preflight-abc'))).toEqual({ opcode: 1, payload: Buffer.from('coder-preflight-abc') });
    expect(readFrame(textFrame('x').subarray(0, 3))).toBeUndefined();
  });
});
