/**
 * A plain (progressive, non-fragmented) MP4 header for one H.264 or H.265 track (and an optional audio
 * track, whose samples follow the video's): ftyp, then the moov with
 * every sample table, then the mdat's header. The moov comes first, so a `<video>` can start and
 * seek as soon as it has the header; the samples' bytes follow it in decode order (the caller
 * writes them, from wherever they are: an export streams them out of recorded segment files).
 *
 * The samples make chunks (a new one at every keyframe, or where `chunkStarts` says), stored
 * back to back after the mdat header: chunk offsets are 32-bit (stco) unless the file passes
 * 4 GiB (co64), and the mdat's size is 64-bit then.
 */
import { CodecError } from '../errors.js';
import { checkedRecord, videoSampleEntry, type RecordOption } from './sample-entry.js';
import { box, FieldWriter, fullBox } from './boxes.js';
import { AUDIO_TRACK_ID, TRACK_ID } from './fmp4.js';
import { audioTrak, type ProgressiveAudio } from './progressive-audio.js';
import {
  checkUint,
  chunkOffsetBox,
  chunkTable,
  compositionTable,
  EPOCH_1904,
  fits32,
  matrix,
  MAX_PROGRESSIVE_SAMPLES,
  MOVIE_TIMESCALE,
  sizesAndTimes,
} from './sample-tables.js';

export interface ProgressiveOptions extends RecordOption {
  /** Displayed size in pixels. */
  width: number;
  height: number;
  /** Ticks per second of `durations` and `compositionOffsets`. */
  timescale: number;
  /** Per sample, in decode order: bytes. */
  sizes: ArrayLike<number>;
  /** Per sample: ticks until the next sample (u32). */
  durations: ArrayLike<number>;
  /** Per sample: non-zero for a sync sample (IDR, IRAP). The first sample must be one. */
  keyframes: ArrayLike<number>;
  /** Per sample: presentation minus decode time, ticks (B-frames); absent when all are 0. */
  compositionOffsets?: ArrayLike<number>;
  /** Per sample: non-zero where a chunk starts (default: at keyframes). */
  chunkStarts?: ArrayLike<number>;
  /** When the recording was made (ms since the epoch), for mvhd/tkhd/mdhd. */
  creationTimeMs?: number;
  /** An audio track (track 2), its samples after all the video's in the mdat. */
  audio?: ProgressiveAudio;
}

export interface ProgressiveHeader {
  /** ftyp + moov + the mdat's header: the file's first bytes. */
  header: Uint8Array;
  /** Bytes of the mdat's payload (the samples, back to back) after the header. */
  payloadLength: number;
  /** Sum of the durations, in the track's timescale. */
  duration: number;
}

/**
 * Builds the header. CodecError when an input is out of range (a duration past u32, a first sample
 * that is not a keyframe, more than MAX_PROGRESSIVE_SAMPLES samples, an avcC or hvcC that is not one).
 */
