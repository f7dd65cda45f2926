import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ViewerStats } from '../../../src/hub/consumer.js';
import { cameraFrames, decodeJpeg, sleep, startServer, waitFor, type TestServer } from '../../support/index.js';
import { MJPEG_TYPE, openMjpeg, type MjpegPart } from './mjpeg-client.js';

async function viewers(ts: TestServer, camera: string): Promise<ViewerStats[]> {
  const res = await fetch(`${ts.url}/api/cameras/${camera}`);
  return ((await res.json()) as { viewers: ViewerStats[] }).viewers;
}

function timestampMs(part: MjpegPart): number {
  const value = part.headers['x-timestamp'] ?? '';
  assert.match(value, /^\d{10}\.\d{6}$/);
  return Number(value) * 1000;
}

describe('GET /api/cameras/:id/stream.mjpeg', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startServer(['cam=testsrc?size=320x240&fps=30', 'slow=testsrc?size=160x120&fps=2']);
  });
  after(() => ts.close());

  it('streams every frame as a multipart part holding a 320x240 JPEG, at the camera rate', async () => {
    const client = await openMjpeg(`${ts.url}/api/cameras/cam/stream.mjpeg`);
    try {
      assert.equal(client.response.statusCode, 200);
      assert.match(String(client.response.headers['content-type']), MJPEG_TYPE);
      assert.match(client.response.headers['cache-control'] ?? '', /no-store/);
      assert.equal(client.response.headers['transfer-encoding'], undefined, 'a plain body, as mjpg-streamer sends');
      await waitFor(() => client.parts.length > 0, 15_000, 'the first part');
      // Against the camera's own frame counter, not the clock: 25 of its 45 frames in 1.5 s before.
      const from = client.parts.length;
      const made0 = cameraFrames(ts, 'cam');
      await waitFor(() => client.parts.length >= from + 30, 15_000, '30 more parts');
      const made = cameraFrames(ts, 'cam') - made0;
      const parts = client.parts.slice(from);
      assert.ok(parts.length >= made * 0.55, `${parts.length} parts while the camera made ${made} frames`);

      let previous: MjpegPart | undefined;
      for (const part of parts) {
        assert.equal(part.headers['content-type'], 'image/jpeg');
        assert.equal(Number(part.headers['content-length']), part.body.length);
        const at = timestampMs(part);
        assert.ok(
          Math.abs(at - part.capturedAt) < 1000,
          `X-Timestamp ${at} is ${part.capturedAt - at} ms from when it arrived`,
        );
        const image = decodeJpeg(part.body);
        assert.deepEqual([image.width, image.height], [320, 240]);
        if (previous) {
          assert.ok(at > timestampMs(previous), 'timestamps increase');
          assert.ok(!part.body.equals(previous.body), 'each part is a new frame');
        }
        previous = part;
      }

      const [stats] = (await viewers(ts, 'cam')).filter((v) => v.protocol === 'mjpeg');
      assert.ok(stats, 'the viewer is listed');
      assert.match(stats.id, /^mjpeg-/);
      assert.equal(stats.remoteAddress, '127.0.0.1');
      assert.ok(
        stats.framesSent >= client.parts.length,
        `framesSent ${stats.framesSent} ≥ ${client.parts.length} parts received`,
      );
      assert.ok(stats.bytesSent > stats.framesSent * 1000);
    } finally {
      client.close();
    }
    await waitFor(
      async () => (await viewers(ts, 'cam')).length === 0,
      5000,
      'the viewer to be gone after it disconnected',
    );
  });

  it('sends the latest frame at once on connect', async () => {
    const first = await openMjpeg(`${ts.url}/api/cameras/slow/stream.mjpeg`);
    try {
      await waitFor(() => first.parts.length > 0, 15_000, 'the first part');
      // Connect the second viewer a while after a frame, before the next (2 fps).
      const count = first.parts.length;
      await waitFor(() => first.parts.length > count, 5000, 'a new frame');
      await sleep(100);
      const connectedAt = Date.now();
      const second = await openMjpeg(`${ts.url}/api/cameras/slow/stream.mjpeg`);
      try {
        const part = await second.first;
        assert.ok(timestampMs(part) < connectedAt - 50, 'the first part is the frame captured before the request');
        assert.ok(part.body.equals(first.parts.at(-1)!.body));
        // At once, not with the camera's next frame (2 fps): it arrived before that frame was captured.
        const shown = first.parts.findIndex((p) => p.body.equals(part.body));
        const next = await waitFor(() => first.parts[shown + 1], 5000, 'the next frame');
        const late = part.capturedAt - timestampMs(next);
        assert.ok(late < 0, `it came ${late} ms after the next capture`);
      } finally {
        second.close();
      }
    } finally {
      first.close();
    }
  });

  it('limits a viewer to ?fps=N', async () => {
    const client = await openMjpeg(`${ts.url}/api/cameras/cam/stream.mjpeg?fps=10`);
    try {
      await client.first;
      const from = client.parts.length;
      const t0 = Date.now();
      const made0 = cameraFrames(ts, 'cam');
      await sleep(2000);
      const n = client.parts.length - from;
      const seconds = (Date.now() - t0) / 1000;
      const made = cameraFrames(ts, 'cam') - made0;
      const report = `${n} parts in ${seconds.toFixed(1)} s at fps=10, the camera made ${made} frames`;
      // The limit is per second of the clock: never above it; at about it while the camera makes more.
      assert.ok(n <= seconds * 10 + 2, report);
      assert.ok(n >= Math.min(made, seconds * 10) * 0.7, report);
    } finally {
      client.close();
    }
  });

  it('answers HEAD with the headers only', async () => {
    const res = await fetch(`${ts.url}/api/cameras/cam/stream.mjpeg`, { method: 'HEAD' });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', MJPEG_TYPE);
    assert.equal(res.headers.get('content-length'), null);
  });

  it('rejects a bad ?fps with 400 JSON', async () => {
    const res = await fetch(`${ts.url}/api/cameras/cam/stream.mjpeg?fps=0`);
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { statusCode: number }).statusCode, 400);
  });
});

describe('closing the server', () => {
  it('ends open streams instead of waiting for them', { timeout: 20_000 }, async () => {
    const ts = await startServer(['cam=testsrc?size=320x240&fps=30']);
    const client = await openMjpeg(`${ts.url}/api/cameras/cam/stream.mjpeg`);
    await client.first;
    const ended = new Promise<void>((resolve) => client.response.once('close', resolve));
    const started = Date.now();
    await ts.close();
    await ended;
    assert.ok(Date.now() - started < 5000, `close took ${Date.now() - started} ms`);
    client.close();
  });
});
