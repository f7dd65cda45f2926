/** A transcoder's command line, for each way through it (the transcoder tests run them for real). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jpegConfig } from '../../src/media/jpeg.js';
import type { TrackConfig } from '../../src/media/index.js';
import { transcodeArgs, type TranscodePlan } from '../../src/ffmpeg/transcode-args.js';

const h264: TrackConfig = { codec: 'h264', codecString: 'avc1.640028', width: 1280, height: 720 };
const base: Omit<TranscodePlan, 'to' | 'config'> = {
  timing: ['-fps_mode', 'passthrough'],
  encoder: 'libx264',
  fps: 30,
  options: {},
};

/** The value after `flag` in `args`. */
const after = (args: string[], flag: string): string | undefined => args[args.indexOf(flag) + 1];

describe('transcodeArgs', () => {
  it('decodes H.264 to JPEGs in MPEG-TS, one thread, at the quality asked, the times kept', () => {
    const args = transcodeArgs({ ...base, to: 'jpeg', config: h264, options: { quality: 80 } });
    assert.equal(after(args, '-f'), 'matroska');
    assert.equal(after(args, '-c:v'), 'mjpeg');
    assert.equal(after(args, '-threads'), '1');
    assert.equal(args.at(-1), 'pipe:1');
    assert.equal(args[args.lastIndexOf('-f') + 1], 'mpegts');
    assert.ok(args.includes('-copyts'));
    assert.equal(after(args, '-enc_time_base'), '1:90000');
  });

  it('scales and thins a sub-stream of an H.264 camera, at the frame rate it was told', () => {
    const args = transcodeArgs({
      ...base,
      to: 'h264',
      config: h264,
      options: { maxWidth: 320, maxFps: 10, bitrate: 150 },
    });
    const vf = after(args, '-vf') ?? '';
    assert.match(vf, /scale=/);
    assert.match(vf, /select=/);
    assert.equal(after(args, '-c:v'), 'libx264');
    assert.equal(after(args, '-r'), '30', 'the rate control told the frame rate');
    assert.ok(!args.includes('-use_wallclock_as_timestamps'), 'timed by the input, not by its arrival');
    assert.equal(after(args, '-f'), 'matroska', 'the input format comes first');
    assert.equal(after(args, '-mpegts_copyts'), '1');
  });

  it('leaves the encoder its default time base where ffmpeg has no -enc_time_base', () => {
    const args = transcodeArgs({ ...base, to: 'h264', config: h264, encoderTimeBase: false });
    assert.ok(args.includes('-copyts'));
    assert.ok(!args.includes('-enc_time_base'));
  });

  it('encodes a JPEG camera from Matroska on stdin', () => {
    const args = transcodeArgs({ ...base, to: 'h264', config: jpegConfig(640, 480) });
    assert.equal(after(args, '-f'), 'matroska');
    assert.equal(after(args, '-i'), 'pipe:0');
    assert.equal(after(args, '-c:v'), 'libx264');
  });
});
