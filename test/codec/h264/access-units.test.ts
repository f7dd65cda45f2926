import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CodecError } from '../../../src/codec/errors.js';
import {
  AccessUnitSplitter,
  DEFAULT_MAX_ACCESS_UNIT_BYTES,
  type AccessUnit,
  type AccessUnitSplitterOptions,
} from '../../../src/codec/h264/access-units.js';
import { isVcl, NalType, nalType, splitAnnexB } from '../../../src/codec/h264/nal.js';
import { concat, equalBytes, ffmpegH264, seededRandom, type EncodeOptions } from '../fixtures.js';

type Chunking = number | 'random' | 'whole';

function split(
  stream: Uint8Array,
  chunking: Chunking,
  options: AccessUnitSplitterOptions = {},
): { aus: AccessUnit[]; splitter: AccessUnitSplitter } {
  const aus: AccessUnit[] = [];
  const splitter = new AccessUnitSplitter((au) => aus.push(au), options);
  const random = seededRandom(typeof chunking === 'number' ? chunking : 99);
  let at = 0;
  while (at < stream.length) {
    const size =
      chunking === 'whole' ? stream.length : chunking === 'random' ? 1 + Math.floor(random() ** 3 * 70000) : chunking;
    splitter.push(stream.subarray(at, at + size));
    at += size;
  }
  splitter.flush();
  return { aus, splitter };
}

const CHUNKINGS: Chunking[] = [1, 7, 64 * 1024, 'random', 'whole'];

const STREAMS: { name: string; options: EncodeOptions }[] = [
  { name: 'high 642x362 with AUDs', options: { width: 642, height: 362, profile: 'high', aud: true } },
  { name: 'high 642x362 without AUDs', options: { width: 642, height: 362, profile: 'high' } },
  { name: 'baseline 320x240 with AUDs', options: { width: 320, height: 240, profile: 'baseline', aud: true } },
  { name: 'baseline 320x240 without AUDs', options: { width: 320, height: 240, profile: 'baseline' } },
  { name: 'main 1280x720 without AUDs', options: { width: 1280, height: 720, profile: 'main' } },
  // Four slices per picture: only first_mb_in_slice tells where a picture starts.
  {
    name: 'high 642x362, 4 slices a picture, without AUDs',
    options: { width: 642, height: 362, x264Params: 'slices=4' },
  },
  {
    name: 'high 642x362, 4 slices a picture, with AUDs',
    options: { width: 642, height: 362, x264Params: 'slices=4', aud: true },
  },
];

