import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CodecError } from '../../../src/codec/errors.js';
import { AccessUnitSplitter, type AccessUnit } from '../../../src/codec/h264/access-units.js';
import { buildAvcC } from '../../../src/codec/h264/avcc.js';
import { toAvc } from '../../../src/codec/h264/nal.js';
import { parseSps } from '../../../src/codec/h264/sps.js';
import { box, findBox, findPath, readBoxes, type BoxInfo } from '../../../src/codec/mp4/boxes.js';
import { initSegment, mediaSegment, mimeType, TRACK_ID, type Sample } from '../../../src/codec/mp4/fmp4.js';
import { bytesAccess, readFragments } from '../../../src/codec/mp4/fragments.js';
import { HevcAccessUnitSplitter } from '../../../src/codec/h265/access-units.js';
import { buildHvcC } from '../../../src/codec/h265/hvcc.js';
import {
  avcCOfMp4,
  concat,
  equalBytes,
  ffmpegDecode,
  ffmpegH264,
  ffmpegH265,
  hasEncoder,
  type EncodeOptions,
} from '../fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'camrelay-fmp4-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const TIMESCALE = 90000;
const FRAME = 3000; // 30 fps

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

interface Written {
  file: Uint8Array;
  init: Uint8Array;
  avcC: Uint8Array;
  width: number;
  height: number;
  segments: Uint8Array[];
  samples: Sample[][];
}

/** An fMP4 file from a stream: init segment, then one media segment per `perSegment` access units. */
function writeFmp4(stream: Uint8Array, perSegment: 'au' | 'gop'): Written {
  const aus = accessUnits(stream);
  const first = aus[0]!;
  const sps = parseSps(first.sps[0]!);
  const avcC = buildAvcC({ sps: first.sps, pps: first.pps });
  const init = initSegment({ width: sps.width, height: sps.height, avcC, timescale: TIMESCALE });
  const groups: AccessUnit[][] = [];
  for (const au of aus) {
    if (perSegment === 'au' || au.keyframe || groups.length === 0) groups.push([au]);
    else groups[groups.length - 1]!.push(au);
  }
  const samples = groups.map((group) =>
    group.map((au) => ({ data: toAvc(au.nalus), duration: FRAME, keyframe: au.keyframe })),
  );
  let decodeTime = 0;
  const segments = samples.map((group, i) => {
    const segment = mediaSegment({ sequenceNumber: i + 1, baseDecodeTime: decodeTime, samples: group });
    decodeTime += group.length * FRAME;
    return segment;
  });
  return { file: concat([init, ...segments]), init, avcC, width: sps.width, height: sps.height, segments, samples };
}

function u32(data: Uint8Array, at: number): number {
  return new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(at);
}

