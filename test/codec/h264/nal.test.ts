import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CodecError } from '../../../src/codec/errors.js';
import {
  avcToAnnexB,
  isForbiddenBitSet,
  joinAnnexB,
  NalType,
  nalRefIdc,
  nalType,
  splitAnnexB,
  splitAvc,
  toAvc,
} from '../../../src/codec/h264/nal.js';
import { AccessUnitSplitter, type AccessUnit } from '../../../src/codec/h264/access-units.js';
import { concat, equalBytes, ffmpegH264 } from '../fixtures.js';

const STREAM = ffmpegH264({ width: 320, height: 240, frames: 30, profile: 'high', aud: true });

function accessUnits(stream: Uint8Array): AccessUnit[] {
  const aus: AccessUnit[] = [];
  const splitter = new AccessUnitSplitter((au) => aus.push(au));
  splitter.push(stream);
  splitter.flush();
  return aus;
}

function isCodecError(code?: string): (error: unknown) => boolean {
  return (error) => error instanceof CodecError && (code === undefined || error.code === code);
}

describe('splitAnnexB', () => {
  it('splits a real stream into NAL units that start with their header, none empty, and nothing lost', () => {
    const nalus = splitAnnexB(STREAM);
    const types = nalus.map(nalType);
    assert.equal(types.filter((t) => t === NalType.AUD).length, 30);
    assert.equal(types.filter((t) => t === NalType.IDR).length, 2);
    assert.equal(types.filter((t) => t === NalType.SLICE).length, 28);
    assert.equal(types[1], NalType.SPS);
    assert.equal(types[2], NalType.PPS);
    assert.ok(nalus.every((n) => n.length > 0 && !isForbiddenBitSet(n)));
    // ffmpeg writes 4-byte start codes before parameter sets and the first unit of an
    // access unit, 3-byte ones elsewhere: the bytes add up either way.
    let startCodes = 0;
    for (let i = 0; i + 2 < STREAM.length; i++)
      if (STREAM[i] === 0 && STREAM[i + 1] === 0 && STREAM[i + 2] === 1) startCodes++;
    assert.equal(nalus.length, startCodes);
  });

  it('takes 3- and 4-byte start codes, skips bytes before the first, trailing zeros and empty units', () => {
    const data = new Uint8Array([
      0xaa,
      0xbb, // garbage before the first start code
      0,
      0,
      1,
      0x09,
      0xf0, // AUD after a 3-byte start code
      0,
      0,
      0,
      1,
      0x67,
      0x42,
      0,
      0,
      3,
      1, // SPS-ish, with an emulation-prevention byte
      0,
      0,
      0,
      0,
      0, // trailing_zero_8bits
      0,
      0,
      1, // an empty unit
      0,
      0,
      1,
      0x65,
      0x88,
      0x84,
      0,
      0,
    ]);
    const nalus = splitAnnexB(data);
    assert.deepEqual(
      nalus.map((n) => [...n]),
      [
        [0x09, 0xf0],
        [0x67, 0x42, 0, 0, 3, 1],
        [0x65, 0x88, 0x84],
      ],
    );
    // Subarrays of the input, not copies.
    assert.equal(nalus[0]!.buffer, data.buffer);
  });

  it('returns nothing for bytes without a start code, and bounds the count', () => {
    assert.deepEqual(splitAnnexB(new Uint8Array([1, 2, 3, 0, 0, 2, 0])), []);
    assert.deepEqual(splitAnnexB(new Uint8Array(0)), []);
    const many = new Uint8Array(4 * 100);
    for (let i = 0; i < 100; i++) many.set([0, 0, 1, 0x09], i * 4);
    assert.equal(splitAnnexB(many).length, 100);
    assert.throws(() => splitAnnexB(many, { maxNalUnits: 99 }), isCodecError('too-large'));
  });
});

