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
import { audioCodecString, audioSampleEntry, type AudioRecord } from './audio-sample-entry.js';

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
  /** An audio track beside the video (AUDIO_TRACK_ID, its timescale its sample rate). */
  audio?: AudioRecord;
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

/** The audio track's id when it comes beside the video (track 1). */
export const AUDIO_TRACK_ID = 2;

function ftypBox(): Uint8Array {
  return box(
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
}

function mvhdBox(timescale: number, nextTrackId: number): Uint8Array {
  return fullBox(
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
      .u32(nextTrackId) // next_track_ID
      .finish(),
  );
}

/** A track without samples: video (a sample entry, its size) or audio. */
interface TrakOptions {
  trackId: number;
  timescale: number;
  entry: Uint8Array;
  /** Video: its displayed size. Audio: undefined. */
  size?: { width: number; height: number };
}

function trakBox(options: TrakOptions): Uint8Array {
  const { trackId, timescale, entry, size } = options;
  const tkhd = fullBox(
    'tkhd',
    0,
    0x000003, // track_enabled | track_in_movie
    matrix(
      new FieldWriter()
        .u32(0)
        .u32(0)
        .u32(trackId)
        .u32(0) // reserved
        .u32(0) // duration
        .zeros(8)
        .u16(0) // layer
        .u16(size ? 0 : 1) // alternate_group
        .u16(size ? 0 : 0x0100) // volume: 0 for video, 1.0 for audio
        .u16(0),
    )
      .u32((size?.width ?? 0) * 0x10000)
      .u32((size?.height ?? 0) * 0x10000)
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
  const hdlr = size
    ? fullBox('hdlr', 0, 0, new FieldWriter().u32(0).ascii('vide').zeros(12).ascii('VideoHandler\0').finish())
    : fullBox('hdlr', 0, 0, new FieldWriter().u32(0).ascii('soun').zeros(12).ascii('SoundHandler\0').finish());
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
  const mediaHeader = size
    ? fullBox('vmhd', 0, 1, new FieldWriter().u16(0).zeros(6).finish())
    : fullBox('smhd', 0, 0, new FieldWriter().u16(0).u16(0).finish());
  const minf = box('minf', mediaHeader, dinf, stbl);
  const mdia = box('mdia', mdhd, hdlr, minf);
  return box('trak', tkhd, mdia);
}

function trexBox(trackId: number): Uint8Array {
  return fullBox(
    'trex',
    0,
    0,
    new FieldWriter()
      .u32(trackId)
      .u32(1) // default_sample_description_index
      .u32(0)
      .u32(0)
      .u32(0)
      .finish(),
  );
}

function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * ftyp + moov: the track's description, without samples (they come in media segments). With
 * `audio`, a second track (AUDIO_TRACK_ID) in its own timescale, the sample rate.
 */
export function initSegment(options: InitSegmentOptions): Uint8Array {
  const { width, height, timescale } = options;
  checkUint('width', width, 0xffff, 1);
  checkUint('height', height, 0xffff, 1);
  checkUint('timescale', timescale, 0xffffffff, 1);
  const record = checkedRecord(options);
  const traks = [
    trakBox({ trackId: TRACK_ID, timescale, entry: videoSampleEntry(width, height, record), size: { width, height } }),
  ];
  const trexes = [trexBox(TRACK_ID)];
  if (options.audio) {
    const audio = options.audio;
    traks.push(trakBox({ trackId: AUDIO_TRACK_ID, timescale: audio.sampleRate, entry: audioSampleEntry(audio) }));
    trexes.push(trexBox(AUDIO_TRACK_ID));
  }
  const moov = box('moov', mvhdBox(timescale, TRACK_ID + traks.length), ...traks, box('mvex', ...trexes));
  return concatBytes([ftypBox(), moov]);
}

/** ftyp + moov of an audio track alone (track 1, its timescale the sample rate): MSE's audio SourceBuffer. */
export function audioInitSegment(record: AudioRecord): Uint8Array {
  const trak = trakBox({ trackId: TRACK_ID, timescale: record.sampleRate, entry: audioSampleEntry(record) });
  const moov = box('moov', mvhdBox(record.sampleRate, TRACK_ID + 1), trak, box('mvex', trexBox(TRACK_ID)));
  return concatBytes([ftypBox(), moov]);
}

/** The MIME type of an audio track alone (`audio/mp4; codecs="mp4a.40.2"`, `"flac"`, `"opus"`). */
export function audioMimeType(record: AudioRecord): string {
  return `audio/mp4; codecs="${audioCodecString(record)}"`;
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

/** One track's run of samples in a media segment. */
interface TrackRun {
  trackId: number;
  base: bigint;
  samples: readonly Sample[];
  /** Video: each sample's NAL lengths are checked. Audio: every sample is a sync sample. */
  video: boolean;
}

export interface AudioRun {
  /** Decode time of the first sample, in the audio track's timescale (its sample rate). */
  baseDecodeTime: number | bigint;
  /** Audio frames (raw AAC, FLAC frames, Opus packets), keyframe ignored (all are sync samples). */
  samples: readonly Sample[];
}

function checkedBase(value: number | bigint): bigint {
  if (typeof value === 'bigint') {
    if (value < 0n || value > 0xffffffffffffffffn)
      throw new CodecError('invalid', `baseDecodeTime ${value} out of range`);
    return value;
  }
  checkUint('baseDecodeTime', value, Number.MAX_SAFE_INTEGER);
  return BigInt(value);
}

/**
 * moof + mdat for the samples, in decode order. Each sample's NAL lengths are
 * checked (a length that lies is CodecError), so an access unit from an
 * untrusted edge cannot make a segment a decoder misreads. With `audio`, a second
 * traf for the audio track (AUDIO_TRACK_ID), its samples after the video's in the mdat.
 */
export function mediaSegment(options: MediaSegmentOptions & { audio?: AudioRun }): Uint8Array {
  const runs: TrackRun[] = [
    { trackId: TRACK_ID, base: checkedBase(options.baseDecodeTime), samples: options.samples, video: true },
  ];
  if (options.audio && options.audio.samples.length > 0) {
    const { audio } = options;
    runs.push({
      trackId: AUDIO_TRACK_ID,
      base: checkedBase(audio.baseDecodeTime),
      samples: audio.samples,
      video: false,
    });
  }
  return segment(options.sequenceNumber, runs);
}

/** moof + mdat of an audio track alone (track 1 of audioInitSegment). */
export function audioMediaSegment(sequenceNumber: number, run: AudioRun): Uint8Array {
  return segment(sequenceNumber, [
    { trackId: TRACK_ID, base: checkedBase(run.baseDecodeTime), samples: run.samples, video: false },
  ]);
}

interface RunLayout {
  withOffsets: boolean;
  negativeOffsets: boolean;
  trunSize: number;
  trafSize: number;
  bytes: number;
}

function layout(run: TrackRun): RunLayout {
  const { samples } = run;
  if (samples.length === 0) throw new CodecError('invalid', 'a media segment needs at least one sample');
  if (samples.length > MAX_SAMPLES) throw new CodecError('too-large', `${samples.length} samples in one segment`);
  let withOffsets = false;
  let negativeOffsets = false;
  let bytes = 0;
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
    if (run.video) splitAvc(sample.data); // throws if a NAL length lies
    bytes += sample.data.length;
  }
  const perSample = withOffsets ? 16 : 12;
  const trunSize = 8 + 4 + 4 + 4 + perSample * samples.length;
  const trafSize = 8 + 16 + 20 + trunSize; // tfhd, tfdt
  return { withOffsets, negativeOffsets, trunSize, trafSize, bytes };
}

function segment(sequenceNumber: number, runs: readonly TrackRun[]): Uint8Array {
  checkUint('sequenceNumber', sequenceNumber, 0xffffffff);
  const layouts = runs.map(layout);
  const mfhdSize = 16;
  const moofSize = 8 + mfhdSize + layouts.reduce((n, l) => n + l.trafSize, 0);
  const mdatBytes = layouts.reduce((n, l) => n + l.bytes, 0);
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
  let dataOffset = moofSize + 8; // from the moof's first byte to this run's first sample
  for (const [r, run] of runs.entries()) {
    const l = layouts[r]!;
    header(l.trafSize, 'traf');
    header(16, 'tfhd');
    u32(TFHD_DEFAULT_BASE_IS_MOOF);
    u32(run.trackId);
    header(20, 'tfdt');
    u32(1 << 24); // version 1: 64-bit time
    view.setBigUint64(at, run.base);
    at += 8;
    header(l.trunSize, 'trun');
    const trunFlags =
      TRUN_DATA_OFFSET | TRUN_DURATION | TRUN_SIZE | TRUN_FLAGS | (l.withOffsets ? TRUN_COMPOSITION_OFFSET : 0);
    u32(((l.negativeOffsets ? 1 : 0) << 24) | trunFlags);
    u32(run.samples.length);
    u32(dataOffset);
    for (const sample of run.samples) {
      u32(sample.duration);
      u32(sample.data.length);
      u32(!run.video || sample.keyframe ? SYNC_SAMPLE_FLAGS : NON_SYNC_SAMPLE_FLAGS);
      if (l.withOffsets) {
        view.setInt32(at, sample.compositionOffset ?? 0);
        at += 4;
      }
    }
    dataOffset += l.bytes;
  }
  header(mdatSize, 'mdat');
  for (const run of runs) {
    for (const sample of run.samples) {
      out.set(sample.data, at);
      at += sample.data.length;
    }
  }
  return out;
}
