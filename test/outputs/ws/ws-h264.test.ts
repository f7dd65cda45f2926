// test lane: waiting (mostly waits on real time: runs one file at a time, beside the browser files)
/**
 * Protocol v1 codec 2 (H.264) against a real server: a testsrc camera (JPEG) encoded once by
 * the camera's one encoder, a config with a parseable avcC, keyframe first, a stream ffmpeg
 * decodes with zero errors, a slow viewer that skips to keyframes, and one encoder for many viewers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ViewerStats } from '../../../src/hub/consumer.js';
import { ffmpegChildren, sleep, startServer, waitFor, type TestServer } from '../../support/index.js';
import { rejectedUpgrade } from '../../support/upgrade.js';
import { V1Client, wsUrl } from '../../support/v1-client.js';
import { assertNoBrokenPicture, checkConfig, decodeWithFfmpeg } from './h264-viewer.js';

let ts: TestServer;
const url = (query = '', camera = 'cam') => wsUrl(ts.url, camera, query);

async function apiViewers(camera = 'cam'): Promise<ViewerStats[]> {
  const res = await fetch(`${ts.url}/api/cameras/${camera}`);
  return ((await res.json()) as { viewers: ViewerStats[] }).viewers;
}

describe('WebSocket viewer protocol v1, codec 2 (H.264)', () => {
  before(async () => {
    ts = await startServer(['cam=testsrc?size=320x240&fps=25', 'many=testsrc?size=160x120&fps=15']);
  });
  after(async () => {
    await ts.close();
  });

  it('one encoder for many H.264 viewers', async () => {
    const viewers = await Promise.all(
      Array.from({ length: 4 }, () => V1Client.open(url('?codec=h264', 'many'), { autoAck: true })),
    );
    try {
      await Promise.all(viewers.map((v) => v.waitFrames(5, 30_000)));
      // The capture ffmpeg of `many` and its one encoder (this test runs first: `cam` has not started).
      const camera = ts.server.registry.get('many')!;
      assert.equal(camera.transcoderStarts, 1, 'one encoder started for four viewers');
      await waitFor(() => ts.server.registry.get('cam')!.state === 'idle', 20_000, 'cam idle');
      await waitFor(() => ffmpegChildren().length === 2, 10_000, 'capture + encoder only').catch(() => {});
      assert.equal(ffmpegChildren().length, 2, `ffmpeg children: ${ffmpegChildren().length}`);
    } finally {
      for (const v of viewers) v.close();
    }
  });

  it('hello h264, config with a parseable avcC, keyframe first, ffmpeg decodes all', async () => {
    const v = await V1Client.open(url('?codec=h264&player=webcodecs'), { autoAck: true });
    try {
      await v.waitFrames(40, 30_000);
      const hello = v.texts[0]!;
      assert.equal(hello.type, 'hello');
      assert.equal(hello.codec, 'h264');
      assert.equal(hello.width, 320);
      const config = checkConfig(v.texts.find((m) => m.type === 'config')!);
      assert.equal(config.width, 320);
      assert.equal(config.height, 240);
      assert.ok(
        v.frames.every((f) => f.codec === 2),
        'codec byte 2',
      );
      assertNoBrokenPicture(v.frames);
      assert.ok(decodeWithFfmpeg(config, v.frames) >= v.frames.length - 1, 'every unit decodes to a picture');
      const [stats] = await apiViewers();
      assert.equal(stats?.codec, 'h264');
      assert.equal(stats?.path, 'webcodecs');
      assert.equal(typeof stats?.keyframeSkips, 'number');
    } finally {
      v.close();
    }
  });

  it('a viewer that acks slowly still decodes with zero errors, skipping to keyframes', async () => {
    const v = await V1Client.open(url('?codec=h264'), { autoAck: false });
    try {
      const deadline = Date.now() + 6000;
      while (Date.now() < deadline) {
        await sleep(300);
        if (v.frames.length > 0) v.ackLast();
      }
      const config = checkConfig(v.texts.find((m) => m.type === 'config')!);
      assertNoBrokenPicture(v.frames);
      decodeWithFfmpeg(config, v.frames);
      const stats = (await apiViewers()).find((s) => s.codec === 'h264');
      assert.ok((stats?.keyframeSkips ?? 0) > 0, 'it skipped to keyframes');
      assert.ok(v.frames.filter((f) => f.flags & 1).length >= 2, 'keyframes keep coming');
    } finally {
      v.close();
    }
  });

  it('after pause and resume, the next unit is a keyframe', async () => {
    const v = await V1Client.open(url('?codec=h264'), { autoAck: true });
    try {
      await v.waitFrames(10, 30_000);
      v.send({ type: 'pause' });
      await sleep(400);
      const before = v.frames.length;
      v.send({ type: 'resume' });
      await v.waitFrames(before + 5, 20_000);
      // The first unit after a gap in the numbers (units sent before the server read the pause may still
      // arrive after `before`, in sequence).
      const resumed = v.frames.find((f, i) => i >= before && f.seq > v.frames[i - 1]!.seq + 1);
      if (resumed) assert.equal(resumed.flags & 1, 1, 'after the gap: a keyframe');
      assertNoBrokenPicture(v.frames);
    } finally {
      v.close();
    }
  });

  it('JPEG viewers alongside are unchanged; codec lists pick the first known; bad values are 400', async () => {
    const jpeg = await V1Client.open(url(), { autoAck: true });
    const listed = await V1Client.open(url('?codec=vp9,h264,jpeg'), { autoAck: true });
    try {
      await jpeg.waitFrames(3);
      await listed.waitFrames(3, 20_000);
      assert.equal(jpeg.texts[0]!.codec, 'jpeg');
      assert.equal(jpeg.bad, 0, 'JPEG after a v1 header, as always');
      assert.ok(jpeg.frames.every((f) => f.codec === 1));
      assert.ok(!jpeg.texts.some((m) => m.type === 'config'), 'JPEG viewers never get config');
      assert.equal(listed.texts[0]!.codec, 'h264');
    } finally {
      jpeg.close();
      listed.close();
    }
    for (const query of ['?codec=vp9', '?codec=', '?codec=h264&player=flash']) {
      assert.equal((await rejectedUpgrade(url(query))).status, 400, query);
    }
  });
});
