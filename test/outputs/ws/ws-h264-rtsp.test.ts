/**
 * An H.264 camera (the RTSP fixture) to codec-2 viewers: its own stream passed through, with no
 * encoder process (only the capture ffmpeg runs), and a snapshot of it is a fresh JPEG (decoded
 * once, on demand).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readJpegSize } from '../../../src/codec/jpeg.js';
import {
  ffmpegChildren,
  requireInCi,
  rtspCameraMissing,
  skipOutsideCi,
  startRtspCamera,
  startServer,
  waitFor,
} from '../../support/index.js';
import { V1Client, wsUrl } from '../../support/v1-client.js';
import { assertNoBrokenPicture, checkConfig, decodeWithFfmpeg } from './h264-viewer.js';

const missing = rtspCameraMissing();
const skip = skipOutsideCi(missing);

describe('H.264 passthrough of an RTSP camera', () => {
  it('an H.264 viewer gets the camera’s own stream, no encoder; a snapshot is fresh', { skip }, async () => {
    requireInCi(missing);
    const cam = await startRtspCamera({ width: 320, height: 240, fps: 15, keyint: 15 });
    try {
      const ts = await startServer([`cam=${cam.url}`]);
      try {
        const v = await V1Client.open(wsUrl(ts.url, 'cam', '?codec=h264'), { autoAck: true });
        try {
          await v.waitFrames(30, 30_000);
          const config = checkConfig(v.texts.find((m) => m.type === 'config')!);
          assert.equal(config.width, 320);
          assert.equal(config.height, 240);
          assertNoBrokenPicture(v.frames);
          decodeWithFfmpeg(config, v.frames);
          const camera = ts.server.registry.get('cam')!;
          assert.equal(camera.native, 'h264', 'the camera’s own H.264');
          assert.equal(camera.transcoderStarts, 0, 'no encoder');
          assert.equal(ffmpegChildren().length, 1, 'only the capture ffmpeg runs');

          const asked = Date.now();
          const res = await fetch(`${ts.url}/api/cameras/cam/snapshot.jpg`);
          assert.equal(res.status, 200);
          assert.equal(res.headers.get('content-type'), 'image/jpeg');
          const jpeg = Buffer.from(await res.arrayBuffer());
          assert.deepEqual(readJpegSize(jpeg), { width: 320, height: 240 });
          const taken = Number(res.headers.get('x-timestamp')) * 1000;
          assert.ok(taken >= asked, 'fresh: decoded from the live stream after it was asked for');
          assert.equal(camera.transcoderStarts, 1, 'one decoder, for the JPEG track');
          await waitFor(() => v.frames.length > 40, 20_000, 'the H.264 viewer goes on');
        } finally {
          v.close();
        }
      } finally {
        await ts.close();
      }
    } finally {
      await cam.stop();
    }
  });
});