describe('AccessUnitSplitter on real streams', () => {
  for (const { name, options } of STREAMS) {
    it(`${name}: 60 pictures, a keyframe every 15, the same whatever the chunking`, () => {
      const stream = ffmpegH264(options);
      const slicesPerPicture = options.x264Params === 'slices=4' ? 4 : 1;
      let reference: AccessUnit[] | undefined;
      for (const chunking of CHUNKINGS) {
        const { aus, splitter } = split(stream, chunking);
        const label = `${name}, chunks of ${chunking}`;
        assert.equal(aus.length, 60, label);
        assert.deepEqual(
          aus.flatMap((au, i) => (au.keyframe ? [i] : [])),
          [0, 15, 30, 45],
          label,
        );
        assert.equal(splitter.counters.accessUnits, 60);
        assert.equal(splitter.counters.keyframes, 4);
        assert.equal(splitter.counters.droppedAccessUnits, 0);
        assert.equal(splitter.counters.discardedBytes, 0, label);
        assert.equal(splitter.bufferedBytes, 0);
        for (const [i, au] of aus.entries()) {
          const types = au.nalus.map(nalType);
          assert.equal(types.filter(isVcl).length, slicesPerPicture, `${label}: AU ${i} has ${types.join(',')}`);
          assert.equal(au.keyframe, types.includes(NalType.IDR));
          assert.equal(au.sps.length, au.keyframe ? 1 : 0);
          assert.equal(au.pps.length, au.keyframe ? 1 : 0);
          if (options.aud) assert.equal(types[0], NalType.AUD);
          // nalus are subarrays of data, and exactly what a split of data gives.
          const again = splitAnnexB(au.data);
          assert.equal(again.length, au.nalus.length);
          au.nalus.forEach((nal, k) => {
            assert.equal(nal.buffer, au.data.buffer);
            assert.ok(equalBytes(nal, again[k]!));
          });
        }
        // Nothing lost, nothing added: the access units are the stream, cut.
        assert.ok(equalBytes(concat(aus.map((au) => au.data)), stream), label);
        if (!reference) reference = aus;
        else aus.forEach((au, i) => assert.ok(equalBytes(au.data, reference![i]!.data), `${label}: AU ${i}`));
      }
    });
  }

  it('emits an access unit as soon as the next one starts, before flush', () => {
    const stream = ffmpegH264({ width: 320, height: 240, profile: 'high', aud: true });
    const aus: AccessUnit[] = [];
    const splitter = new AccessUnitSplitter((au) => aus.push(au));
    const nalus = splitAnnexB(stream);
    // Up to the second AUD and one byte of it: the first access unit is out.
    const secondAud = nalus.filter((n) => nalType(n) === NalType.AUD)[1]!;
    splitter.push(stream.subarray(0, secondAud.byteOffset + 1));
    assert.equal(aus.length, 1);
    assert.equal(aus[0]!.keyframe, true);
    splitter.push(stream.subarray(secondAud.byteOffset + 1));
    assert.equal(aus.length, 59);
    splitter.flush();
    assert.equal(aus.length, 60);
  });

  it('follows a stream that stops sending AUDs (a camera restarted with other settings), and one that starts', () => {
    const withAud = ffmpegH264({ width: 320, height: 240, profile: 'high', aud: true });
    const without = ffmpegH264({ width: 320, height: 240, profile: 'high' });
    for (const stream of [
      concat([withAud, without]),
      concat([without, withAud]),
      concat([withAud, without, withAud]),
    ]) {
      for (const chunking of [7, 'whole'] as const) {
        const { aus, splitter } = split(stream, chunking);
        assert.equal(aus.length, stream.length === withAud.length + without.length ? 120 : 180);
        assert.ok(aus.every((au, i) => au.keyframe === (i % 15 === 0)));
        assert.ok(aus.every((au) => au.nalus.filter((n) => isVcl(nalType(n))).length === 1));
        assert.equal(splitter.counters.droppedAccessUnits, 0);
      }
    }
  });

  it('delivers the access units after the one a throwing callback refused', () => {
    const stream = ffmpegH264({ width: 320, height: 240, profile: 'high', aud: true });
    const aus: AccessUnit[] = [];
    const splitter = new AccessUnitSplitter((au) => {
      aus.push(au);
      if (aus.length === 3) throw new Error('consumer failed');
    });
    assert.throws(() => splitter.push(stream), /consumer failed/);
    splitter.flush();
    assert.equal(aus.length, 60);
    assert.ok(equalBytes(concat(aus.map((au) => au.data)), stream));
  });

  it('drops what came before the first start code, and counts it', () => {
    const stream = ffmpegH264({ width: 320, height: 240, profile: 'high' });
    const garbage = new Uint8Array(1000).fill(0x55);
    const { aus, splitter } = split(concat([garbage, stream]), 7);
    assert.equal(aus.length, 60);
    assert.equal(splitter.counters.discardedBytes, 1000);
    assert.ok(equalBytes(concat(aus.map((au) => au.data)), stream));
  });

  it('reset() forgets the access unit in progress', () => {
    const stream = ffmpegH264({ width: 320, height: 240, profile: 'high', aud: true });
    const aus: AccessUnit[] = [];
    const splitter = new AccessUnitSplitter((au) => aus.push(au));
    // Two access units and a part of the third.
    const third = splitAnnexB(stream).filter((n) => nalType(n) === NalType.AUD)[2]!;
    splitter.push(stream.subarray(0, third.byteOffset + 100));
    assert.equal(aus.length, 2);
    assert.ok(splitter.bufferedBytes > 100);
    splitter.reset();
    assert.equal(splitter.bufferedBytes, 0);
    splitter.push(stream);
    splitter.flush();
    assert.equal(aus.length, 62);
    assert.ok(aus.slice(2).every((au, i) => au.keyframe === (i % 15 === 0)));
    assert.equal(splitter.counters.droppedAccessUnits, 0);
  });

  it('drops parameter sets that come with no picture', () => {
    const stream = ffmpegH264({ width: 320, height: 240, profile: 'high', aud: true });
    const nalus = splitAnnexB(stream);
    const head = concat([
      new Uint8Array([0, 0, 0, 1]),
      nalus[0]!, // AUD
      new Uint8Array([0, 0, 0, 1]),
      nalus[1]!, // SPS
      new Uint8Array([0, 0, 0, 1]),
      nalus[2]!, // PPS
    ]);
    const { aus, splitter } = split(concat([head, stream]), 'whole');
    assert.equal(aus.length, 60);
    assert.equal(splitter.counters.noPicture, 1);
    assert.equal(splitter.counters.droppedAccessUnits, 1);
    assert.match(splitter.counters.lastError ?? '', /without a slice/);
  });
});

