import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CodecError } from '../../../src/codec/errors.js';
import { NalType, nalType, splitAnnexB } from '../../../src/codec/h264/nal.js';
import { BitReader, removeEmulationPrevention } from '../../../src/codec/bits.js';
import { avcCodecString, codecString, MAX_DIMENSION, parseSps } from '../../../src/codec/h264/sps.js';
import { ffmpegH264, seededRandom, type EncodeOptions } from '../fixtures.js';

function spsOf(stream: Uint8Array): Uint8Array {
  const sps = splitAnnexB(stream).find((n) => nalType(n) === NalType.SPS);
  assert.ok(sps, 'the stream has an SPS');
  return sps;
}

function isCodecError(code?: string): (error: unknown) => boolean {
  return (error) => error instanceof CodecError && (code === undefined || error.code === code);
}

/** Writes an RBSP bit by bit, then adds emulation prevention: a hand-made SPS. */
class BitWriter {
  private bits: number[] = [];
  bit(b: number): this {
    this.bits.push(b & 1);
    return this;
  }
  u(count: number, value: number): this {
    for (let i = count - 1; i >= 0; i--) this.bit(Math.floor(value / 2 ** i) % 2);
    return this;
  }
  ue(value: number): this {
    const v = value + 1;
    const length = Math.floor(Math.log2(v));
    for (let i = 0; i < length; i++) this.bit(0);
    return this.u(length + 1, v);
  }
  /** rbsp_trailing_bits, then the NAL unit with header and emulation prevention. */
  nal(header: number): Uint8Array {
    this.bit(1);
    while (this.bits.length % 8) this.bit(0);
    const rbsp: number[] = [];
    for (let i = 0; i < this.bits.length; i += 8) rbsp.push(this.bits.slice(i, i + 8).reduce((a, b) => a * 2 + b, 0));
    const out = [header];
    let zeros = 0;
    for (const b of rbsp) {
      if (zeros >= 2 && b <= 3) {
        out.push(3);
        zeros = 0;
      }
      out.push(b);
      zeros = b === 0 ? zeros + 1 : 0;
    }
    return new Uint8Array(out);
  }
}

interface SpsFields {
  profile?: number;
  widthMbs: number;
  heightMapUnits: number;
  frameMbsOnly?: boolean;
  crop?: [number, number, number, number];
}

function makeSps(f: SpsFields): Uint8Array {
  const w = new BitWriter()
    .u(8, f.profile ?? 66)
    .u(8, 0xc0)
    .u(8, 31)
    .ue(0) // sps id
    .ue(0) // log2_max_frame_num_minus4
    .ue(2) // pic_order_cnt_type
    .ue(1) // max_num_ref_frames
    .bit(0) // gaps
    .ue(f.widthMbs - 1)
    .ue(f.heightMapUnits - 1)
    .bit(f.frameMbsOnly === false ? 0 : 1);
  if (f.frameMbsOnly === false) w.bit(0);
  w.bit(1); // direct_8x8_inference
  if (f.crop) {
    w.bit(1);
    for (const c of f.crop) w.ue(c);
  } else {
    w.bit(0);
  }
  w.bit(0); // no VUI
  return w.nal(0x67);
}

