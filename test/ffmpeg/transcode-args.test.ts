/** A transcoder's command line, for each way through it (the transcoder tests run them for real). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jpegConfig } from '../../src/media/jpeg.js';
import type { TrackConfig } from '../../src/media/index.js';
import { transcodeArgs, type TranscodePlan } from '../../src/ffmpeg/transcode-args.js';

const h264: TrackConfig = { codec: 'h264', codecString: 'avc1.640028', width: 1280, height: 720 };
const base: Omit<TranscodePlan, 'to' | 'config' | 'inputFormat' | 'fromVideo'> = {
  timing: ['-fps_mode', 'passthrough'],
  framing: 'raw',
  encoder: 'libx264',
  fps: 30,
  options: {},
};

/** The value after `flag` in `args`. */
const after = (args: string[], flag: string): string | undefined => args[args.indexOf(flag) + 1];

describe('transcodeArgs', () => {
  it('decodes H.264 to JPEGs on mpjpeg, one thread, at the quality asked', () => {
    const args = transcodeArgs({
      ...base,
      to: 'jpeg',
      config: h264,
      inputFormat: 'h264',
      fromVideo: true,
      options: { quality: 80 },
    });
    assert.equal(after(args, '-f'), 'h264');
    assert.equal(after(args, '-c:v'), 'mjpeg');
    assert.equal(after(args, '-threads'), '1');
    assert.equal(args.at(-1), 'pipe:1');
    assert.ok(args.includes('mpjpeg'));
  });

  it('scales and thins a sub-stream of an H.264 camera, at the frame rate it was told', () => {
    const args = transcodeArgs({
      ...base,
      to: 'h264',
      config: h264,
      inputFormat: 'h264',
      fromVideo: true,
      options: { maxWidth: 320, maxFps: 10, bitrate: 150 },
    });
    const vf = after(args, '-vf') ?? '';
    assert.match(vf, /scale=/);
    assert.match(vf, /select=/);
    assert.equal(after(args, '-c:v'), 'libx264');
    assert.ok(args.includes('-use_wallclock_as_timestamps'));
    assert.equal(after(args, '-f'), 'h264', 'the input format comes first');
  });

  it('encodes a JPEG camera from mpjpeg on stdin', () => {
    const args = transcodeArgs({
      ...base,
      to: 'h264',
      config: jpegConfig(640, 480),
      inputFormat: 'mpjpeg',
      fromVideo: false,
    });
    assert.equal(after(args, '-f'), 'mpjpeg');
    assert.equal(after(args, '-i'), 'pipe:0');
    assert.equal(after(args, '-c:v'), 'libx264');
  });
});
