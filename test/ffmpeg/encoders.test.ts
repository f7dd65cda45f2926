/**
 * H.264 encoders (src/ffmpeg/encoders.ts, encoder-choice.ts): the arguments built for each (tuned for live:
 * no B-frames, keyframes by time, SPS/PPS and delimiters, the right pixel format or upload), and
 * `auto`, which probes the candidates with real ffmpeg and falls back to libx264 when the hardware
 * ones fail, as they do on this machine, choosing once per process.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import {
  chooseEncoder,
  forgetEncoderChoices,
  probeEncoder,
  resolveEncoder,
  type EncoderChoiceResult,
} from '../../src/ffmpeg/encoder-choice.js';
import { AUTO_ORDER, defaultBitrate, ENCODERS, encoderArgs, VAAPI_DEVICE } from '../../src/ffmpeg/encoders.js';
import { locateFfmpeg } from '../../src/ffmpeg/locate.js';

const settings = { bitrate: 2000, keyframeInterval: 1, fps: 25 };

function after(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i < 0 ? undefined : args[i + 1];
}

describe('H.264 encoders', () => {
  it('builds live-tuned arguments for every encoder', () => {
    for (const encoder of ENCODERS) {
      const { input, output } = encoderArgs(encoder, settings);
      assert.equal(after(output, '-c:v'), encoder);
      assert.equal(after(output, '-bf'), '0', `${encoder}: no B-frames`);
      assert.equal(after(output, '-g'), '25', `${encoder}: GOP of keyframe_interval seconds`);
      assert.equal(after(output, '-force_key_frames'), 'expr:gte(t,n_forced*1)', `${encoder}: keyframes by time`);
      assert.equal(after(output, '-b:v'), '2000k');
      assert.equal(after(output, '-bsf:v'), 'dump_extra=freq=keyframe,h264_metadata=aud=insert');
      if (encoder === 'h264_vaapi') {
        assert.deepEqual(input, ['-vaapi_device', VAAPI_DEVICE]);
        assert.equal(after(output, '-vf'), 'format=nv12,hwupload');
      } else {
        assert.deepEqual(input, []);
        assert.ok(['yuv420p', 'nv12'].includes(after(output, '-pix_fmt')!), `${encoder}: 4:2:0 for browsers`);
      }
    }
    const x264 = encoderArgs('libx264', { bitrate: 1500, keyframeInterval: 2, fps: 30 }).output;
    for (const [flag, value] of [
      ['-preset', 'veryfast'],
      ['-tune', 'zerolatency'],
      ['-sc_threshold', '0'],
      ['-g', '60'],
      ['-pix_fmt', 'yuv420p'],
      ['-maxrate', '1500k'],
    ]) {
      assert.equal(after(x264, flag!), value, flag);
    }
    assert.equal(after(encoderArgs('h264_nvenc', settings).output, '-zerolatency'), '1');
    assert.equal(after(encoderArgs('h264_qsv', settings).output, '-look_ahead'), '0');
    // keyframe_interval is at most 2 s whatever is asked.
    assert.equal(after(encoderArgs('libx264', { bitrate: 800, keyframeInterval: 9, fps: 10 }).output, '-g'), '20');
  });

  it('picks a bitrate from the picture size', () => {
    assert.equal(defaultBitrate(1280, 720), 2000);
    assert.ok(defaultBitrate(1920, 1080) > 4000);
    assert.ok(defaultBitrate(320, 240) >= 200 && defaultBitrate(320, 240) < 400);
    assert.equal(defaultBitrate(8192, 8192), 20_000);
  });

  it('libx264 encodes a frame here, with its arguments, into a stream ffmpeg decodes', async () => {
    const binary = locateFfmpeg().path;
    assert.equal(await probeEncoder(binary, 'libx264'), undefined);
    const { output } = encoderArgs('libx264', { bitrate: 500, keyframeInterval: 1, fps: 10 });
    const stream = execFileSync(binary, [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=320x240:rate=10',
      '-frames:v',
      '25',
      ...output,
      '-f',
      'h264',
      'pipe:1',
    ]);
    // AUD first, then SPS: h264_metadata and dump_extra did their part.
    assert.deepEqual([...stream.subarray(0, 5)], [0, 0, 0, 1, 9]);
    const errors = execFileSync(binary, ['-v', 'error', '-f', 'h264', '-i', 'pipe:0', '-f', 'null', '-'], {
      input: stream,
      encoding: 'utf8',
    });
    assert.equal(errors, '');
  });

  it('auto falls back to libx264 when the hardware encoders fail, saying why', async () => {
    const binary = locateFfmpeg().path;
    // The hardware encoders built into this ffmpeg (vaapi, v4l2m2m) fail here: no GPU, no device.
    const result = await chooseEncoder({ binary, order: ['h264_vaapi', 'h264_v4l2m2m', 'h264_nvenc', 'libx264'] });
    assert.equal(result.encoder, 'libx264');
    assert.deepEqual(
      result.rejected.map((r) => r.encoder),
      ['h264_vaapi', 'h264_v4l2m2m', 'h264_nvenc'],
    );
    for (const r of result.rejected) assert.ok(r.why.length > 0, `${r.encoder}: a reason`);
    // No candidate works at all (libx264 not in the order): libx264 anyway.
    const none = await chooseEncoder({ binary, order: ['h264_vaapi'] });
    assert.equal(none.encoder, 'libx264');
    assert.deepEqual(AUTO_ORDER.at(-1), 'libx264');
  });

  it('auto probes once per process and logs its choice; a named encoder is used as it is', async () => {
    forgetEncoderChoices();
    const lines: { msg: string; encoder?: string; passedOver?: string[] }[] = [];
    const log = pino(
      { level: 'info' },
      { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) },
    );
    let probes = 0;
    const probe = async (): Promise<EncoderChoiceResult> => {
      probes++;
      return { encoder: 'h264_vaapi', rejected: [{ encoder: 'h264_rkmpp', why: 'not in this ffmpeg' }] };
    };
    const [a, b] = await Promise.all([
      resolveEncoder('auto', '/x/ffmpeg', log, probe),
      resolveEncoder('auto', '/x/ffmpeg', log, probe),
    ]);
    assert.deepEqual(
      [a, b, await resolveEncoder('auto', '/x/ffmpeg', log, probe)],
      ['h264_vaapi', 'h264_vaapi', 'h264_vaapi'],
    );
    assert.equal(probes, 1);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!.msg, /H\.264 encoder: h264_vaapi \(auto\)/);
    assert.deepEqual(lines[0]!.passedOver, ['h264_rkmpp: not in this ffmpeg']);
    assert.equal(await resolveEncoder('h264_nvenc', '/x/ffmpeg', log, probe), 'h264_nvenc');
    // A probe that throws: libx264.
    const failing = async (): Promise<EncoderChoiceResult> => {
      throw new Error('boom');
    };
    assert.equal(await resolveEncoder('auto', '/y/ffmpeg', log, failing), 'libx264');
    forgetEncoderChoices();
  });
});
