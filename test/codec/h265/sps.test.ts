/**
 * The H.265 SPS, codec string and hvcC on real libx265 streams: the picture size after the
 * conformance window and the profile and level as ffprobe reads them, the record as ffmpeg's own
 * MP4 muxer writes it; and CodecError, never another error, for damaged input.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BitReader, removeEmulationPrevention } from '../../../src/codec/bits.js';
import { CodecError } from '../../../src/codec/errors.js';
import { HevcAccessUnitSplitter } from '../../../src/codec/h265/access-units.js';
import { buildHvcC, hvcCCodecString, parseHvcC } from '../../../src/codec/h265/hvcc.js';
import { hevcCodecString, parseHevcSps, readProfileTierLevel } from '../../../src/codec/h265/sps.js';
import type { AccessUnit } from '../../../src/codec/access-units.js';
import { findBox, findPath } from '../../../src/codec/mp4/boxes.js';
import { NAL_CODECS } from '../../../src/codec/video.js';
import { equalBytes, ffmpeg, ffmpegH265, hasEncoder, seededRandom, type H265EncodeOptions } from '../fixtures.js';

const skip = hasEncoder('libx265') ? false : 'this ffmpeg has no libx265';

function firstKeyframe(options: H265EncodeOptions): AccessUnit {
  let first: AccessUnit | undefined;
  const splitter = new HevcAccessUnitSplitter((au) => (first ??= au));
  splitter.push(ffmpegH265(options));
  splitter.flush();
  assert.ok(first?.keyframe);
  return first;
}

interface Probed {
  width: number;
  height: number;
  profile: string;
  level: number;
}

function probe(stream: Uint8Array): Probed {
  const out = execFileSync(
    'ffprobe',
    ['-v', 'error', '-f', 'hevc', '-i', 'pipe:0', '-show_entries', 'stream=width,height,profile,level', '-of', 'json'],
    { input: stream, encoding: 'utf8' },
  );
  return (JSON.parse(out) as { streams: Probed[] }).streams[0]!;
}

/** The hvcC that ffmpeg's MP4 muxer writes for the same stream. */
function ffmpegHvcC(stream: Uint8Array): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'camrelay-hvcc-'));
  writeFileSync(`${dir}/in.hevc`, stream);
  ffmpeg(['-f', 'hevc', '-i', `${dir}/in.hevc`, '-c', 'copy', '-tag:v', 'hvc1', `${dir}/out.mp4`]);
  const mp4 = new Uint8Array(readFileSync(`${dir}/out.mp4`));
  const stsd = findPath(mp4, ['moov', 'trak', 'mdia', 'minf', 'stbl', 'stsd'])!;
  const entry = findBox(mp4, 'hvc1', stsd.start + 16, stsd.end)!;
  const box = findBox(mp4, 'hvcC', entry.start + 8 + 78, entry.end)!;
  rmSync(dir, { recursive: true });
  return mp4.subarray(box.start + box.headerSize, box.end);
}

const CASES: { options: H265EncodeOptions; profile: string; profileIdc: number }[] = [
  { options: { width: 320, height: 240 }, profile: 'Main', profileIdc: 1 },
  // Not a multiple of the coding block: the conformance window crops it.
  { options: { width: 100, height: 58 }, profile: 'Main', profileIdc: 1 },
  { options: { width: 1282, height: 722 }, profile: 'Main', profileIdc: 1 },
  { options: { width: 176, height: 144, pixFmt: 'yuv420p10le' }, profile: 'Main 10', profileIdc: 2 },
];