describe('parseSps on real streams', () => {
  const cases: { options: EncodeOptions; profileByte: number; chroma: number }[] = [
    { options: { width: 1280, height: 720, profile: 'high' }, profileByte: 0x64, chroma: 1 },
    { options: { width: 642, height: 362, profile: 'high' }, profileByte: 0x64, chroma: 1 },
    { options: { width: 320, height: 240, profile: 'baseline' }, profileByte: 0x42, chroma: 1 },
    { options: { width: 642, height: 362, profile: 'baseline' }, profileByte: 0x42, chroma: 1 },
    { options: { width: 1920, height: 1080, profile: 'main' }, profileByte: 0x4d, chroma: 1 },
    { options: { width: 642, height: 362, profile: 'high422', pixFmt: 'yuv422p' }, profileByte: 0x7a, chroma: 2 },
    {
      options: { width: 641, height: 361, profile: 'high444', pixFmt: 'yuv444p', source: 'testsrc' },
      profileByte: 0xf4,
      chroma: 3,
    },
  ];
  for (const { options, profileByte, chroma } of cases) {
    it(`${options.width}x${options.height} ${options.profile} ${options.pixFmt ?? 'yuv420p'}`, () => {
      const sps = parseSps(spsOf(ffmpegH264({ ...options, frames: 1 })));
      assert.equal(sps.width, options.width);
      assert.equal(sps.height, options.height);
      assert.equal(sps.profileIdc, profileByte);
      assert.equal(sps.chromaFormatIdc, chroma);
      assert.equal(sps.frameMbsOnly, true);
      assert.equal(sps.bitDepthLuma, 8);
      const cropped = sps.widthInMbs * 16 !== options.width || sps.heightInMbs * 16 !== options.height;
      assert.equal(cropped, sps.crop.right + sps.crop.bottom > 0);
      assert.match(codecString(sps), new RegExp(`^avc1\\.${profileByte.toString(16).toUpperCase()}[0-9A-F]{4}$`));
    });
  }

  it('reads an interlaced (field-coded) SPS: height in map units, doubled crop unit', () => {
    const stream = ffmpegH264({ width: 640, height: 360, frames: 2, profile: 'high', x264Params: 'interlaced=1' });
    const sps = parseSps(spsOf(stream));
    assert.equal(sps.frameMbsOnly, false);
    assert.equal(sps.width, 640);
    assert.equal(sps.height, 360);
  });

  it('reads a 10-bit SPS', () => {
    const sps = parseSps(spsOf(ffmpegH264({ width: 642, height: 362, frames: 1, pixFmt: 'yuv420p10le' })));
    assert.equal(sps.bitDepthLuma, 10);
    assert.equal(sps.profileIdc, 110);
    assert.equal(sps.width, 642);
  });

  it('reads the frame rate and the sample aspect ratio from the VUI', () => {
    const at30 = parseSps(spsOf(ffmpegH264({ width: 320, height: 240, frames: 1 })));
    assert.equal(at30.vuiPresent, true);
    assert.equal(at30.frameRate, 30);
    const at25 = parseSps(spsOf(ffmpegH264({ width: 320, height: 240, frames: 1, rate: 25, sar: '4/3' })));
    assert.equal(at25.frameRate, 25);
    assert.deepEqual(at25.sar, { width: 4, height: 3 });
    const odd = parseSps(spsOf(ffmpegH264({ width: 320, height: 240, frames: 1, sar: '7/5' })));
    assert.deepEqual(odd.sar, { width: 7, height: 5 });
    // Without a VUI: neither.
    const bare = parseSps(makeSps({ widthMbs: 20, heightMapUnits: 15 }));
    assert.equal(bare.vuiPresent, false);
    assert.equal(bare.frameRate, undefined);
    assert.equal(bare.sar, undefined);
  });

  it('gives the codec string of the profile and level ffmpeg used', () => {
    const base = codecString(
      spsOf(ffmpegH264({ width: 320, height: 240, frames: 1, profile: 'baseline', level: '3.0' })),
    );
    // x264's baseline sets constraint_set0 and constraint_set1 (what Chrome calls Constrained Baseline).
    assert.equal(base, 'avc1.42C01E');
    const main = codecString(spsOf(ffmpegH264({ width: 320, height: 240, frames: 1, profile: 'main', level: '3.1' })));
    assert.equal(main, 'avc1.4D401F');
    const high = codecString(spsOf(ffmpegH264({ width: 1280, height: 720, frames: 1, profile: 'high', level: '4.0' })));
    assert.equal(high, 'avc1.640028');
    assert.equal(avcCodecString(0x64, 0, 0x33), 'avc1.640033');
  });
});