/** Checks a written file box by box: sizes, sequence numbers, times, and where trun points. */
function checkStructure(w: Written): void {
  const top = readBoxes(w.file);
  assert.equal(
    top.reduce((n, b) => n + b.size, 0),
    w.file.length,
    'top-level boxes add up to the file',
  );
  assert.deepEqual(
    top.map((b) => b.type),
    ['ftyp', 'moov', ...w.segments.flatMap(() => ['moof', 'mdat'])],
  );
  // moov: every box the init segment promises, the avcC we built, the picture size.
  for (const path of [
    ['moov', 'mvhd'],
    ['moov', 'trak', 'tkhd'],
    ['moov', 'trak', 'mdia', 'mdhd'],
    ['moov', 'trak', 'mdia', 'hdlr'],
    ['moov', 'trak', 'mdia', 'minf', 'vmhd'],
    ['moov', 'trak', 'mdia', 'minf', 'dinf', 'dref'],
    ['moov', 'trak', 'mdia', 'minf', 'stbl', 'stsd'],
    ['moov', 'trak', 'mdia', 'minf', 'stbl', 'stts'],
    ['moov', 'trak', 'mdia', 'minf', 'stbl', 'stsc'],
    ['moov', 'trak', 'mdia', 'minf', 'stbl', 'stsz'],
    ['moov', 'trak', 'mdia', 'minf', 'stbl', 'stco'],
    ['moov', 'mvex', 'trex'],
  ]) {
    assert.ok(findPath(w.file, path), `${path.join('/')} is there`);
  }
  assert.ok(equalBytes(avcCOfMp4(w.file), w.avcC));
  const tkhd = findPath(w.file, ['moov', 'trak', 'tkhd'])!;
  assert.equal(u32(w.file, tkhd.end - 8), w.width * 65536);
  assert.equal(u32(w.file, tkhd.end - 4), w.height * 65536);
  const mdhd = findPath(w.file, ['moov', 'trak', 'mdia', 'mdhd'])!;
  assert.equal(u32(w.file, mdhd.start + 20), TIMESCALE);

  let decodeTime = 0n;
  for (let s = 0; s < w.segments.length; s++) {
    const moof = top[2 + 2 * s]!;
    const mdat = top[3 + 2 * s]!;
    const samples = w.samples[s]!;
    const inner = (parent: BoxInfo, type: string): BoxInfo => {
      const found = findBox(w.file, type, parent.start + parent.headerSize, parent.end);
      assert.ok(found, `${parent.type}/${type}`);
      return found;
    };
    const mfhd = inner(moof, 'mfhd');
    assert.equal(u32(w.file, mfhd.start + 12), s + 1, 'sequence number');
    const traf = inner(moof, 'traf');
    const tfhd = inner(traf, 'tfhd');
    assert.equal(u32(w.file, tfhd.start + 8) & 0xffffff, 0x020000, 'default-base-is-moof');
    assert.equal(u32(w.file, tfhd.start + 12), TRACK_ID);
    const tfdt = inner(traf, 'tfdt');
    assert.equal(w.file[tfdt.start + 8], 1, 'tfdt version 1');
    const view = new DataView(w.file.buffer, w.file.byteOffset);
    assert.equal(view.getBigUint64(tfdt.start + 12), decodeTime);
    const trun = inner(traf, 'trun');
    const flags = u32(w.file, trun.start + 8) & 0xffffff;
    assert.equal(flags, 0x000701, 'data offset, durations, sizes, flags');
    assert.equal(u32(w.file, trun.start + 12), samples.length);
    const dataOffset = u32(w.file, trun.start + 16);
    assert.equal(moof.start + dataOffset, mdat.start + mdat.headerSize, 'data_offset points at the first sample');
    let at = moof.start + dataOffset;
    for (let i = 0; i < samples.length; i++) {
      const entry = trun.start + 20 + 12 * i;
      const sample = samples[i]!;
      assert.equal(u32(w.file, entry), FRAME);
      assert.equal(u32(w.file, entry + 4), sample.data.length);
      assert.equal(u32(w.file, entry + 8), sample.keyframe ? 0x02000000 : 0x01010000);
      assert.ok(equalBytes(w.file.subarray(at, at + sample.data.length), sample.data));
      at += sample.data.length;
    }
    assert.equal(at, mdat.end, 'the samples fill mdat exactly');
    decodeTime += BigInt(samples.length * FRAME);
  }
}

describe('fMP4 writer, decoded by real ffmpeg', () => {
  const cases: { options: EncodeOptions; per: 'au' | 'gop' }[] = [
    { options: { width: 642, height: 362, profile: 'high', aud: true }, per: 'au' },
    { options: { width: 642, height: 362, profile: 'high', aud: true }, per: 'gop' },
    { options: { width: 320, height: 240, profile: 'baseline' }, per: 'au' },
    { options: { width: 1280, height: 720, profile: 'main' }, per: 'gop' },
    { options: { width: 642, height: 362, x264Params: 'slices=4' }, per: 'gop' },
  ];
  for (const { options, per } of cases) {
    const name = `${options.profile ?? 'high'} ${options.width}x${options.height}${options.x264Params ? ` ${options.x264Params}` : ''}${options.aud ? ' with AUDs' : ''}, a segment per ${per}`;
    it(`${name}: every frame decodes, identical to the raw stream`, () => {
      const stream = ffmpegH264(options);
      const written = writeFmp4(stream, per);
      checkStructure(written);
      const file = join(dir, `${name.replace(/\W+/g, '-')}.mp4`);
      writeFileSync(file, written.file);
      const decoded = ffmpegDecode(file);
      assert.equal(decoded.stderr, '', 'ffmpeg reports no error');
      assert.equal(decoded.status, 0);
      assert.equal(decoded.frames.length, 60);
      const raw = join(dir, `${name.replace(/\W+/g, '-')}.h264`);
      writeFileSync(raw, stream);
      const reference = ffmpegDecode(raw, 'h264');
      assert.equal(reference.frames.length, 60);
      assert.deepEqual(decoded.frames, reference.frames, 'the same pictures as decoding the Annex B stream');
    });
  }

  it('names the MSE type', () => {
    const written = writeFmp4(
      ffmpegH264({ width: 320, height: 240, profile: 'baseline', level: '3.0', frames: 2 }),
      'au',
    );
    assert.equal(mimeType(written.avcC), 'video/mp4; codecs="avc1.42C01E"');
  });
});

