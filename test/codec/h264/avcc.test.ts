import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CodecError } from '../../../src/codec/errors.js';
import { avcCCodecString, buildAvcC, parseAvcC } from '../../../src/codec/h264/avcc.js';
import { NalType, nalType, splitAnnexB } from '../../../src/codec/h264/nal.js';
import { codecString } from '../../../src/codec/h264/sps.js';
import { avcCOfMp4, equalBytes, ffmpeg, ffmpegH264, seededRandom, type EncodeOptions } from '../fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'camrelay-avcc-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function parameterSets(stream: Uint8Array): { sps: Uint8Array[]; pps: Uint8Array[] } {
  const nalus = splitAnnexB(stream);
  return {
    sps: nalus.filter((n) => nalType(n) === NalType.SPS).slice(0, 1),
    pps: nalus.filter((n) => nalType(n) === NalType.PPS).slice(0, 1),
  };
}

function isCodecError(code?: string): (error: unknown) => boolean {
  return (error) => error instanceof CodecError && (code === undefined || error.code === code);
}

/** ffmpeg's own avcC for the stream: remuxed into MP4 without re-encoding. */
function ffmpegAvcC(stream: Uint8Array, name: string): Uint8Array {
  const input = join(dir, `${name}.h264`);
  const output = join(dir, `${name}.mp4`);
  writeFileSync(input, stream);
  ffmpeg(['-y', '-f', 'h264', '-i', input, '-c', 'copy', '-f', 'mp4', output]);
  return avcCOfMp4(new Uint8Array(readFileSync(output)));
}

describe('avcC', () => {
  const cases: EncodeOptions[] = [
    { width: 320, height: 240, frames: 2, profile: 'baseline' },
    { width: 642, height: 362, frames: 2, profile: 'main' },
    { width: 1280, height: 720, frames: 2, profile: 'high' },
  ];
  for (const options of cases) {
    it(`round-trips and agrees with ffmpeg's: ${options.profile} ${options.width}x${options.height}`, () => {
      const stream = ffmpegH264(options);
      const { sps, pps } = parameterSets(stream);
      const avcC = buildAvcC({ sps, pps });
      const parsed = parseAvcC(avcC);
      assert.equal(parsed.lengthSize, 4);
      assert.equal(parsed.sps.length, 1);
      assert.equal(parsed.pps.length, 1);
      assert.ok(equalBytes(parsed.sps[0]!, sps[0]!));
      assert.ok(equalBytes(parsed.pps[0]!, pps[0]!));
      assert.equal(avcCCodecString(parsed), codecString(sps[0]!));
      if (options.profile === 'high') {
        assert.equal(parsed.chromaFormat, 1);
        assert.equal(parsed.bitDepthLuma, 8);
        assert.equal(parsed.bitDepthChroma, 8);
        assert.deepEqual(parsed.spsExt, []);
      }

      const theirs = ffmpegAvcC(stream, `${options.profile}`);
      const parsedTheirs = parseAvcC(theirs);
      assert.equal(avcCCodecString(parsedTheirs), avcCCodecString(parsed));
      assert.ok(equalBytes(parsedTheirs.sps[0]!, sps[0]!));
      assert.ok(equalBytes(parsedTheirs.pps[0]!, pps[0]!));
      // The same record, byte for byte, up to the optional high-profile extension.
      const common = Math.min(theirs.length, avcC.length);
      assert.ok(common >= avcC.length - 4);
      assert.ok(equalBytes(theirs.subarray(0, common), avcC.subarray(0, common)));
    });
  }

  it('carries several SPS and PPS', () => {
    const { sps, pps } = parameterSets(ffmpegH264({ width: 320, height: 240, frames: 1 }));
    const ppsB = pps[0]!.slice();
    const avcC = buildAvcC({ sps: [sps[0]!, sps[0]!], pps: [pps[0]!, ppsB, pps[0]!] });
    const parsed = parseAvcC(avcC);
    assert.equal(parsed.sps.length, 2);
    assert.equal(parsed.pps.length, 3);
  });

  it('refuses to build from missing, misplaced or oversized parameter sets', () => {
    const { sps, pps } = parameterSets(ffmpegH264({ width: 320, height: 240, frames: 1 }));
    assert.throws(() => buildAvcC({ sps: [], pps }), isCodecError('invalid'));
    assert.throws(() => buildAvcC({ sps, pps: [] }), isCodecError('invalid'));
    assert.throws(() => buildAvcC({ sps: pps, pps }), isCodecError('invalid'));
    assert.throws(() => buildAvcC({ sps, pps: sps }), isCodecError('invalid'));
    assert.throws(() => buildAvcC({ sps: Array.from({ length: 32 }, () => sps[0]!), pps }), isCodecError('invalid'));
    const huge = new Uint8Array(70000);
    huge[0] = 0x68;
    assert.throws(() => buildAvcC({ sps, pps: [huge] }), isCodecError('too-large'));
    const garbageSps = new Uint8Array([0x67, 0x42, 0xc0, 0x1e, 0x00, 0x00, 0x00, 0x00]); // cut short
    assert.throws(() => buildAvcC({ sps: [garbageSps], pps }), isCodecError());
  });

  it('rejects a record that is cut, lies or is not version 1, with a CodecError', () => {
    const { sps, pps } = parameterSets(ffmpegH264({ width: 1280, height: 720, frames: 1, profile: 'high' }));
    const avcC = buildAvcC({ sps, pps });
    // Cut anywhere before the extension: truncated. (Without the whole extension, it is left out.)
    for (let length = 0; length < avcC.length - 4; length++) {
      assert.throws(() => parseAvcC(avcC.subarray(0, length)), isCodecError('truncated'), `cut at ${length}`);
    }
    const version0 = avcC.slice();
    version0[0] = 0;
    assert.throws(() => parseAvcC(version0), isCodecError('unsupported'));
    const threeByteLengths = avcC.slice();
    threeByteLengths[4] = 0xfe;
    assert.throws(() => parseAvcC(threeByteLengths), isCodecError('invalid'));
    const moreSps = avcC.slice();
    moreSps[5] = 0xe0 | 31;
    assert.throws(() => parseAvcC(moreSps), isCodecError());
    const longSps = avcC.slice();
    longSps[6] = 0xff; // SPS length 0xff.. past the end
    assert.throws(() => parseAvcC(longSps), isCodecError('truncated'));
    const wrongType = avcC.slice();
    wrongType[8] = 0x68; // the SPS's header says PPS
    assert.throws(() => parseAvcC(wrongType), isCodecError('invalid'));
    assert.throws(() => parseAvcC(new Uint8Array(2 * 1024 * 1024)), isCodecError('too-large'));
  });

  it('survives random mutations: a record or a CodecError, never anything else', () => {
    const { sps, pps } = parameterSets(ffmpegH264({ width: 642, height: 362, frames: 1, profile: 'high' }));
    const avcC = buildAvcC({ sps, pps });
    const random = seededRandom(11);
    for (let i = 0; i < 3000; i++) {
      const mutated = avcC.slice(0, Math.floor(random() * (avcC.length + 8)));
      for (let k = 0; k < 3; k++) mutated[Math.floor(random() * mutated.length)] = Math.floor(random() * 256);
      try {
        const parsed = parseAvcC(mutated);
        for (const nal of [...parsed.sps, ...parsed.pps])
          assert.ok(nal.length > 0 && nal.byteOffset + nal.length <= mutated.byteOffset + mutated.length);
      } catch (error) {
        assert.ok(error instanceof CodecError, `not a CodecError: ${String(error)}`);
      }
    }
  });
});
