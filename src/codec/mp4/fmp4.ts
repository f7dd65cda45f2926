/**
 * Fragmented MP4 for one H.264 or H.265 video track (ISO/IEC 14496-12 and -15): an init
 * segment (ftyp + moov, no samples) and media segments (moof + mdat), as MSE's
 * `video/mp4; codecs="avc1.…"` and a recorder consume them. Samples are access
 * units with 4-byte NAL lengths (see annexb.ts toAvc); a media segment
 * is built in one allocation, each sample copied once.
 */
import { CodecError } from '../errors.js';
import { splitAvc } from '../annexb.js';
import { box, FieldWriter, fullBox } from './boxes.js';
import { checkedRecord, recordCodecString, videoSampleEntry, type RecordOption } from './sample-entry.js';

/** The track's id in every box that names it. */
export const TRACK_ID = 1;
/** More samples than this in one media segment: CodecError (a GOP of 10 minutes at 120 fps is 72000). */
export const MAX_SAMPLES = 100000;

export interface InitSegmentOptions extends RecordOption {
  /** Displayed size in pixels (the SPS's, after cropping). */
  width: number;
  height: number;
  /** Ticks per second of the decode times and durations (90000 is usual for video). */
  timescale: number;
}

export interface Sample {
  /** One access unit: each NAL unit after its 4-byte length. */
  data: Uint8Array;
  /** In timescale ticks. */
  duration: number;
  /** A sync sample (H.264 IDR, H.265 IRAP): decoding can start here. */
  keyframe: boolean;
  /** Presentation time minus decode time, in ticks (B-frames); 0 when absent. */
  compositionOffset?: number;
}

export interface MediaSegmentOptions {
  /** 1, 2, 3…: one more per segment. */
  sequenceNumber: number;
  /** Decode time of the first sample, in timescale ticks. */
  baseDecodeTime: number | bigint;
  samples: readonly Sample[];
}

function checkUint(name: string, value: number, max: number, min = 0): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new CodecError('invalid', `${name} ${String(value)} is not an integer in ${min}..${max}`);
  }
}

/** The identity matrix of mvhd and tkhd (16.16 and 2.30 fixed point). */
function matrix(w: FieldWriter): FieldWriter {
  return w.u32(0x00010000).u32(0).u32(0).u32(0).u32(0x00010000).u32(0).u32(0).u32(0).u32(0x40000000);
}

/** The MIME type for MediaSource.isTypeSupported and addSourceBuffer, of an avcC (or, named, an hvcC). */
export function mimeType(record: Uint8Array | RecordOption): string {
  const option = record instanceof Uint8Array ? { avcC: record } : record;
  return `video/mp4; codecs="${recordCodecString(checkedRecord(option))}"`;
}

/** ftyp + moov: the track's description, without samples (they come in media segments). */
export function initSegment(options: InitSegmentOptions): Uint8Array {
  const { width, height, timescale } = options;
  checkUint('width', width, 0xffff, 1);
  checkUint('height', height, 0xffff, 1);
  checkUint('timescale', timescale, 0xffffffff, 1);
  const record = checkedRecord(options);

  const ftyp = box(
    'ftyp',
    new FieldWriter()
      .ascii('isom')
      .u32(0x200)
      .ascii('isom')
      .ascii('iso5')
      .ascii('iso6')
      .ascii('avc1')
      .ascii('mp41')
      .finish(),
  );

  const mvhd = fullBox(
    'mvhd',
    0,
    0,
    matrix(
      new FieldWriter()
        .u32(0) // creation_time
        .u32(0) // modification_time
        .u32(timescale)
        .u32(0) // duration: unknown, fragments carry it
        .u32(0x00010000) // rate 1.0
        .u16(0x0100) // volume 1.0
        .zeros(10),
    )
      .zeros(24) // pre_defined
      .u32(TRACK_ID + 1) // next_track_ID
      .finish(),
  );

  const tkhd = fullBox(
    'tkhd',
    0,
    0x000003, // track_enabled | track_in_movie
    matrix(
      new FieldWriter()
        .u32(0)
        .u32(0)
        .u32(TRACK_ID)
        .u32(0) // reserved
        .u32(0) // duration
        .zeros(8)
        .u16(0) // layer
        .u16(0) // alternate_group
        .u16(0) // volume: 0 for video
        .u16(0),
    )
      .u32(width * 0x10000)
      .u32(height * 0x10000)
      .finish(),
  );

  const mdhd = fullBox(
    'mdhd',
    0,
    0,
    new FieldWriter()
      .u32(0)
      .u32(0)
      .u32(timescale)
      .u32(0)
      .u16(0x55c4) // language 'und'
      .u16(0)
      .finish(),
  );
  const hdlr = fullBox('hdlr', 0, 0, new FieldWriter().u32(0).ascii('vide').zeros(12).ascii('VideoHandler\0').finish());

  const entry = videoSampleEntry(width, height, record);
  const empty = new FieldWriter().u32(0).finish();
  const stbl = box(
    'stbl',
    fullBox('stsd', 0, 0, new FieldWriter().u32(1).finish(), entry),
    fullBox('stts', 0, 0, empty),
    fullBox('stsc', 0, 0, empty),
    fullBox('stsz', 0, 0, new FieldWriter().u32(0).u32(0).finish()),
    fullBox('stco', 0, 0, empty),
  );
  const dinf = box('dinf', fullBox('dref', 0, 0, new FieldWriter().u32(1).finish(), fullBox('url ', 0, 1)));
  const vmhd = fullBox('vmhd', 0, 1, new FieldWriter().u16(0).zeros(6).finish());
  const minf = box('minf', vmhd, dinf, stbl);
  const mdia = box('mdia', mdhd, hdlr, minf);
  const trak = box('trak', tkhd, mdia);
  const trex = fullBox(
    'trex',
    0,
    0,
    new FieldWriter()
      .u32(TRACK_ID)
      .u32(1) // default_sample_description_index
      .u32(0)
      .u32(0)
      .u32(0)
      .finish(),
  );
  const moov = box('moov', mvhd, trak, box('mvex', trex));

  const out = new Uint8Array(ftyp.length + moov.length);
  out.set(ftyp, 0);
  out.set(moov, ftyp.length);
  return out;
}

