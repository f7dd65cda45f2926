import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { ViewerStats } from '../../../src/hub/consumer.js';
import { cameraFrames, sleep, startServer, waitFor, type TestServer } from '../../support/index.js';
import { openMjpeg } from './mjpeg-client.js';

async function mjpegViewers(ts: TestServer): Promise<ViewerStats[]> {
  const res = await fetch(`${ts.url}/api/cameras/cam`);
  return ((await res.json()) as { viewers: ViewerStats[] }).viewers.filter((v) => v.protocol === 'mjpeg');
}

describe('a slow MJPEG reader', () => {
  let ts: TestServer;
  let slow: Socket;
  before(async () => {
    // Big frames (~45 KB) fill the few MB of socket buffers between server and client in seconds.
    ts = await startServer(['cam=testsrc?size=1280x720&fps=30']);
  });
  after(async () => {
    slow?.destroy();
    await ts.close();
  });

  it('gets frames dropped, not buffered, and does not slow another viewer', async () => {
    // A raw client that sends the request and then never reads a byte.
    slow = connect(Number(new URL(ts.url).port), '127.0.0.1');
    await once(slow, 'connect');
    slow.pause();
    slow.write('GET /api/cameras/cam/stream.mjpeg HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    // Once the socket buffers between the two are full, the server stops writing to it.
    await waitFor(
      async () => (await mjpegViewers(ts))[0]?.framesDropped,
      20_000,
      'frames to be dropped for the slow viewer',
    );

    const fast = await openMjpeg(`${ts.url}/api/cameras/cam/stream.mjpeg`);
    try {
      await fast.first;
      const [before] = await mjpegViewers(ts); // viewers are listed in the order they came
      const from = fast.parts.length;
      const made0 = cameraFrames(ts, 'cam');
      await sleep(1500);
      const parts = fast.parts.length - from;
      // Against the camera's own frame counter, not the clock: 25 of its 45 frames in 1.5 s before.
      const made = cameraFrames(ts, 'cam') - made0;
      const [slowStats, fastStats] = await mjpegViewers(ts);
      assert.ok(before && slowStats && fastStats);

      assert.ok(parts >= made * 0.55, `the other viewer got ${parts} parts of the camera's ${made} frames`);
      assert.ok(fastStats.framesSent >= fast.parts.length);
      assert.ok(
        slowStats.framesSent - before.framesSent <= 2,
        `the stalled viewer was written ${slowStats.framesSent - before.framesSent} frames in 1.5 s`,
      );
      const dropped = slowStats.framesDropped - before.framesDropped;
      assert.ok(dropped >= made * 0.55, `${dropped} of the camera's ${made} frames dropped for it`);
      // What the kernel holds for it (a few MB) and one frame; not a queue that grows.
      assert.ok(slowStats.bytesSent < 12 * 1024 * 1024, `${slowStats.bytesSent} bytes written to the stalled viewer`);
    } finally {
      fast.close();
    }

    slow.destroy();
    await waitFor(async () => (await mjpegViewers(ts)).length === 0, 5000, 'both viewers to be gone');
  });
});