export function progressiveHeader(options: ProgressiveOptions): ProgressiveHeader {
  const { width, height, timescale, sizes, durations, keyframes } = options;
  checkUint('width', width, 0xffff, 1);
  checkUint('height', height, 0xffff, 1);
  checkUint('timescale', timescale, 0xffffffff, 1);
  const count = sizes.length;
  if (count === 0) throw new CodecError('invalid', 'no samples');
  if (count > MAX_PROGRESSIVE_SAMPLES) throw new CodecError('too-large', `${count} samples`);
  if (durations.length !== count || keyframes.length !== count) {
    throw new CodecError('invalid', 'sizes, durations and keyframes differ in length');
  }
  const offsets = options.compositionOffsets;
  if (offsets && offsets.length !== count) throw new CodecError('invalid', 'compositionOffsets length differs');
  const chunkStarts = options.chunkStarts ?? keyframes;
  if (chunkStarts.length !== count) throw new CodecError('invalid', 'chunkStarts length differs');
  if (!keyframes[0]) throw new CodecError('invalid', 'the first sample is not a keyframe');
  const record = checkedRecord(options);

  const { stts, stsz, payloadLength, duration } = sizesAndTimes(sizes, durations, 'sample');
  if (payloadLength > Number.MAX_SAFE_INTEGER / 2) throw new CodecError('too-large', 'payload');
  const stss = new FieldWriter();
  let stssEntries = 0;
  for (let i = 0; i < count; i++) {
    if (!keyframes[i]) continue;
    stss.u32(i + 1);
    stssEntries++;
  }
  const allKeyframes = stssEntries === count;
  const ctts = offsets ? compositionTable(offsets) : undefined;
  // Chunks: samples per chunk (stsc, run-length) and each chunk's offset from the payload start.
  const { chunks, chunkOffsets, stsc } = chunkTable(sizes, chunkStarts);

  const created = Math.max(0, Math.floor((options.creationTimeMs ?? 0) / 1000) + EPOCH_1904);
  const movieDuration = Math.round((duration * MOVIE_TIMESCALE) / timescale);
  const long = !fits32(created) || !fits32(duration) || !fits32(movieDuration);
  const version = long ? 1 : 0;
  const times = (w: FieldWriter): FieldWriter => (long ? w.u64(created).u64(created) : w.u32(created).u32(created));
  const time = (w: FieldWriter, value: number): FieldWriter => (long ? w.u64(value) : w.u32(value));

  const ftyp = box(
    'ftyp',
    new FieldWriter().ascii('isom').u32(0x200).ascii('isom').ascii('iso2').ascii('avc1').ascii('mp41').finish(),
  );
  const mvhd = fullBox(
    'mvhd',
    version,
    0,
    matrix(time(times(new FieldWriter()).u32(MOVIE_TIMESCALE), movieDuration).u32(0x00010000).u16(0x0100).zeros(10))
      .zeros(24)
      .u32(options.audio ? AUDIO_TRACK_ID + 1 : TRACK_ID + 1)
      .finish(),
  );
  const tkhd = fullBox(
    'tkhd',
    version,
    0x000003,
    matrix(time(times(new FieldWriter()).u32(TRACK_ID).u32(0), movieDuration).zeros(8).u16(0).u16(0).u16(0).u16(0))
      .u32(width * 0x10000)
      .u32(height * 0x10000)
      .finish(),
  );
  // B-frames: the first picture is shown at its composition offset, which the edit list makes time 0.
  const firstOffset = offsets && ctts ? offsets[0]! : 0;
  const edts =
    firstOffset > 0
      ? box(
          'edts',
          fullBox(
            'elst',
            version,
            0,
            time(time(new FieldWriter().u32(1), movieDuration), firstOffset)
              .u16(1)
              .u16(0)
              .finish(),
          ),
        )
      : undefined;
  const mdhd = fullBox(
    'mdhd',
    version,
    0,
    time(times(new FieldWriter()).u32(timescale), duration).u16(0x55c4).u16(0).finish(),
  );
  const hdlr = fullBox('hdlr', 0, 0, new FieldWriter().u32(0).ascii('vide').zeros(12).ascii('VideoHandler\0').finish());
  const entry = videoSampleEntry(width, height, record);
  const vmhd = fullBox('vmhd', 0, 1, new FieldWriter().u16(0).zeros(6).finish());
  const dinf = box('dinf', fullBox('dref', 0, 0, new FieldWriter().u32(1).finish(), fullBox('url ', 0, 1)));
  const stblParts = [fullBox('stsd', 0, 0, new FieldWriter().u32(1).finish(), entry), stts];
  if (!allKeyframes) stblParts.push(fullBox('stss', 0, 0, new FieldWriter().u32(stssEntries).finish(), stss.finish()));
  if (ctts) stblParts.push(ctts);
  stblParts.push(stsc, stsz);

  const audio = options.audio ? audioTrak(options.audio) : undefined;
  const totalPayload = payloadLength + (audio?.payloadLength ?? 0);

  // The chunk offsets go last in stbl, minf, mdia and trak: their place in the finished header is known
  // from the boxes' lengths, and they are written into it once its length is known.
  const build = (wide: boolean): { header: Uint8Array; offsetsAt: number; audioOffsetsAt: number; entry: number } => {
    const entry = wide ? 8 : 4;
    const stbl = box('stbl', ...stblParts, chunkOffsetBox(chunks, wide));
    const minf = box('minf', vmhd, dinf, stbl);
    const mdia = box('mdia', mdhd, hdlr, minf);
    const trak = edts ? box('trak', tkhd, edts, mdia) : box('trak', tkhd, mdia);
    const audioTrak = audio?.trak(wide, long, created, movieDuration);
    const moov = audioTrak ? box('moov', mvhd, trak, audioTrak) : box('moov', mvhd, trak);
    const bigMdat = totalPayload + 8 > 0xffffffff;
    const mdatHeader = bigMdat
      ? new FieldWriter()
          .u32(1)
          .ascii('mdat')
          .u64(totalPayload + 16)
          .finish()
      : new FieldWriter()
          .u32(totalPayload + 8)
          .ascii('mdat')
          .finish();
    const header = new Uint8Array(ftyp.length + moov.length + mdatHeader.length);
    header.set(ftyp, 0);
    header.set(moov, ftyp.length);
    header.set(mdatHeader, ftyp.length + moov.length);
    const trakEnd = ftyp.length + 8 + mvhd.length + trak.length;
    const audioEnd = trakEnd + (audioTrak?.length ?? 0);
    return {
      header,
      offsetsAt: trakEnd - entry * chunks,
      audioOffsetsAt: audioEnd - entry * (audio?.chunks ?? 0),
      entry,
    };
  };
  let built = build(false);
  if (built.header.length + totalPayload > 0xffffffff) built = build(true);
  const view = new DataView(built.header.buffer);
  const put = (at: number, offset: number): void => {
    if (built.entry === 8) view.setBigUint64(at, BigInt(offset));
    else view.setUint32(at, offset);
  };
  for (let c = 0; c < chunks; c++) put(built.offsetsAt + built.entry * c, built.header.length + chunkOffsets[c]!);
  if (audio) {
    const start = built.header.length + payloadLength;
    for (let c = 0; c < audio.chunks; c++) {
      put(built.audioOffsetsAt + built.entry * c, start + audio.chunkOffsets[c]!);
    }
  }
  return { header: built.header, payloadLength: totalPayload, duration };
}