/** sample_depends_on = 2 (an I picture). */
const SYNC_SAMPLE_FLAGS = 0x02000000;
/** sample_depends_on = 1, sample_is_non_sync_sample. */
const NON_SYNC_SAMPLE_FLAGS = 0x01010000;

const TFHD_DEFAULT_BASE_IS_MOOF = 0x020000;
const TRUN_DATA_OFFSET = 0x000001;
const TRUN_DURATION = 0x000100;
const TRUN_SIZE = 0x000200;
const TRUN_FLAGS = 0x000400;
const TRUN_COMPOSITION_OFFSET = 0x000800;

/**
 * moof + mdat for the samples, in decode order. Each sample's NAL lengths are
 * checked (a length that lies is CodecError), so an access unit from an
 * untrusted edge cannot make a segment a decoder misreads.
 */
export function mediaSegment(options: MediaSegmentOptions): Uint8Array {
  const { sequenceNumber, samples } = options;
  checkUint('sequenceNumber', sequenceNumber, 0xffffffff);
  let base: bigint;
  if (typeof options.baseDecodeTime === 'bigint') {
    base = options.baseDecodeTime;
    if (base < 0n || base > 0xffffffffffffffffn) throw new CodecError('invalid', `baseDecodeTime ${base} out of range`);
  } else {
    checkUint('baseDecodeTime', options.baseDecodeTime, Number.MAX_SAFE_INTEGER);
    base = BigInt(options.baseDecodeTime);
  }
  if (samples.length === 0) throw new CodecError('invalid', 'a media segment needs at least one sample');
  if (samples.length > MAX_SAMPLES) throw new CodecError('too-large', `${samples.length} samples in one segment`);

  let withOffsets = false;
  let negativeOffsets = false;
  let mdatBytes = 0;
  for (const [i, sample] of samples.entries()) {
    if (!(sample.data instanceof Uint8Array)) throw new CodecError('invalid', `sample ${i} has no data`);
    if (sample.data.length === 0) throw new CodecError('invalid', `sample ${i} is empty`);
    checkUint(`sample ${i} duration`, sample.duration, 0xffffffff);
    const offset = sample.compositionOffset ?? 0;
    if (!Number.isInteger(offset) || offset < -(2 ** 31) || offset > 2 ** 31 - 1) {
      throw new CodecError('invalid', `sample ${i} compositionOffset ${String(offset)} is not a 32-bit integer`);
    }
    if (offset !== 0) withOffsets = true;
    if (offset < 0) negativeOffsets = true;
    splitAvc(sample.data); // throws if a NAL length lies
    mdatBytes += sample.data.length;
  }

  const perSample = withOffsets ? 16 : 12;
  const trunSize = 8 + 4 + 4 + 4 + perSample * samples.length;
  const tfhdSize = 16;
  const tfdtSize = 20;
  const trafSize = 8 + tfhdSize + tfdtSize + trunSize;
  const mfhdSize = 16;
  const moofSize = 8 + mfhdSize + trafSize;
  const mdatSize = 8 + mdatBytes;
  if (moofSize + mdatSize > 0xffffffff)
    throw new CodecError('too-large', `media segment of ${moofSize + mdatSize} bytes`);

  const out = new Uint8Array(moofSize + mdatSize);
  const view = new DataView(out.buffer);
  let at = 0;
  const header = (size: number, type: string): void => {
    view.setUint32(at, size);
    for (let i = 0; i < 4; i++) out[at + 4 + i] = type.charCodeAt(i);
    at += 8;
  };
  const u32 = (value: number): void => {
    view.setUint32(at, value);
    at += 4;
  };

  header(moofSize, 'moof');
  header(mfhdSize, 'mfhd');
  u32(0);
  u32(sequenceNumber);
  header(trafSize, 'traf');
  header(tfhdSize, 'tfhd');
  u32(TFHD_DEFAULT_BASE_IS_MOOF);
  u32(TRACK_ID);
  header(tfdtSize, 'tfdt');
  u32(1 << 24); // version 1: 64-bit time
  view.setBigUint64(at, base);
  at += 8;
  header(trunSize, 'trun');
  const trunFlags =
    TRUN_DATA_OFFSET | TRUN_DURATION | TRUN_SIZE | TRUN_FLAGS | (withOffsets ? TRUN_COMPOSITION_OFFSET : 0);
  u32(((negativeOffsets ? 1 : 0) << 24) | trunFlags);
  u32(samples.length);
  u32(moofSize + 8); // data_offset: from the moof's first byte to the first sample
  for (const sample of samples) {
    u32(sample.duration);
    u32(sample.data.length);
    u32(sample.keyframe ? SYNC_SAMPLE_FLAGS : NON_SYNC_SAMPLE_FLAGS);
    if (withOffsets) {
      view.setInt32(at, sample.compositionOffset ?? 0);
      at += 4;
    }
  }
  header(mdatSize, 'mdat');
  for (const sample of samples) {
    out.set(sample.data, at);
    at += sample.data.length;
  }
  return out;
}
