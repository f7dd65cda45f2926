/**
 * Viewers that stop reading: the server holds at most their window (or one
 * frame without acks) and skips frames for them, and a viewer on the same
 * camera that reads keeps the full rate.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { ViewerStats } from '../../../src/hub/consumer.js';
import { MAX_BUFFERED_BYTES } from '../../../src/wire/constants.js';
import { startServer, waitFor, type TestServer } from '../../support/index.js';
import { V1Client, wsUrl } from '../../support/v1-client.js';

let ts: TestServer;

async function viewers(): Promise<ViewerStats[]> {
  const res = await fetch(`${ts.url}/api/cameras/big`);
  return ((await res.json()) as { viewers: ViewerStats[] }).viewers;
}

/** A WebSocket client that sends the upgrade request and then never reads a byte. */
function rawUpgrade(path: string): Promise<Socket> {
  const { hostname, port } = new URL(ts.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
      socket.pause();
      resolve(socket);
    });
    socket.on('error', reject);
  });
}

describe('WebSocket viewer protocol v1: slow readers', () => {
  before(async () => {
    // Big frames (~45 KB), so that a stalled reader would pile up megabytes if nothing held them back.
    ts = await startServer(['big=testsrc?size=1280x720&fps=30']);
  });
  after(async () => {
    await ts.close();
  });

  it('a reader that stops reading holds at most its window; other viewers keep their rate', async () => {
    const url = (query: string) => wsUrl(ts.url, 'big', query);
    const reader = await V1Client.open(url(''), { autoAck: true });
    await reader.waitFrames(5, 10_000);
    const readerId = (await viewers())[0]!.id;

    // Acks what it reads, then stops reading: its window fills and stays full.
    const stalledAcker = await V1Client.open(url('?window=8'), { autoAck: true });
    await stalledAcker.waitFrames(2);
    (stalledAcker.ws as unknown as { _socket: Socket })._socket.pause();
    // Cannot ack and never reads: paced by the socket draining, which stops once the OS buffers are full.
    const neverReads = await rawUpgrade('/api/cameras/big/ws?ack=0');

    await waitFor(
      async () => {
        const stalled = (await viewers()).filter((v) => v.id !== readerId);
        return stalled.length === 2 && stalled.every((v) => v.framesDropped >= 30);
      },
      30_000,
      'both stalled viewers to skip frames',
    );

    // Server side: what each socket holds in user space, the never-reading one apart.
    let maxBuffered = 0;
    let maxBufferedNoAck = 0;
    const sample = setInterval(() => {
      for (const client of ts.server.app.websocketServer.clients) {
        maxBuffered = Math.max(maxBuffered, client.bufferedAmount);
        const peerPort = (client as unknown as { _socket: Socket })._socket.remotePort;
        if (peerPort === neverReads.localPort) maxBufferedNoAck = Math.max(maxBufferedNoAck, client.bufferedAmount);
      }
    }, 10);
    const sentBefore = (await viewers()).filter((v) => v.id !== readerId).map((v) => v.framesSent);
    // Against the camera's own frame counter (the seqs), not the clock: 50 of its 60 frames in 2 s before.
    const { received, made } = await reader.framesMadeWhileReceiving(50);
    clearInterval(sample);
    const sentAfter = (await viewers()).filter((v) => v.id !== readerId).map((v) => v.framesSent);

    assert.ok(received >= made * 0.83, `the viewer that reads got ${received} of the camera's ${made} frames`);
    const frameBytes = Math.max(...reader.frames.map((f) => f.jpeg.length + 16));
    assert.ok(
      maxBufferedNoAck <= frameBytes,
      `${maxBufferedNoAck} bytes buffered for the ?ack=0 viewer: at most the frame in flight (≤ ${frameBytes})`,
    );
    assert.ok(
      maxBuffered <= 8 * frameBytes && maxBuffered < MAX_BUFFERED_BYTES,
      `${maxBuffered} bytes buffered at most for a viewer: within its window`,
    );
    assert.deepEqual(sentAfter, sentBefore, 'nothing more is sent to the stalled viewers');

    neverReads.destroy();
    reader.close();
    stalledAcker.ws.terminate();
    await waitFor(async () => (await viewers()).length === 0, 3000, 'the viewers to be gone');
  });
});
