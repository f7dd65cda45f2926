/**
 * Auto quality on loopback with a real RTSP camera like the ones the trial used (15 fps, a keyframe every
 * 2 s, about 100 kbit/s: small units, small keyframes) and a real WebSocket client that acks every unit.
 *
 * The client stops acking for 1.5 s, as a busy browser tab does (its decoder holds the acks): to the server
 * that is a link that stopped, and the viewer moves down. Once acks flow again the link is as fast as ever,
 * and the viewer must be back on main within 10 s (plus one GOP: a move waits for the target's keyframe).
 * On keyframes only, what such a viewer is given (~1 KB every 2 s) can never prove a faster link by its
 * acked throughput or by the burst of a big unit: the controller must probe.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { decodeHeader } from '../../../src/wire/header.js';
import {
  requireInCi,
  rtspCameraMissing,
  skipOutsideCi,
  sleep,
  startRtspCamera,
  startServer,
  waitFor,
  type RtspCamera,
  type TestServer,
  type TextMessage,
} from '../../support/index.js';

const missing = rtspCameraMissing();
const skip = skipOutsideCi(missing);
const STALL_MS = 1500;
/** The target (10 s) plus one GOP of the camera: the move up happens at main's next keyframe. */
const BACK_WITHIN_MS = 12_000;

describe('auto quality after a stall of acks, low-rate RTSP camera on loopback', () => {
  let cam: RtspCamera | undefined;
  let ts: TestServer | undefined;

  before(async () => {
    if (missing) return;
    cam = await startRtspCamera({ width: 640, height: 360, fps: 15, keyint: 30 });
    ts = await startServer([`cam=${cam.url}`]);
  });
  after(async () => {
    await ts?.close();
    await cam?.stop();
  });

  it('moves back to main once the acks flow again', { skip }, async () => {
    requireInCi(missing);
    const ws = new WebSocket(`${ts!.url.replace('http', 'ws')}/api/cameras/cam/ws?codec=h264&quality=auto`);
    const moves: { quality: string; reason: string; at: number }[] = [];
    let units = 0;
    let stalled = false;
    const held: number[] = [];
    ws.on('message', (data: Buffer, isBinary) => {
      if (!isBinary) {
        const m = JSON.parse(data.toString()) as TextMessage;
        if (m.type === 'quality') moves.push({ quality: String(m.quality), reason: String(m.reason), at: Date.now() });
        return;
      }
      units++;
      const { seq } = decodeHeader(data);
      if (stalled) held.push(seq);
      else ws.send(JSON.stringify({ type: 'ack', seq }));
    });
    try {
      await waitFor(() => units >= 45, 20_000, 'three seconds of units');
      assert.deepEqual(
        moves.map((m) => m.quality),
        ['main'],
        'on main while the acks flow',
      );
      stalled = true;
      await sleep(STALL_MS);
      stalled = false;
      for (const seq of held) ws.send(JSON.stringify({ type: 'ack', seq }));
      const resumedAt = Date.now();
      // A client that acks nothing for 1.5 s is a link that stopped: the viewer moves down.
      const down = await waitFor(
        () => moves.find((m) => m.quality !== 'main'),
        5000,
        `a move down after the stall (${JSON.stringify(moves)})`,
      );
      assert.equal(down.reason, 'link');
      await waitFor(
        () => moves.at(-1)!.quality === 'main' && moves.at(-1)!.at > down.at,
        BACK_WITHIN_MS + 5000,
        'back to main',
      ).catch(() => undefined); // the assertions below say what happened instead
      const back = moves.at(-1)!;
      const summary = moves.map((m) => `${m.quality}/${m.reason}@${m.at - resumedAt}ms`);
      console.log(`# moves after the stall: ${JSON.stringify(summary)}`);
      assert.equal(back.quality, 'main', `back on main: ${JSON.stringify(summary)}`);
      assert.equal(back.reason, 'link');
      assert.ok(back.at - resumedAt <= BACK_WITHIN_MS, `back within ${BACK_WITHIN_MS} ms: ${JSON.stringify(summary)}`);
      // And it stays there while the link is fast.
      const count = moves.length;
      await sleep(5000);
      assert.equal(moves.length, count, `no move on a fast link: ${JSON.stringify(moves.slice(count))}`);
    } finally {
      ws.close();
    }
  });
});