describe('AccessUnitSplitter bounds', () => {
  it('drops access units over maxAccessUnitBytes, keeps the others intact, and counts', () => {
    const stream = ffmpegH264({ width: 642, height: 362, profile: 'high', aud: true });
    const all = split(stream, 'whole').aus;
    const sizes = all.map((au) => au.data.length);
    const limit = Math.floor(
      (Math.max(...sizes.filter((_, i) => i % 15 !== 0)) + Math.min(...sizes.filter((_, i) => i % 15 === 0))) / 2,
    );
    assert.ok(sizes.filter((s) => s > limit).length === 4, 'the limit is between P and I frame sizes');
    for (const chunking of [1, 1000, 'whole'] as const) {
      const { aus, splitter } = split(stream, chunking, { maxAccessUnitBytes: limit });
      assert.equal(aus.length, 56, `chunks of ${chunking}`);
      assert.equal(splitter.counters.tooLarge, 4);
      assert.equal(splitter.counters.droppedAccessUnits, 4);
      assert.match(splitter.counters.lastError ?? '', /over \d+ bytes/);
      assert.ok(aus.every((au) => !au.keyframe));
      const kept = all.filter((au) => au.data.length <= limit - 4);
      assert.equal(kept.length, 56);
      aus.forEach((au, i) => assert.ok(equalBytes(au.data, kept[i]!.data)));
    }
  });

  it('streams an "access unit" of 300 MB through without holding more than its bound, then recovers', () => {
    const stream = ffmpegH264({ width: 320, height: 240, profile: 'baseline' });
    const aus: AccessUnit[] = [];
    const splitter = new AccessUnitSplitter((au) => aus.push(au));
    splitter.push(stream);
    // A slice that starts a new picture (first_mb_in_slice 0) and never ends: 300 MB with no zero byte.
    splitter.push(new Uint8Array([0, 0, 0, 1, 0x41, 0x9a]));
    const chunk = new Uint8Array(1024 * 1024).fill(0xaa);
    const before = process.memoryUsage().arrayBuffers;
    let peak = 0;
    for (let i = 0; i < 300; i++) {
      splitter.push(chunk);
      peak = Math.max(peak, splitter.bufferedBytes, splitter.retainedBytes);
    }
    const growth = process.memoryUsage().arrayBuffers - before;
    assert.ok(peak <= DEFAULT_MAX_ACCESS_UNIT_BYTES, `held ${peak} bytes`);
    assert.ok(growth < 64 * 1024 * 1024, `array buffers grew by ${growth} bytes`);
    assert.equal(aus.length, 60, 'the stream before it came out whole');
    assert.equal(splitter.counters.tooLarge, 1);
    assert.ok(splitter.counters.discardedBytes >= 300 * 1024 * 1024);
    // The next stream is split normally.
    splitter.push(stream);
    splitter.flush();
    assert.equal(aus.length, 120);
    assert.deepEqual(
      aus.flatMap((au, i) => (au.keyframe ? [i] : [])),
      [0, 15, 30, 45, 60, 75, 90, 105],
    );
  });

  it('does the same when the huge unit hides inside a stream with AUDs', () => {
    const stream = ffmpegH264({ width: 320, height: 240, profile: 'baseline', aud: true });
    const aus: AccessUnit[] = [];
    const splitter = new AccessUnitSplitter((au) => aus.push(au), { maxAccessUnitBytes: 1024 * 1024 });
    splitter.push(stream);
    splitter.push(new Uint8Array([0, 0, 0, 1, 0x09, 0xf0, 0, 0, 0, 1, 0x41, 0x9a]));
    const chunk = new Uint8Array(64 * 1024).fill(0x11);
    for (let i = 0; i < 200; i++) {
      splitter.push(chunk);
      assert.ok(splitter.bufferedBytes <= 1024 * 1024);
    }
    splitter.push(stream);
    splitter.flush();
    assert.equal(aus.length, 120);
    assert.equal(splitter.counters.tooLarge, 1);
  });

  it('keeps no object per byte when fed one byte at a time, and no large chunk alive', () => {
    const stream = ffmpegH264({ width: 1280, height: 720, profile: 'high', frames: 1 });
    // One keyframe, pushed a byte at a time and never completed.
    const splitter = new AccessUnitSplitter(() => {});
    for (let i = 0; i < stream.length; i++) splitter.push(stream.subarray(i, i + 1));
    assert.ok(splitter.bufferedBytes > 0);
    assert.ok(splitter.retainedBytes <= stream.length + 64 * 1024, `${splitter.retainedBytes} retained`);

    // A small piece of a 32 MiB buffer: copied out rather than keeping the buffer alive.
    const big = new Uint8Array(32 * 1024 * 1024);
    big.set(stream.subarray(0, 10000));
    const other = new AccessUnitSplitter(() => {});
    other.push(big.subarray(0, 10000));
    assert.ok(other.retainedBytes < 1024 * 1024, `${other.retainedBytes} retained`);
  });

  it('refuses options that make no sense', () => {
    assert.throws(() => new AccessUnitSplitter(() => {}, { maxAccessUnitBytes: 0 }), CodecError);
    assert.throws(
      () => new AccessUnitSplitter(() => {}, { maxAccessUnitBytes: 1000, maxBufferedBytes: 10 }),
      CodecError,
    );
  });
});
