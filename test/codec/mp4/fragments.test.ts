/**
 * Reading fragmented MP4 back (src/codec/mp4/fragments.ts): files written by fmp4.ts and by
 * ffmpeg itself, cut at every length, with garbage after them, resumed as they grow, and a few
 * thousand seeded mutations (untrusted files: bounded, and only CodecErrors).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CodecError } from '../../../src/codec/errors.js';
import { toAvc } from '../../../src/codec/h264/nal.js';
import { readBoxes } from '../../../src/codec/mp4/boxes.js';
import { bytesAccess, readFragments, type FragmentedFile, MAX_FRAGMENTS } from '../../../src/codec/mp4/fragments.js';
import { initSegment, mediaSegment, type Sample } from '../../../src/codec/mp4/fmp4.js';
import { readFragmentedFile } from '../../../src/recording/fragment-file.js';
import { concat, encodedTrack, equalBytes, ffmpeg, ffmpegH264, seededRandom } from '../fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'camrelay-fragments-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const FRAME = 3000;

interface Written {
  file: Uint8Array;
  initLength: number;
  /** End offset of each media segment. */
  ends: number[];
  samples: Sample[][];
}

/** An fMP4 file like a recorder's: init, then one fragment per `perFragment` access units. */
function write(perFragment = 5, options = { width: 160, height: 120, frames: 30, gop: 10 }): Written {
  const track = encodedTrack(options);
  const init = initSegment({ width: track.width, height: track.height, avcC: track.avcC, timescale: 90000 });
  const samples: Sample[][] = [];
  track.aus.forEach((au, i) => {
    if (i % perFragment === 0) samples.push([]);
    samples[samples.length - 1]!.push({
      data: toAvc(au.nalus),
      duration: FRAME + (i % 3), // uneven, as a real camera's
      keyframe: au.keyframe,
      compositionOffset: i % 4 === 1 ? 1500 : 0,
    });
  });
  let t = 0;
  const ends: number[] = [];
  let at = init.length;
  const segments = samples.map((group, i) => {
    const segment = mediaSegment({ sequenceNumber: i + 1, baseDecodeTime: t, samples: group });
    for (const s of group) t += s.duration;
    at += segment.length;
    ends.push(at);
    return segment;
  });
  return { file: concat([init, ...segments]), initLength: init.length, ends, samples };
}

function parse(data: Uint8Array, resume?: FragmentedFile): Promise<FragmentedFile> {
  return readFragments(bytesAccess(data), resume ? { resume } : {});
}

/** The invariants of any result, whatever the input. */
function checkBounds(result: FragmentedFile, data: Uint8Array): void {
  assert.equal(result.fileSize, data.length);
  assert.ok(result.initEnd <= result.validEnd && result.validEnd <= data.length);
  let end = result.initEnd;
  for (const f of result.fragments) {
    assert.ok(f.offset >= end, 'fragments in order, not overlapping');
    assert.ok(f.samples.length > 0);
    for (const s of f.samples) {
      assert.ok(s.offset > f.offset && s.offset + s.size <= f.offset + f.size, 'samples inside their fragment');
      assert.ok(s.size > 0);
    }
    end = f.offset + f.size;
  }
  assert.equal(result.validEnd, end);
}

