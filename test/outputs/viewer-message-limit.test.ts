import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { startServer, type TestServer } from '../support/index.js';

/** A client frame header announcing `length` bytes of text, masked (as clients must), with no payload yet. */
function bigFrameHeader(length: number): Buffer {
  const header = Buffer.alloc(14);
  header[0] = 0x81;
  header[1] = 0x80 | 127;
  header.writeBigUInt64BE(BigInt(length), 2);
  return header; // mask key: the last four zero bytes
}

describe('viewer message limit', () => {
  let t: TestServer;
  before(async () => {
    t = await startServer(['cam=testsrc?size=160x120&fps=5']);
  });
  after(() => t.close());

  for (const path of ['/api/cameras/cam/ws', '/video']) {
    it(`closes ${path} with 1009 as soon as a message announces more than 4 KiB, before it arrives`, async () => {
      const ws = new WebSocket(`${t.url.replace('http', 'ws')}${path}`);
      await once(ws, 'open');
      const raw = (ws as unknown as { _socket: Socket })._socket;
      const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      // 3 MiB announced, 0 bytes sent: only a limit applied to the header can answer now.
      raw.write(bigFrameHeader(3 * 1024 * 1024));
      const code = await Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(0), 2000))]);
      assert.equal(code, 1009);
      ws.terminate();
    });
  }
});
