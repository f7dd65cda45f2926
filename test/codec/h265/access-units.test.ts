/**
 * The H.265 access-unit splitter on real libx265 streams: one access unit per frame ffprobe counts,
 * keyframes where the GOP puts them, parameter sets with each keyframe, whatever the chunking, the
 * delimiters or the slices; and its bounds on hostile input.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import type { AccessUnit } from '../../../src/codec/access-units.js';
import { HevcAccessUnitSplitter } from '../../../src/codec/h265/access-units.js';
import { HevcNalType, hevcNalType } from '../../../src/codec/h265/nal.js';
import { concat, equalBytes, ffmpegH265, hasEncoder, seededRandom } from '../fixtures.js';

const skip = hasEncoder('libx265') ? false : 'this ffmpeg has no libx265';

function split(stream: Uint8Array, chunk = stream.length, options = {}): AccessUnit[] {
  const aus: AccessUnit[] = [];
  const splitter = new HevcAccessUnitSplitter((au) => aus.push(au), options);
  for (let at = 0; at < stream.length; at += chunk) splitter.push(stream.subarray(at, at + chunk));
  splitter.flush();
  return aus;
}

/** Frames and keyframes as ffprobe decodes them from the raw stream. */
function probeFrames(stream: Uint8Array): boolean[] {
  const out = execFileSync(
    'ffprobe',
    ['-v', 'error', '-f', 'hevc', '-i', 'pipe:0', '-show_entries', 'frame=key_frame', '-of', 'csv=p=0'],
    { input: stream, encoding: 'utf8' },
  );
  return out
    .trim()
    .split('\n')
    .map((line) => line.split(',')[0]!.trim())
    .filter((field) => field === '0' || field === '1') // side-data sections print lines of their own
    .map((field) => field === '1');
}

describe('HevcAccessUnitSplitter', { skip }, () => {
  it('finds every frame and keyframe ffprobe finds, with the parameter sets on each keyframe', () => {
    const stream = ffmpegH265({ width: 320, height: 240, frames: 45, gop: 15 });
    const aus = split(stream);
    const probed = probeFrames(stream);
    assert.equal(aus.length, probed.length);
    assert.deepEqual(
      aus.map((au) => au.keyframe),
      probed,
    );
    assert.deepEqual(
      aus.flatMap((au, i) => (au.keyframe ? [i] : [])),
      [0, 15, 30],
    );
    for (const au of aus.filter((a) => a.keyframe)) {
      assert.equal(au.vps.length, 1);
      assert.equal(au.sps.length, 1);
      assert.equal(au.pps.length, 1);
      assert.equal(hevcNalType(au.vps[0]!), HevcNalType.VPS);
    }
    // Nothing lost or added: the access units are the stream.
    assert.ok(equalBytes(concat(aus.map((au) => au.data)), stream));
  });

  it('cuts the same wherever the chunks end', () => {
    const stream = ffmpegH265({ width: 160, height: 96, frames: 20, gop: 10 });
    const whole = split(stream).map((au) => au.data);
    for (const chunk of [1, 7, 1000]) {
      const pieces = split(stream, chunk).map((au) => au.data);
      assert.equal(pieces.length, whole.length, `chunks of ${chunk}`);
      pieces.forEach((data, i) => assert.ok(equalBytes(data, whole[i]!), `access unit ${i}, chunks of ${chunk}`));
    }
  });

  it('cuts at delimiters, and between pictures of several slices', () => {
    for (const x265Params of ['aud=1', 'slices=4', 'aud=1:slices=3']) {
      const stream = ffmpegH265({ width: 320, height: 240, frames: 20, gop: 10, x265Params });
      const aus = split(stream, 333);
      assert.equal(aus.length, 20, x265Params);
      assert.deepEqual(
        aus.flatMap((au, i) => (au.keyframe ? [i] : [])),
        [0, 10],
        x265Params,
      );
    }
  });

  it('drops and counts an access unit over the bound, and goes on', () => {
    const stream = ffmpegH265({ width: 320, height: 240, frames: 15, gop: 15 });
    const sizes = split(stream).map((au) => au.data.length);
    const bound = Math.max(...sizes.slice(1)) + 64;
    assert.ok(sizes[0]! > bound, 'the keyframe is the largest unit');
    const aus: AccessUnit[] = [];
    const splitter = new HevcAccessUnitSplitter((au) => aus.push(au), { maxAccessUnitBytes: bound });
    splitter.push(stream);
    splitter.flush();
    assert.equal(splitter.counters.tooLarge, 1);
    assert.equal(aus.length, 14);
    assert.ok(aus.every((au) => !au.keyframe));
  });

  it('takes garbage without throwing and without holding more than its bound', () => {
    const random = seededRandom(265);
    const stream = ffmpegH265({ width: 160, height: 96, frames: 10, gop: 5 });
    for (let round = 0; round < 20; round++) {
      const damaged = stream.slice();
      for (let i = 0; i < 40; i++) damaged[Math.floor(random() * damaged.length)] = Math.floor(random() * 256);
      const splitter = new HevcAccessUnitSplitter(() => {}, { maxAccessUnitBytes: 4096 });
      for (let at = 0; at < damaged.length; at += 500) {
        splitter.push(damaged.subarray(at, at + 500));
        assert.ok(splitter.bufferedBytes <= 4096 + 4);
      }
      splitter.flush();
    }
  });
});