describe('readFragments', () => {
  it('gives back what fmp4.ts wrote: size, avcC, samples and where their bytes are', async () => {
    const w = write();
    const track = encodedTrack({ width: 160, height: 120, frames: 30, gop: 10 });
    const result = await parse(w.file);
    checkBounds(result, w.file);
    assert.equal(result.width, 160);
    assert.equal(result.height, 120);
    assert.equal(result.timescale, 90000);
    assert.equal(result.codec, 'h264');
    assert.ok(equalBytes(result.description, track.avcC));
    assert.equal(result.initEnd, w.initLength);
    assert.equal(result.validEnd, w.file.length);
    assert.equal(result.fragments.length, w.samples.length);
    let t = 0;
    result.fragments.forEach((f, i) => {
      assert.equal(f.sequenceNumber, i + 1);
      assert.equal(f.baseDecodeTime, t);
      const written = w.samples[i]!;
      assert.equal(f.samples.length, written.length);
      f.samples.forEach((s, k) => {
        const expected = written[k]!;
        assert.ok(equalBytes(w.file.subarray(s.offset, s.offset + s.size), expected.data));
        assert.equal(s.duration, expected.duration);
        assert.equal(s.keyframe, expected.keyframe);
        assert.equal(s.compositionOffset, expected.compositionOffset);
        t += s.duration;
      });
      assert.equal(
        f.duration,
        written.reduce((n, s) => n + s.duration, 0),
      );
    });
  });

  it("reads ffmpeg's own fragmented MP4 (trex defaults, default-base-is-moof)", async () => {
    const annexB = ffmpegH264({ width: 160, height: 120, frames: 45, gop: 15 });
    const path = join(dir, 'annexb.h264');
    writeFileSync(path, annexB);
    const mp4 = ffmpeg([
      '-f',
      'h264',
      '-r',
      '30',
      '-i',
      path,
      '-c',
      'copy',
      '-movflags',
      'frag_keyframe+empty_moov+default_base_moof',
      '-f',
      'mp4',
      'pipe:1',
    ]);
    const result = await parse(mp4);
    checkBounds(result, mp4);
    // ffmpeg ends the file with an index of the fragments (mfra): not a fragment.
    const tail = readBoxes(mp4, result.validEnd);
    assert.deepEqual(
      tail.map((b) => b.type),
      ['mfra'],
    );
    assert.equal(result.fragments.length, 3);
    const samples = result.fragments.flatMap((f) => f.samples);
    assert.equal(samples.length, 45);
    assert.deepEqual(
      samples.map((s, i) => (s.keyframe ? i : -1)).filter((i) => i >= 0),
      [0, 15, 30],
    );
    // Each sample is an access unit in AVC form: its NAL lengths add up to its size.
    for (const s of samples) {
      const view = new DataView(mp4.buffer, mp4.byteOffset + s.offset, s.size);
      let at = 0;
      while (at < s.size) at += 4 + view.getUint32(at);
      assert.equal(at, s.size);
    }
  });

  it('a file cut at any length ends at the last whole fragment; without a whole init it is a CodecError', async () => {
    const w = write(3, { width: 64, height: 48, frames: 15, gop: 5 });
    const full = await parse(w.file);
    for (let cut = 0; cut <= w.file.length; cut++) {
      const data = w.file.subarray(0, cut);
      if (cut < w.initLength) {
        await assert.rejects(parse(data), CodecError, `cut at ${cut}`);
        continue;
      }
      const result = await parse(data);
      checkBounds(result, data);
      const whole = w.ends.filter((end) => end <= cut).length;
      assert.equal(result.fragments.length, whole, `cut at ${cut}`);
      assert.equal(result.validEnd, whole ? w.ends[whole - 1] : w.initLength);
      assert.deepEqual(result.fragments, full.fragments.slice(0, whole));
    }
  });

  it('garbage after the last fragment, or a fragment whose samples point outside its mdat, ends the list', async () => {
    const w = write();
    const random = seededRandom(7);
    const garbage = new Uint8Array(5000).map(() => Math.floor(random() * 256));
    const result = await parse(concat([w.file, garbage]));
    assert.equal(result.validEnd, w.file.length);
    assert.equal(result.fragments.length, w.samples.length);
    // A whole box of an unknown type between fragments is skipped, not an end.
    const free = new Uint8Array([0, 0, 0, 12, 0x66, 0x72, 0x65, 0x65, 1, 2, 3, 4]);
    const withFree = concat([w.file.subarray(0, w.ends[0]), free, w.file.subarray(w.ends[0])]);
    assert.equal((await parse(withFree)).fragments.length, w.samples.length);
    // trun's data_offset moved past the mdat: that fragment is not whole.
    const bad = w.file.slice();
    const view = new DataView(bad.buffer);
    const second = w.ends[0]!; // the second moof
    // moof(8) mfhd(16) traf(8) tfhd(16) tfdt(20) trun: header 8, flags 4, count 4, then data_offset.
    const dataOffsetAt = second + 8 + 16 + 8 + 16 + 20 + 16;
    view.setInt32(dataOffsetAt, view.getInt32(dataOffsetAt) + 1_000_000);
    const cut = await parse(bad);
    assert.equal(cut.fragments.length, 1);
    assert.equal(cut.validEnd, w.ends[0]);
  });

  it('files that are not fragmented H.264 MP4 are CodecErrors', async () => {
    const w = write();
    await assert.rejects(parse(new Uint8Array(0)), CodecError);
    await assert.rejects(parse(w.file.subarray(w.initLength)), CodecError, 'fragments without an init segment');
    await assert.rejects(parse(new TextEncoder().encode('hello, this is not an mp4 file at all')), CodecError);
    const plain = ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'sine=d=0.2',
      '-c:a',
      'aac',
      '-movflags',
      'frag_keyframe+empty_moov',
      '-f',
      'mp4',
      'pipe:1',
    ]);
    await assert.rejects(parse(plain), CodecError, 'an audio-only MP4');
  });

  it('resumes a growing file from its previous result', async () => {
    const w = write(2);
    const cut = w.ends[3]! + 17;
    const first = await parse(w.file.subarray(0, cut));
    assert.equal(first.fragments.length, 4);
    const resumed = await parse(w.file, first);
    const fresh = await parse(w.file);
    assert.deepEqual(resumed, fresh);
    assert.equal(first.fragments.length, 4, 'the previous result is left as it was');
  });

  it('readFragmentedFile reads a file on disk', async () => {
    const w = write();
    const path = join(dir, 'segment.mp4');
    writeFileSync(path, w.file);
    const result = await readFragmentedFile(path);
    assert.deepEqual(result, await parse(w.file));
    await assert.rejects(readFragmentedFile(join(dir, 'missing.mp4')), { code: 'ENOENT' });
  });

  it('bounds the number of fragments', () => {
    assert.ok(MAX_FRAGMENTS >= 86400, 'a day of 1-second fragments fits');
  });
});