describe('H.265 SPS', { skip }, () => {
  for (const { options, profile, profileIdc } of CASES) {
    const name = `${options.width}x${options.height}${options.pixFmt ? ` ${options.pixFmt}` : ''}`;
    it(`reads ${name} as ffprobe does`, () => {
      const au = firstKeyframe({ ...options, frames: 2 });
      const sps = parseHevcSps(au.sps[0]!);
      const probed = probe(ffmpegH265({ ...options, frames: 2 }));
      assert.equal(sps.width, probed.width);
      assert.equal(sps.height, probed.height);
      assert.equal(sps.width, options.width);
      assert.equal(sps.height, options.height);
      assert.equal(profile, probed.profile);
      assert.equal(sps.profileIdc, profileIdc);
      assert.equal(sps.levelIdc, probed.level);
      assert.equal(sps.bitDepthLuma, options.pixFmt ? 10 : 8);
      assert.equal(sps.chromaFormatIdc, 1);
    });
  }

  it('makes the codec string of RFC 6381 / ISO 14496-15 E.3', () => {
    const sps = parseHevcSps(firstKeyframe({ width: 320, height: 240, frames: 2 }).sps[0]!);
    // Main: compatibility flags 1 and 2, reversed to 0x6; libx265 says progressive and frame-only: 90.
    assert.equal(hevcCodecString(sps), `hvc1.1.6.L${sps.levelIdc}.90`);
    const main10 = parseHevcSps(firstKeyframe({ width: 176, height: 144, frames: 2, pixFmt: 'yuv420p10le' }).sps[0]!);
    assert.equal(hevcCodecString(main10), `hvc1.2.4.L${main10.levelIdc}.90`);
    assert.equal(
      hevcCodecString({
        profileSpace: 1,
        tier: 1,
        profileIdc: 3,
        compatibilityFlags: 0x80000000,
        constraintBytes: new Uint8Array([0x90, 0, 0x0b, 0, 0, 0]),
        levelIdc: 153,
      }),
      'hvc1.A3.1.H153.90.00.0B',
    );
  });

  it('builds the hvcC ffmpeg builds, and reads it back', () => {
    for (const { options } of CASES) {
      const au = firstKeyframe({ ...options, frames: 2 });
      const ours = parseHvcC(buildHvcC(au));
      const theirs = parseHvcC(ffmpegHvcC(ffmpegH265({ ...options, frames: 2 })));
      for (const key of ['profileSpace', 'tier', 'profileIdc', 'compatibilityFlags', 'levelIdc'] as const) {
        assert.equal(ours[key], theirs[key], key);
      }
      assert.ok(equalBytes(ours.constraintBytes, theirs.constraintBytes));
      assert.equal(ours.chromaFormat, theirs.chromaFormat);
      assert.equal(ours.bitDepthLuma, theirs.bitDepthLuma);
      assert.equal(ours.lengthSize, 4);
      for (const set of ['vps', 'sps', 'pps'] as const) {
        assert.equal(ours[set].length, 1);
        assert.ok(equalBytes(ours[set][0]!, au[set][0]!), set);
        assert.ok(equalBytes(ours[set][0]!, theirs[set][0]!), set);
      }
      assert.equal(hvcCCodecString(ours), hevcCodecString(parseHevcSps(au.sps[0]!)));
      const described = NAL_CODECS.h265.describe(au);
      assert.equal(described.width, options.width);
      assert.equal(described.codecString, hvcCCodecString(ours));
      assert.deepEqual(NAL_CODECS.h265.parameterSets(described.description), [...au.vps, ...au.sps, ...au.pps]);
    }
  });

  it('throws CodecError, and only that, for cut or damaged SPS and hvcC', () => {
    const au = firstKeyframe({ width: 320, height: 240, frames: 2 });
    const sps = au.sps[0]!;
    const hvcC = buildHvcC(au);
    const tolerate = (what: string, run: () => unknown): void => {
      try {
        run();
      } catch (error) {
        assert.ok(error instanceof CodecError, `${what}: ${String(error)}`);
      }
    };
    for (let n = 0; n < sps.length; n++) tolerate(`SPS cut at ${n}`, () => parseHevcSps(sps.subarray(0, n)));
    for (let n = 0; n < hvcC.length; n++) tolerate(`hvcC cut at ${n}`, () => parseHvcC(hvcC.subarray(0, n)));
    assert.throws(() => parseHevcSps(sps.subarray(0, 10)), CodecError);
    assert.throws(() => parseHvcC(hvcC.subarray(0, 30)), CodecError);
    const random = seededRandom(33);
    for (let round = 0; round < 2000; round++) {
      const damaged = sps.slice();
      for (let i = 0; i < 3; i++) damaged[2 + Math.floor(random() * (damaged.length - 2))] = Math.floor(random() * 256);
      tolerate('damaged SPS', () => {
        const parsed = parseHevcSps(damaged);
        assert.ok(parsed.width >= 1 && parsed.width <= 8192 && parsed.height >= 1 && parsed.height <= 8192);
      });
      const record = hvcC.slice();
      record[Math.floor(random() * record.length)] = Math.floor(random() * 256);
      tolerate('damaged hvcC', () => parseHvcC(record));
    }
    // Not an SPS at all.
    assert.throws(() => parseHevcSps(au.pps[0]!), CodecError);
    assert.throws(() => buildHvcC({ vps: [], sps: au.sps, pps: au.pps }), CodecError);
  });

  it('skips the sub-layers of profile_tier_level', () => {
    // Two sub-layers, the first with profile and level present: 88 + 8 bits after the general part.
    const bytes = new Uint8Array(12 + 2 + 12);
    bytes[0] = 0x01; // Main
    bytes[11] = 90;
    bytes[12] = 0xc0; // sub_layer_profile_present_flag[0], sub_layer_level_present_flag[0]; reserved bits
    const r = new BitReader(removeEmulationPrevention(bytes));
    const ptl = readProfileTierLevel(r, 1);
    assert.equal(ptl.profileIdc, 1);
    assert.equal(ptl.levelIdc, 90);
    assert.equal(r.bitsLeft, bytes.length * 8 - 96 - 16 - 96);
  });
});
