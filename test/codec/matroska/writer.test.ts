/** The live Matroska writer (src/codec/matroska/writer.ts), read back by ffprobe: codec, size, each frame's time. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { matroskaFrame, matroskaHead } from '../../../src/codec/matroska/writer.js';
import { locateFfmpeg } from '../../../src/ffmpeg/locate.js';
import { MpjpegParser } from '../../../src/ffmpeg/mpjpeg-parser.js';

describe('matroska writer', () => {
  it('writes a stream ffprobe reads: MJPEG at its size, each frame at its time (µs), keyframes flagged', () => {
    const out = execFileSync(locateFfmpeg().path, [
      ...['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10', '-frames:v', '3'],
      ...['-c:v', 'mjpeg', '-f', 'mpjpeg', 'pipe:1'],
    ]);
    const jpegs: Buffer[] = [];
    new MpjpegParser((j) => jpegs.push(j)).push(out);
    const times = [0, 33_333, 100_000];
    const mkv = Buffer.concat([
      matroskaHead({ codec: 'jpeg', width: 160, height: 120 }),
      ...jpegs.map((j, i) => matroskaFrame(times[i]!, true, j)),
    ]);
    const probe = execFileSync(
      'ffprobe',
      ['-v', 'error', '-show_entries', 'stream=codec_name,width,height:packet=pts_time,flags', '-of', 'json', '-'],
      { input: mkv },
    ).toString();
    const info = JSON.parse(probe) as {
      streams: [{ codec_name: string; width: number; height: number }];
      packets: { pts_time: string; flags: string }[];
    };
    assert.deepEqual(info.streams[0], { codec_name: 'mjpeg', width: 160, height: 120 });
    assert.deepEqual(
      info.packets.map((p) => Number(p.pts_time)),
      [0, 0.033333, 0.1],
    );
    assert.ok(info.packets.every((p) => p.flags.startsWith('K')));
  });

  it('refuses a time that is not an unsigned integer', () => {
    assert.throws(() => matroskaFrame(-1, true, new Uint8Array(1)), RangeError);
  });
});