describe('parseSps on hand-made and hostile input', () => {
  it('reads a hand-made SPS (checks the test writer)', () => {
    const sps = parseSps(makeSps({ widthMbs: 80, heightMapUnits: 45 }));
    assert.equal(sps.width, 1280);
    assert.equal(sps.height, 720);
    const cropped = parseSps(makeSps({ widthMbs: 120, heightMapUnits: 68, crop: [0, 0, 0, 4] }));
    assert.equal(cropped.height, 1080);
    const field = parseSps(makeSps({ widthMbs: 45, heightMapUnits: 18, frameMbsOnly: false, crop: [0, 0, 0, 3] }));
    assert.equal(field.height, 576 - 12);
  });

  it('accepts the largest picture and rejects one claiming 100000x100000', () => {
    const max = MAX_DIMENSION / 16;
    const big = parseSps(makeSps({ widthMbs: max, heightMapUnits: max }));
    assert.equal(big.width, MAX_DIMENSION);
    assert.throws(() => parseSps(makeSps({ widthMbs: 6250, heightMapUnits: 6250 })), isCodecError('too-large'));
    assert.throws(() => parseSps(makeSps({ widthMbs: max + 1, heightMapUnits: 10 })), isCodecError('too-large'));
    // Field coding doubles the map units: 512 map units is 1024 macroblock rows.
    assert.throws(
      () => parseSps(makeSps({ widthMbs: 10, heightMapUnits: max, frameMbsOnly: false })),
      isCodecError('too-large'),
    );
    // Exp-Golomb codes longer than 32 bits.
    assert.throws(() => parseSps(makeSps({ widthMbs: 2 ** 33, heightMapUnits: 1 })), isCodecError('invalid'));
  });

  it('rejects cropping that leaves no picture', () => {
    assert.throws(
      () => parseSps(makeSps({ widthMbs: 2, heightMapUnits: 2, crop: [8, 8, 0, 0] })),
      isCodecError('invalid'),
    );
    assert.throws(
      () => parseSps(makeSps({ widthMbs: 2, heightMapUnits: 2, crop: [0, 0, 100000, 0] })),
      isCodecError('invalid'),
    );
  });

  it('rejects what is not an SPS, and an SPS cut anywhere', () => {
    assert.throws(() => parseSps(new Uint8Array([0x68, 1, 2, 3, 4])), isCodecError('invalid'));
    assert.throws(() => parseSps(new Uint8Array([0x67])), isCodecError('truncated'));
    assert.throws(() => parseSps(new Uint8Array(5000).fill(0x67)), isCodecError('too-large'));
    const real = spsOf(ffmpegH264({ width: 642, height: 362, frames: 1, profile: 'high' }));
    // The VUI is read as far as the timing, best effort: a cut inside it still gives the
    // picture (without the frame rate); any earlier cut throws.
    const whole = parseSps(real);
    let threw = 0;
    for (let length = 0; length < real.length; length++) {
      try {
        const sps = parseSps(real.subarray(0, length));
        assert.equal(sps.width, whole.width);
        assert.equal(sps.height, whole.height);
      } catch (error) {
        assert.ok(error instanceof CodecError, `cut at ${length}: ${String(error)}`);
        threw++;
      }
    }
    assert.ok(threw >= 8, `${threw} cuts threw`);
  });

  it('rejects garbage: random bodies either parse to a plausible picture or throw a CodecError', () => {
    const random = seededRandom(7);
    let parsed = 0;
    for (let i = 0; i < 3000; i++) {
      const nal = new Uint8Array(1 + Math.floor(random() * 64));
      for (let j = 0; j < nal.length; j++) nal[j] = Math.floor(random() * 256);
      nal[0] = 0x67;
      try {
        const sps = parseSps(nal);
        parsed++;
        assert.ok(sps.width >= 1 && sps.width <= MAX_DIMENSION && Number.isInteger(sps.width));
        assert.ok(sps.height >= 1 && sps.height <= MAX_DIMENSION && Number.isInteger(sps.height));
        assert.match(codecString(sps), /^avc1\.[0-9A-F]{6}$/);
      } catch (error) {
        assert.ok(error instanceof CodecError, `not a CodecError: ${String(error)}`);
      }
    }
    assert.ok(parsed < 3000);
  });
});

describe('RBSP reading', () => {
  it('removes emulation-prevention bytes only after two zeros', () => {
    assert.deepEqual([...removeEmulationPrevention(new Uint8Array([0, 0, 3, 1, 3, 0, 0, 3]))], [0, 0, 1, 3, 0, 0]);
    assert.deepEqual([...removeEmulationPrevention(new Uint8Array([0, 0, 3, 0, 0, 3, 0]))], [0, 0, 0, 0, 0]);
    const plain = new Uint8Array([1, 2, 3]);
    assert.equal(removeEmulationPrevention(plain), plain);
  });

  it('reads exp-Golomb codes and stops at the end', () => {
    // 1 | 010 | 011 | 00100 | 0... : ue 0, 1, 2, 3, then truncated.
    const r = new BitReader(new Uint8Array([0b10100110, 0b01000000]));
    assert.equal(r.readUe(), 0);
    assert.equal(r.readUe(), 1);
    assert.equal(r.readUe(), 2);
    assert.equal(r.readUe(), 3);
    assert.throws(() => r.readUe(), isCodecError('truncated'));
    assert.throws(() => new BitReader(new Uint8Array(8)).readUe(), isCodecError('invalid'));
    const s = new BitReader(new Uint8Array([0b01001110]));
    assert.equal(s.readSe(), 1);
    assert.equal(s.readSe(), -1);
    assert.equal(s.readSe(), 0);
  });
});
