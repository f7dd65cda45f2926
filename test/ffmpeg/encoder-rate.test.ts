/**
 * The bitrate a user configures holds (src/ffmpeg/encoders.ts, transcoder.ts): a busy picture (noise, so
 * the encoder always has more to spend than it may) encoded from JPEGs arriving at 30 a second comes out
 * within 5 % of the configured kbit/s, keyframes included, whether the camera's frame rate was configured
 * or had to be measured. Measured over whole groups of pictures on the wall clock, as a link carries them.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { readJpegSize } from '../../src/codec/jpeg.js';
import { locateFfmpeg } from '../../src/ffmpeg/locate.js';
import { MpjpegParser } from '../../src/ffmpeg/mpjpeg-parser.js';
import { createTranscoder } from '../../src/ffmpeg/transcoder.js';
import { jpegConfig } from '../../src/media/jpeg.js';
import { quietLogger, sleep } from '../support/index.js';

const KBPS = 1000;
const FPS = 30;
const SECONDS = 10;

/** Noisy pictures: every one costs the encoder more than the bitrate allows. */
function noisyJpegs(count: number): Buffer[] {
  const out = execFileSync(
    locateFfmpeg().path,
    [
      ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30'],
      ...['-vf', 'noise=alls=40:allf=t', '-frames:v', String(count), '-c:v', 'mjpeg', '-q:v', '3', '-f', 'mpjpeg'],
      'pipe:1',
    ],
    { maxBuffer: 256 * 1024 * 1024 },
  );
  const frames: Buffer[] = [];
  new MpjpegParser((j) => frames.push(j)).push(out);
  return frames;
}

/** kbit/s of the H.264 out, over the whole groups of pictures after the first second. */
async function measure(fps: number | undefined): Promise<number> {
  const pictures = noisyJpegs(60);
  const size = readJpegSize(pictures[0]!)!;
  const config = jpegConfig(size.width, size.height);
  const transcoder = createTranscoder(
    'h264',
    { label: 'rate', encoder: 'libx264', bitrate: KBPS, keyframeInterval: 1, ...(fps ? { fps } : {}) },
    quietLogger(),
  );
  const out: { at: number; bytes: number; keyframe: boolean }[] = [];
  const ended: string[] = [];
  transcoder.start({
    unit: (u) => out.push({ at: performance.now(), bytes: u.data.length, keyframe: u.keyframe }),
    ended: (r) => ended.push(r),
  });
  try {
    const start = performance.now();
    for (let n = 0; n < SECONDS * FPS; n++) {
      // On schedule, whatever the timers' drift: the n-th picture at n/FPS s.
      const wait = start + (n * 1000) / FPS - performance.now();
      if (wait > 0) await sleep(wait);
      transcoder.push({ config, keyframe: true, data: pictures[n % pictures.length]! });
    }
    await sleep(500);
  } finally {
    await transcoder.stop();
  }
  assert.deepEqual(ended, []);
  const keys = out.flatMap((u, i) => (u.keyframe && u.at - out[0]!.at > 1000 ? [i] : []));
  assert.ok(keys.length >= 5, `keyframes at ${keys.join(', ')} of ${out.length} units`);
  const from = keys[0]!;
  const to = keys.at(-1)!;
  const bytes = out.slice(from, to).reduce((sum, u) => sum + u.bytes, 0);
  return (bytes * 8) / (out[to]!.at - out[from]!.at);
}

describe('H.264 bitrate', () => {
  for (const fps of [FPS, undefined]) {
    it(`holds ${KBPS} kbit/s within 5 % (frame rate ${fps ? 'configured' : 'measured'})`, async () => {
      const kbps = await measure(fps);
      assert.ok(Math.abs(kbps / KBPS - 1) <= 0.05, `${kbps.toFixed(0)} kbit/s for ${KBPS} configured`);
    });
  }
});