function mutate(source: Uint8Array, random: () => number): Uint8Array {
  let data = source.slice();
  const pick = (n: number): number => Math.floor(random() * n);
  const edits = 1 + pick(4);
  for (let e = 0; e < edits && data.length > 0; e++) {
    const at = pick(data.length);
    switch (pick(6)) {
      case 0:
        data[at] = data[at]! ^ (1 << pick(8));
        break;
      case 1:
        data[at] = pick(256);
        break;
      case 2: {
        // a box size or count made huge, zero or one
        const value = [0, 1, 0xffffffff, 0x7fffffff, 8, 16][pick(6)]!;
        if (at + 4 <= data.length) new DataView(data.buffer).setUint32(at, value);
        break;
      }
      case 3: {
        const end = Math.min(data.length, at + pick(500));
        data = new Uint8Array([...data.subarray(0, at), ...data.subarray(end)]);
        break;
      }
      case 4: {
        const end = Math.min(data.length, at + pick(500));
        data = new Uint8Array([...data.subarray(0, end), ...data.subarray(at, end), ...data.subarray(end)]);
        break;
      }
      default:
        data = data.slice(0, at);
    }
  }
  return data;
}

describe('untrusted fragmented files', () => {
  it('3000 seeded mutations: a bounded result or a CodecError, never another error', async () => {
    const w = write(4, { width: 64, height: 48, frames: 24, gop: 8 });
    const random = seededRandom(20261201);
    let parsed = 0;
    for (let i = 0; i < 3000; i++) {
      const data = mutate(w.file, random);
      try {
        const result = await parse(data);
        checkBounds(result, data);
        parsed++;
      } catch (error) {
        if (!(error instanceof CodecError)) {
          assert.fail(`mutation ${i}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        }
      }
    }
    assert.ok(parsed > 1000, `${parsed} mutated files still parsed`);
  });

  it('random bytes: a CodecError', async () => {
    const random = seededRandom(3);
    for (let i = 0; i < 500; i++) {
      const data = new Uint8Array(Math.floor(random() * 600)).map(() => Math.floor(random() * 256));
      await assert.rejects(parse(data), CodecError);
    }
  });
});