describe('NAL header', () => {
  it('reads type and ref_idc', () => {
    assert.equal(nalType(new Uint8Array([0x67])), NalType.SPS);
    assert.equal(nalRefIdc(new Uint8Array([0x67])), 3);
    assert.equal(nalType(new Uint8Array([0x65])), NalType.IDR);
    assert.equal(nalType(new Uint8Array([0x01])), NalType.SLICE);
    assert.equal(nalRefIdc(new Uint8Array([0x01])), 0);
    assert.equal(nalRefIdc(new Uint8Array([0x41])), 2);
    assert.equal(isForbiddenBitSet(new Uint8Array([0xe7])), true);
    assert.throws(() => nalType(new Uint8Array(0)), isCodecError('invalid'));
  });
});

describe('Annex B ↔ AVC', () => {
  it('round-trips every access unit of a real stream', () => {
    const aus = accessUnits(STREAM);
    assert.equal(aus.length, 30);
    for (const au of aus) {
      const avc = toAvc(au.data);
      assert.equal(
        avc.length,
        au.nalus.reduce((n, nal) => n + 4 + nal.length, 0),
      );
      const back = splitAvc(avc);
      assert.equal(back.length, au.nalus.length);
      back.forEach((nal, i) => assert.ok(equalBytes(nal, au.nalus[i]!)));
      // From NAL units or from Annex B bytes: the same AVC bytes.
      assert.ok(equalBytes(toAvc(au.nalus), avc));
      // Back to Annex B (4-byte start codes): the same NAL units.
      const annexB = avcToAnnexB(avc);
      assert.ok(equalBytes(annexB, joinAnnexB(au.nalus)));
      const again = splitAnnexB(annexB);
      again.forEach((nal, i) => assert.ok(equalBytes(nal, au.nalus[i]!)));
    }
  });

  it('writes big-endian 4-byte lengths', () => {
    const avc = toAvc([new Uint8Array([0x09, 0xf0]), new Uint8Array(300).fill(0x41)]);
    assert.deepEqual([...avc.subarray(0, 6)], [0, 0, 0, 2, 0x09, 0xf0]);
    assert.deepEqual([...avc.subarray(6, 10)], [0, 0, 1, 0x2c]);
  });

  it('reads 1- and 2-byte lengths too', () => {
    assert.deepEqual(
      splitAvc(new Uint8Array([2, 0x09, 0xf0, 1, 0x0c]), { lengthSize: 1 }).map((n) => [...n]),
      [[0x09, 0xf0], [0x0c]],
    );
    assert.deepEqual(
      splitAvc(new Uint8Array([0, 2, 0x09, 0xf0]), { lengthSize: 2 }).map((n) => [...n]),
      [[0x09, 0xf0]],
    );
  });

  it('rejects lengths that lie, with a CodecError', () => {
    const avc = toAvc(accessUnits(STREAM)[0]!.nalus);
    // Past the end.
    const longer = avc.slice();
    new DataView(longer.buffer).setUint32(0, avc.length);
    assert.throws(() => splitAvc(longer), isCodecError('invalid'));
    // The last unit cut short.
    assert.throws(() => splitAvc(avc.subarray(0, avc.length - 1)), isCodecError('invalid'));
    // Stray bytes after the last unit, shorter than a length.
    assert.throws(() => splitAvc(concat([avc, new Uint8Array([0, 0])])), isCodecError('truncated'));
    // Zero length.
    assert.throws(() => splitAvc(new Uint8Array([0, 0, 0, 0, 0x65])), isCodecError('invalid'));
    // 0xffffffff.
    assert.throws(() => splitAvc(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x65])), isCodecError('invalid'));
    assert.throws(() => avcToAnnexB(longer), isCodecError('invalid'));
    // A bad length size.
    assert.throws(() => splitAvc(avc, { lengthSize: 3 as 4 }), isCodecError('invalid'));
  });

  it('rejects an empty NAL unit in toAvc', () => {
    assert.throws(() => toAvc([new Uint8Array(0)]), isCodecError('invalid'));
  });
});
