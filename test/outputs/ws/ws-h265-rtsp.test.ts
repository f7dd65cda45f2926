// test lane: waiting (mostly waits on real time: runs one file at a time, beside the browser files)
/**
 * An H.265 camera (the RTSP fixture with x265enc): its own stream passed through as the camera's
 * h265 track, with no decoder or encoder process (only the capture ffmpeg runs); a snapshot of it
 * is a JPEG, and an H.264 viewer gets H.264, each from one transcoder started for it. A viewer that
 * asks for H.265 gets the camera's own units as codec 3, which ffmpeg decodes without an error;
 * one that does not ask gets what it always got.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CameraStream } from '../../../src/hub/camera-stream.js';
import { pickCodec } from '../../../src/outputs/ws/index.js';
import type { AccessUnit } from '../../../src/media/index.js';
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
import { assertNoBrokenPicture, checkConfig, checkHevcConfig, decodeWithFfmpeg } from './h264-viewer.js';

const missing = rtspCameraMissing('h265');
const skip = skipOutsideCi(missing);

interface Track {
  codec: string;
  origin: string;
  running: boolean;
  encoder: string | null;
  codecString: string | null;
  width: number | null;
}

async function tracks(url: string): Promise<Track[]> {
  const res = await fetch(`${url}/api/cameras/cam`);
  assert.equal(res.status, 200);
  return ((await res.json()) as { tracks: Track[] }).tracks;
}

describe('H.265 passthrough of an RTSP camera', () => {
  it('the camera’s own H.265, no decoder; a snapshot and H.264 viewers still work', { skip }, async () => {
    requireInCi(missing);
    const cam = await startRtspCamera({ width: 320, height: 240, fps: 15, keyint: 15, codec: 'h265' });
    try {
      const ts = await startServer([`cam=${cam.url}`]);
      try {
        const camera = ts.server.registry.get('cam')!;
        const units: AccessUnit[] = [];
        const unsubscribe = camera.subscribe({ onUnit: (unit) => void units.push(unit) }, 'h265');
        try {
          await waitFor(() => units.length >= 20, 30_000, '20 H.265 units');
          assert.equal(camera.native, 'h265');
          assert.ok(units[0]!.keyframe, 'starts at a keyframe');
          assert.equal(units[0]!.config.codec, 'h265');
          assert.match(units[0]!.config.codecString, /^hvc1\.1\.6\.L\d+\.[0-9A-F]{2}/);
          assert.equal(camera.transcoderStarts, 0, 'nothing decoded');
          assert.equal(ffmpegChildren().length, 1, 'only the capture ffmpeg runs');
          const h265 = (await tracks(ts.url)).find((t) => t.codec === 'h265')!;
          assert.equal(h265.origin, 'native');
          assert.equal(h265.encoder, 'camera', 'passed through, not encoded');
          assert.equal(h265.width, 320);
          assert.match(h265.codecString!, /^hvc1\./);

          const res = await fetch(`${ts.url}/api/cameras/cam/snapshot.jpg`);
          assert.equal(res.status, 200);
          assert.equal(res.headers.get('content-type'), 'image/jpeg');
          assert.deepEqual(readJpegSize(Buffer.from(await res.arrayBuffer())), { width: 320, height: 240 });
          assert.equal(camera.transcoderStarts, 1, 'one decoder, for the JPEG track');

          const v = await V1Client.open(wsUrl(ts.url, 'cam', '?codec=h264'), { autoAck: true });
          try {
            await v.waitFrames(20, 30_000);
            assert.ok(
              v.frames.every((f) => f.codec === 2),
              'H.264 units',
            );
            const config = checkConfig(v.texts.find((m) => m.type === 'config')!);
            assert.equal(config.width, 320);
            assertNoBrokenPicture(v.frames);
            decodeWithFfmpeg(config, v.frames);
            const h264 = (await tracks(ts.url)).find((t) => t.codec === 'h264')!;
            assert.equal(h264.origin, 'derived');
            assert.ok(h264.encoder && h264.encoder !== 'camera', `encoded by ${h264.encoder}`);
          } finally {
            v.close();
          }
          assert.equal(camera.native, 'h265', 'the camera still sends H.265');
        } finally {
          unsubscribe();
        }
      } finally {
        await ts.close();
      }
    } finally {
      await cam.stop();
    }
  });
});

describe('H.265 to ws viewers', () => {
  it('only to a viewer that asks, and only from a camera that sends it', async () => {
    const camera = (native: 'jpeg' | 'h264' | 'h265' | undefined): CameraStream =>
      ({ id: 'cam', knownNative: async () => native }) as unknown as CameraStream;
    assert.equal(await pickCodec(undefined, camera('h265')), 'jpeg');
    assert.equal(await pickCodec('h264', camera('h265')), 'h264');
    assert.equal(await pickCodec('h265,h264', camera('h265')), 'h265');
    assert.equal(await pickCodec('H265 , jpeg', camera('h265')), 'h265');
    assert.equal(await pickCodec('h265,h264', camera('h264')), 'h264');
    assert.equal(await pickCodec('h265,jpeg', camera('jpeg')), 'jpeg');
    assert.equal(await pickCodec('h265,h264', camera(undefined)), 'h264', 'a camera that never said: not H.265');
    await assert.rejects(pickCodec('h265', camera('h264')), /sends no H\.265/);
    await assert.rejects(pickCodec('vp9', camera('h265')), /names no codec/);
  });

  it('a viewer asking h265,h264 gets the camera’s H.265 as codec 3; ffmpeg decodes it', { skip }, async () => {
    requireInCi(missing);
    const cam = await startRtspCamera({ width: 320, height: 240, fps: 15, keyint: 15, codec: 'h265' });
    try {
      // A new server: the camera is idle until the viewer comes, and says what it sends only then.
      const ts = await startServer([`cam=${cam.url}`]);
      try {
        const v = await V1Client.open(wsUrl(ts.url, 'cam', '?codec=h265,h264'), { autoAck: true });
        try {
          await v.waitFrames(40, 30_000);
          const hello = v.texts.find((m) => m.type === 'hello')!;
          assert.equal(hello.codec, 'h265');
          assert.ok(
            v.frames.every((f) => f.codec === 3),
            'codec 3',
          );
          const config = checkHevcConfig(v.texts.find((m) => m.type === 'config')!);
          assert.equal(config.width, 320);
          assert.equal(config.height, 240);
          assertNoBrokenPicture(v.frames);
          const frames = v.frames.slice();
          assert.equal(decodeWithFfmpeg(config, frames, 'hevc'), frames.length, 'every unit a picture');
          const camera = ts.server.registry.get('cam')!;
          assert.equal(camera.transcoderStarts, 0, 'nothing decoded or encoded');
          assert.equal(ffmpegChildren().length, 1, 'only the capture ffmpeg runs');

          // A viewer that does not ask for a codec gets JPEG, as ever.
          const plain = await V1Client.open(wsUrl(ts.url, 'cam'), { autoAck: true });
          try {
            await plain.waitFrames(3, 30_000);
            assert.equal(plain.texts.find((m) => m.type === 'hello')!.codec, 'jpeg');
            assert.ok(plain.frames.every((f) => f.codec === 1));
            assert.equal(plain.texts.filter((m) => m.type === 'config').length, 0);
          } finally {
            plain.close();
          }
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
