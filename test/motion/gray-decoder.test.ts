// test lane: waiting (a JPEG camera fed in real time for a second)
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jpegConfig } from '../../src/media/jpeg.js';
import { analysisSize, GrayDecoder, grayDecoderArgs, type GrayFrame } from '../../src/motion/gray-decoder.js';
import { ffmpegJpeg, waitFor } from '../support/index.js';

describe('GrayDecoder', () => {
  it('analyses at most 320 px wide, the aspect kept, even sizes', () => {
    assert.deepEqual(analysisSize(1280, 720), { width: 320, height: 180 });
    assert.deepEqual(analysisSize(1920, 1080), { width: 320, height: 180 });
    assert.deepEqual(analysisSize(640, 480), { width: 320, height: 240 });
    assert.deepEqual(analysisSize(160, 120), { width: 160, height: 120 });
    assert.deepEqual(analysisSize(2560, 1440), { width: 320, height: 180 });
  });

  it('decodes H.264 without the loop filter, thinned by ffmpeg; JPEG thinned before ffmpeg', () => {
    const h264 = grayDecoderArgs('h264', { width: 1280, height: 720 }, 5, ['-fps_mode', 'passthrough']).join(' ');
    assert.match(h264, /-skip_loop_filter all .*-f h264 -i pipe:0 .*-vf fps=5,scale=320:180:flags=area,format=gray/);
    assert.match(h264, /-fps_mode passthrough -threads 1 -f rawvideo -pix_fmt gray pipe:1$/);
    const jpeg = grayDecoderArgs('jpeg', { width: 640, height: 480 }, 5, []).join(' ');
    assert.match(jpeg, /-f mpjpeg -i pipe:0 -an -vf scale=320:240:flags=area,format=gray/);
    assert.doesNotMatch(jpeg, /fps=|skip_loop_filter/);
  });

  it('a 30 fps JPEG camera: about `fps` grey pictures a second, at the analysed size', async () => {
    const jpeg = ffmpegJpeg(640, 360);
    const config = jpegConfig(640, 360);
    const frames: { width: number; height: number; at: number; bright: number }[] = [];
    const decoder = new GrayDecoder({
      fps: 5,
      label: 'test',
      onFrame: (f: GrayFrame) =>
        frames.push({ width: f.width, height: f.height, at: f.at, bright: f.data.reduce((a, b) => a + b, 0) }),
      onExit: (reason) => assert.fail(`ffmpeg ended: ${reason}`),
    });
    try {
      const start = Date.now();
      // A second and a bit of a 30 fps camera, in real time.
      for (let i = 0; i < 36; i++) {
        decoder.push({ config, keyframe: true, data: jpeg, at: Date.now() });
        await new Promise((r) => setTimeout(r, 33));
      }
      await waitFor(() => frames.length >= 4, 15_000, 'grey pictures');
      await new Promise((r) => setTimeout(r, 300));
      const seconds = (Date.now() - start) / 1000;
      assert.ok(frames.length <= 5 * seconds + 2, `${frames.length} pictures in ${seconds} s at 5 fps`);
      assert.equal(decoder.counters.unitsIn, 36);
      for (const f of frames) {
        assert.deepEqual([f.width, f.height], [320, 180]);
        assert.ok(f.bright > 0, 'a picture, not zeros');
        assert.ok(f.at >= start && f.at <= Date.now());
      }
    } finally {
      await decoder.close();
    }
  });

  it('an ffmpeg that ends by itself is started again only after a backoff', async () => {
    const exits: string[] = [];
    const decoder = new GrayDecoder({
      fps: 5,
      label: 'test',
      binary: '/bin/false',
      onFrame: () => {},
      onExit: (r) => exits.push(r),
    });
    try {
      const jpeg = ffmpegJpeg(160, 120);
      const config = jpegConfig(160, 120);
      let at = Date.now();
      decoder.push({ config, keyframe: true, data: jpeg, at });
      await waitFor(() => exits.length === 1, 10_000, 'the first exit');
      for (let i = 0; i < 5; i++) {
        at += 250;
        decoder.push({ config, keyframe: true, data: jpeg, at });
      }
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(
        decoder.counters.starts,
        1,
        `no new ffmpeg within the backoff: ${JSON.stringify(decoder.counters)} ${exits.join(' | ')}`,
      );
      assert.equal(exits.length, 1);
    } finally {
      await decoder.close();
    }
  });
});