describe('fMP4 writer details and input checks', () => {
  const stream = ffmpegH264({ width: 320, height: 240, profile: 'high', frames: 15 });
  const aus = accessUnits(stream);
  const first = aus[0]!;
  const avcC = buildAvcC({ sps: first.sps, pps: first.pps });
  const sample = (au: AccessUnit): Sample => ({ data: toAvc(au.nalus), duration: FRAME, keyframe: au.keyframe });

  it('writes composition offsets (version 1 when negative) and 64-bit decode times', () => {
    const segment = mediaSegment({
      sequenceNumber: 7,
      baseDecodeTime: 2n ** 40n,
      samples: [
        { ...sample(aus[0]!), compositionOffset: 6000 },
        { ...sample(aus[1]!), compositionOffset: -3000 },
      ],
    });
    const moof = readBoxes(segment)[0]!;
    const traf = findBox(segment, 'traf', 8, moof.end)!;
    const tfdt = findBox(segment, 'tfdt', traf.start + 8, traf.end)!;
    const view = new DataView(segment.buffer);
    assert.equal(view.getBigUint64(tfdt.start + 12), 2n ** 40n);
    const trun = findBox(segment, 'trun', traf.start + 8, traf.end)!;
    assert.equal(segment[trun.start + 8], 1, 'version 1: signed offsets');
    assert.equal(view.getUint32(trun.start + 8) & 0xffffff, 0x000f01);
    assert.equal(view.getInt32(trun.start + 20 + 12), 6000);
    assert.equal(view.getInt32(trun.start + 20 + 16 + 12), -3000);
    const positive = mediaSegment({
      sequenceNumber: 1,
      baseDecodeTime: 0,
      samples: [{ ...sample(aus[0]!), compositionOffset: 3000 }],
    });
    const trun0 = findBox(positive, 'trun', 8 + 16 + 8, readBoxes(positive)[0]!.end);
    assert.ok(trun0);
    assert.equal(positive[trun0.start + 8], 0, 'version 0 when no offset is negative');
    assert.equal(new DataView(positive.buffer).getUint32(trun0.start + 8) & 0xffffff, 0x000f01);
  });

  it('refuses samples whose NAL lengths lie, and nonsense arguments, with a CodecError', () => {
    const good = sample(aus[1]!);
    const lying = good.data.slice();
    new DataView(lying.buffer).setUint32(0, lying.length);
    assert.throws(
      () => mediaSegment({ sequenceNumber: 1, baseDecodeTime: 0, samples: [{ ...good, data: lying }] }),
      isCodecError('invalid'),
    );
    // Annex B where AVC is expected: 00 00 00 01 is a length of 1, then more lengths that lie.
    assert.throws(
      () => mediaSegment({ sequenceNumber: 1, baseDecodeTime: 0, samples: [{ ...good, data: aus[1]!.data }] }),
      isCodecError(),
    );
    assert.throws(() => mediaSegment({ sequenceNumber: 1, baseDecodeTime: 0, samples: [] }), isCodecError('invalid'));
    assert.throws(
      () => mediaSegment({ sequenceNumber: -1, baseDecodeTime: 0, samples: [good] }),
      isCodecError('invalid'),
    );
    assert.throws(
      () => mediaSegment({ sequenceNumber: 1, baseDecodeTime: -5, samples: [good] }),
      isCodecError('invalid'),
    );
    assert.throws(
      () => mediaSegment({ sequenceNumber: 1, baseDecodeTime: 0, samples: [{ ...good, duration: 1.5 }] }),
      isCodecError('invalid'),
    );
    assert.throws(
      () => mediaSegment({ sequenceNumber: 1, baseDecodeTime: 0, samples: [{ ...good, compositionOffset: 2 ** 31 }] }),
      isCodecError('invalid'),
    );
    assert.throws(
      () => mediaSegment({ sequenceNumber: 1, baseDecodeTime: 0, samples: [{ ...good, data: new Uint8Array(0) }] }),
      isCodecError('invalid'),
    );
    assert.throws(() => initSegment({ width: 0, height: 240, avcC, timescale: TIMESCALE }), isCodecError('invalid'));
    assert.throws(
      () => initSegment({ width: 320, height: 70000, avcC, timescale: TIMESCALE }),
      isCodecError('invalid'),
    );
    assert.throws(() => initSegment({ width: 320, height: 240, avcC, timescale: 0 }), isCodecError('invalid'));
    assert.throws(
      () => initSegment({ width: 320, height: 240, avcC: avcC.subarray(0, 10), timescale: TIMESCALE }),
      isCodecError('truncated'),
    );
    const twoByteLengths = avcC.slice();
    twoByteLengths[4] = 0xfd;
    assert.throws(
      () => initSegment({ width: 320, height: 240, avcC: twoByteLengths, timescale: TIMESCALE }),
      isCodecError('unsupported'),
    );
  });
});

