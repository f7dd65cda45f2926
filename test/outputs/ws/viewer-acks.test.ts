/**
 * WsViewer on its own: the window, the smoothed RTT and how often round trips reach the camera's histogram
 * (with a stand-in socket: this tests the viewer, not ws), and how units reach a real ws client over loopback.
 * The units are real JPEGs.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import type { AccessUnit } from '../../../src/media/index.js';
import { jpegConfig } from '../../../src/media/jpeg.js';
import { unitMessage } from '../../../src/outputs/ws/frame-message.js';
import { RTT_REPORT_MS, WsViewer } from '../../../src/outputs/ws/viewer.js';
import { arrivalTimes, ffmpegJpeg } from '../../support/index.js';

const JPEG = ffmpegJpeg(64, 48);
const CONFIG = jpegConfig(64, 48);

function unit(seq: number): AccessUnit {
  return Object.freeze({
    seq,
    data: JPEG,
    ...arrivalTimes(Date.now()),
    config: CONFIG,
    keyframe: true,
    placeholder: false,
  });
}

/** What WsViewer uses of a socket: it counts the binary messages sent. */
function socket(): { readyState: number; bufferedAmount: number; sent: number; send: (data: unknown) => void } {
  const s = {
    readyState: WebSocket.OPEN,
    bufferedAmount: 0,
    sent: 0,
    send(data: unknown): void {
      if (typeof data !== 'string') s.sent++;
    },
  };
  return s;
}

function viewer(onRtt: (ms: number) => void): { viewer: WsViewer; socket: ReturnType<typeof socket> } {
  const s = socket();
  const v = new WsViewer(s as unknown as WebSocket, {
    id: 'ws-test',
    camera: 'cam',
    window: 2,
    acks: true,
    remoteAddress: '127.0.0.1',
    codec: 'jpeg',
    onRtt,
  });
  return { viewer: v, socket: s };
}

describe('WsViewer acks', () => {
  it('sends within its window and frees it with each ack', () => {
    const { viewer: v, socket: s } = viewer(() => {});
    v.onUnit(unit(1));
    v.onUnit(unit(2));
    v.onUnit(unit(3)); // waits: two are unacknowledged
    assert.equal(s.sent, 2);
    assert.equal(v.ack(1), 'freed');
    assert.equal(s.sent, 3, 'the waiting unit goes once the window has room');
    assert.equal(v.ack(1), 'stale');
    assert.equal(v.ack(9), 'never-sent');
    assert.ok(v.stats().rttMs !== undefined);
  });

  it('after pause and resume, sends the picture that waited at the pause when the camera has none newer', () => {
    const { viewer: v, socket: s } = viewer(() => {});
    const [u1, u2, u3] = [unit(1), unit(2), unit(3)];
    v.onUnit(u1);
    v.onUnit(u2);
    v.onUnit(u3); // waits: the window (2) is full
    v.pause();
    assert.equal(v.ack(2), 'freed');
    assert.equal(s.sent, 2, 'nothing while paused');
    assert.ok(v.resume());
    v.onUnit(u3); // the camera's catch-up: its latest picture, still unit 3
    assert.equal(s.sent, 3, 'the waiting picture, at once');
    v.onUnit(u2);
    assert.equal(s.sent, 3, 'never a unit already sent');
  });

  it(`reports a round trip at most once per ${RTT_REPORT_MS} ms, and again after that`, async () => {
    const samples: number[] = [];
    const { viewer: v } = viewer((ms) => samples.push(ms));
    const started = performance.now();
    for (let seq = 1; seq <= 30; seq++) {
      v.onUnit(unit(seq));
      assert.equal(v.ack(seq), 'freed');
    }
    const elapsed = performance.now() - started;
    assert.ok(samples.length >= 1, 'the first ack reports');
    assert.ok(
      samples.length <= Math.floor(elapsed / RTT_REPORT_MS) + 1,
      `${samples.length} samples in ${elapsed.toFixed(0)} ms`,
    );
    const before = samples.length;
    await sleep(RTT_REPORT_MS + 20);
    const sentFrom = performance.now();
    v.onUnit(unit(31));
    v.ack(31);
    const ackedBy = performance.now();
    assert.equal(samples.length, before + 1, 'an ack after the interval reports');
    // The sample is the interval from the send to the ack, which happened between these two readings.
    const sample = samples.at(-1)!;
    assert.ok(sample >= 0 && sample <= ackedBy - sentFrom, `sample ${sample} within ${ackedBy - sentFrom} ms`);
  });
});

/** A loopback ws server and client; the server's socket is handed to `onServerSocket`. */
async function pair(
  deflate: boolean,
): Promise<{ server: WebSocketServer; client: WebSocket; serverSocket: WebSocket; messages: Buffer[] }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: deflate });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as { port: number };
  const accepted = new Promise<WebSocket>((resolve) => server.once('connection', resolve));
  const client = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: deflate });
  const messages: Buffer[] = [];
  client.on('message', (data: Buffer, binary) => {
    if (binary) messages.push(data);
  });
  await new Promise<void>((resolve, reject) => {
    client.once('open', () => resolve());
    client.once('error', reject);
  });
  return { server, client, serverSocket: await accepted, messages };
}

describe('WsViewer on a real socket', () => {
  for (const deflate of [false, true]) {
    it(`delivers each unit as its shared message, ${deflate ? 'through ws.send with permessage-deflate' : 'written as a prebuilt frame without extensions'}`, async () => {
      const { server, client, serverSocket, messages } = await pair(deflate);
      try {
        assert.equal(serverSocket.extensions === '', !deflate);
        let binarySends = 0;
        const send = serverSocket.send.bind(serverSocket);
        serverSocket.send = ((data: unknown, ...rest: unknown[]) => {
          if (typeof data !== 'string') binarySends++;
          return (send as (...args: unknown[]) => void)(data, ...rest);
        }) as typeof serverSocket.send;
        const v = new WsViewer(serverSocket, {
          id: 'ws-real',
          camera: 'cam',
          window: 2,
          acks: false,
          remoteAddress: '127.0.0.1',
          codec: 'jpeg',
        });
        const units = [unit(1), unit(2), unit(3)];
        for (const u of units) {
          v.onUnit(u);
          // Without acks, the next goes once this one is handed to the OS.
          const deadline = Date.now() + 5000;
          while (messages.length < u.seq && Date.now() < deadline) await sleep(5);
        }
        assert.equal(messages.length, 3);
        messages.forEach((m, i) => assert.ok(m.equals(unitMessage(units[i]!).message), `unit ${i + 1} as sent`));
        assert.equal(binarySends, deflate ? 3 : 0, 'ws.send only where an extension is in use');
        assert.equal(v.stats().framesSent, 3);
        assert.equal(v.stats().bytesSent, 3 * unitMessage(units[0]!).message.length);
      } finally {
        client.close();
        server.close();
      }
    });
  }
});