describe('boxes', () => {
  it('writes a box and reads it back, 64-bit sizes included', () => {
    const b = box('free', new Uint8Array([1, 2, 3]));
    assert.deepEqual([...b], [0, 0, 0, 11, 0x66, 0x72, 0x65, 0x65, 1, 2, 3]);
    const large = new Uint8Array([0, 0, 0, 1, 0x6d, 0x64, 0x61, 0x74, 0, 0, 0, 0, 0, 0, 0, 18, 9, 9]);
    assert.deepEqual(readBoxes(concat([b, large])), [
      { type: 'free', start: 0, size: 11, headerSize: 8, end: 11 },
      { type: 'mdat', start: 11, size: 18, headerSize: 16, end: 29 },
    ]);
    // Size 0: to the end.
    assert.equal(readBoxes(new Uint8Array([0, 0, 0, 0, 0x6d, 0x64, 0x61, 0x74, 5, 5]))[0]!.size, 10);
    assert.throws(() => box('toolong', new Uint8Array(0)), isCodecError('invalid'));
  });

  it('rejects boxes that are cut or lie about their size', () => {
    const b = box('free', new Uint8Array(20));
    for (let length = 1; length < b.length; length++) {
      assert.throws(() => readBoxes(b.subarray(0, length)), isCodecError('truncated'), `cut at ${length}`);
    }
    assert.throws(() => readBoxes(new Uint8Array([0, 0, 0, 4, 0x66, 0x72, 0x65, 0x65])), isCodecError('invalid'));
    const huge = new Uint8Array([0, 0, 0, 1, 0x6d, 0x64, 0x61, 0x74, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    assert.throws(() => readBoxes(huge), isCodecError('too-large'));
    assert.throws(() => readBoxes(new Uint8Array(80), 0, 100), isCodecError('invalid'));
    const many = concat(Array.from({ length: 20 }, () => box('free')));
    assert.throws(() => readBoxes(many, 0, many.length, 10), isCodecError('too-large'));
  });
});

describe('fragmented MP4 of H.265', { skip: hasEncoder('libx265') ? false : 'this ffmpeg has no libx265' }, () => {
  it('an hvc1 track with the hvcC: ffmpeg decodes every sample, and reads it back', async () => {
    const aus: AccessUnit[] = [];
    const splitter = new HevcAccessUnitSplitter((au) => aus.push(au));
    splitter.push(ffmpegH265({ width: 320, height: 240, frames: 30, gop: 10 }));
    splitter.flush();
    const hvcC = buildHvcC(aus[0]!);
    const init = initSegment({ width: 320, height: 240, hvcC, timescale: TIMESCALE });
    const samples = aus.map((au) => ({ data: toAvc(au.nalus), duration: FRAME, keyframe: au.keyframe }));
    const file = concat([init, mediaSegment({ sequenceNumber: 1, baseDecodeTime: 0, samples })]);
    const stsd = findPath(file, ['moov', 'trak', 'mdia', 'minf', 'stbl', 'stsd'])!;
    assert.ok(findBox(file, 'hvc1', stsd.start + 16, stsd.end), 'an hvc1 sample entry');
    assert.match(mimeType({ hvcC }), /^video\/mp4; codecs="hvc1\.1\.6\.L\d+\.[0-9A-F]{2}"$/);
    const path = join(dir, 'h265.mp4');
    writeFileSync(path, file);
    const decoded = ffmpegDecode(path);
    assert.equal(decoded.stderr, '');
    assert.equal(decoded.frames.length, 30);
    const read = await readFragments(bytesAccess(file));
    assert.equal(read.codec, 'h265');
    assert.ok(equalBytes(read.description, hvcC));
    assert.throws(() => initSegment({ width: 320, height: 240, timescale: TIMESCALE }), isCodecError('invalid'));
    assert.throws(
      () => initSegment({ width: 320, height: 240, hvcC, avcC: hvcC, timescale: TIMESCALE }),
      isCodecError('invalid'),
    );
  });
});
