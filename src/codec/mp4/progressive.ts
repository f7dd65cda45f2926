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
import { audioSampleEntry, type AudioRecord } from './audio-sample-entry.js';

/** Samples in one file at most (24 h at 120 fps is 10.4 million). */
export const MAX_PROGRESSIVE_SAMPLES = 12_000_000;

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

/** The audio track of a progressive file. */
export interface ProgressiveAudio {
  record: AudioRecord;
  /** Per sample, in order: bytes, and ticks of the audio's timescale (its sample rate) until the next. */
  sizes: ArrayLike<number>;
  durations: ArrayLike<number>;
  /** Per sample: non-zero where a chunk starts (the first sample starts one anyway). */
  chunkStarts: ArrayLike<number>;
  /** Ticks (of the audio's timescale) after the video's time 0 when the audio begins: an empty edit. */
  delay: number;
}

export interface ProgressiveHeader {
  /** ftyp + moov + the mdat's header: the file's first bytes. */
  header: Uint8Array;
  /** Bytes of the mdat's payload (the samples, back to back) after the header. */
  payloadLength: number;
  /** Sum of the durations, in the track's timescale. */
  duration: number;
}

/** The movie's timescale (mvhd, tkhd and elst durations): milliseconds. */
const MOVIE_TIMESCALE = 1000;
/** Seconds from 1904-01-01 (MP4 times) to 1970-01-01. */
const EPOCH_1904 = 2082844800;

function checkUint(name: string, value: number, max: number, min = 0): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new CodecError('invalid', `${name} ${String(value)} is not an integer in ${min}..${max}`);
  }
}

function matrix(w: FieldWriter): FieldWriter {
  return w.u32(0x00010000).u32(0).u32(0).u32(0).u32(0x00010000).u32(0).u32(0).u32(0).u32(0x40000000);
}

/** A time that fits 32 bits writes version 0 fields, else version 1 (64-bit). */
function fits32(value: number): boolean {
  return value <= 0xffffffff;
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

  // One pass: totals, then the tables (run-length where the format allows).
  let payloadLength = 0;
  let duration = 0;
  let allKeyframes = true;
  let anyOffset = false;
  let negativeOffset = false;
  let chunks = 0;
  const stts = new FieldWriter();
  let sttsEntries = 0;
  let runDuration = -1;
  let runLength = 0;
  const stsz = new FieldWriter();
  const stss = new FieldWriter();
  let stssEntries = 0;
  for (let i = 0; i < count; i++) {
    const size = sizes[i]!;
    const d = durations[i]!;
    checkUint(`sample ${i} size`, size, 0xffffffff, 1);
    checkUint(`sample ${i} duration`, d, 0xffffffff);
    payloadLength += size;
    duration += d;
    stsz.u32(size);
    if (d === runDuration) runLength++;
    else {
      if (runLength) stts.u32(runLength).u32(runDuration);
      if (runLength) sttsEntries++;
      runDuration = d;
      runLength = 1;
    }
    if (keyframes[i]) {
      stss.u32(i + 1);
      stssEntries++;
    } else allKeyframes = false;
    if (i === 0 || chunkStarts[i]) chunks++;
    const offset = offsets ? offsets[i]! : 0;
    if (offset !== 0) {
      if (!Number.isInteger(offset) || offset < -(2 ** 31) || offset > 2 ** 31 - 1) {
        throw new CodecError('invalid', `sample ${i} compositionOffset ${String(offset)}`);
      }
      anyOffset = true;
      if (offset < 0) negativeOffset = true;
    }
  }
  stts.u32(runLength).u32(runDuration);
  sttsEntries++;
  if (payloadLength > Number.MAX_SAFE_INTEGER / 2) throw new CodecError('too-large', 'payload');

  // Chunks: samples per chunk (stsc, run-length) and each chunk's offset from the payload start.
  const { chunkOffsets, stsc, stscEntries } = chunkTable(count, sizes, chunkStarts, chunks);

  let ctts: Uint8Array | undefined;
  if (anyOffset && offsets) {
    const w = new FieldWriter();
    let entries = 0;
    let run = 0;
    let value = 0;
    for (let i = 0; i < count; i++) {
      const o = offsets[i]!;
      if (run && o === value) run++;
      else {
        if (run) {
          w.i32(run).i32(value);
          entries++;
        }
        run = 1;
        value = o;
      }
    }
    w.i32(run).i32(value);
    entries++;
    ctts = fullBox('ctts', negativeOffset ? 1 : 0, 0, new FieldWriter().u32(entries).finish(), w.finish());
  }

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
  const firstOffset = offsets && anyOffset ? offsets[0]! : 0;
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
  const stblParts = [
    fullBox('stsd', 0, 0, new FieldWriter().u32(1).finish(), entry),
    fullBox('stts', 0, 0, new FieldWriter().u32(sttsEntries).finish(), stts.finish()),
  ];
  if (!allKeyframes) stblParts.push(fullBox('stss', 0, 0, new FieldWriter().u32(stssEntries).finish(), stss.finish()));
  if (ctts) stblParts.push(ctts);
  stblParts.push(fullBox('stsc', 0, 0, new FieldWriter().u32(stscEntries).finish(), stsc.finish()));
  stblParts.push(fullBox('stsz', 0, 0, new FieldWriter().u32(0).u32(count).finish(), stsz.finish()));

  const audio = options.audio ? audioTables(options.audio) : undefined;
  const totalPayload = payloadLength + (audio?.payloadLength ?? 0);

  // The chunk offsets go last in stbl, minf, mdia and trak: their place in the finished header is known
  // from the boxes' lengths, and they are written into it once its length is known.
  const build = (wide: boolean): { header: Uint8Array; offsetsAt: number; audioOffsetsAt: number; entry: number } => {
    const entry = wide ? 8 : 4;
    const co = fullBox(
      wide ? 'co64' : 'stco',
      0,
      0,
      new FieldWriter()
        .u32(chunks)
        .zeros(entry * chunks)
        .finish(),
    );
    const stbl = box('stbl', ...stblParts, co);
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

/** The audio track's tables, and its trak once the offsets' width and the times are known. */
function audioTables(audio: ProgressiveAudio): {
  payloadLength: number;
  chunks: number;
  chunkOffsets: Float64Array;
  trak(wide: boolean, long: boolean, created: number, movieDuration: number): Uint8Array;
} {
  const { record, sizes, durations, chunkStarts, delay } = audio;
  const count = sizes.length;
  if (count === 0) throw new CodecError('invalid', 'an audio track without samples');
  if (durations.length !== count || chunkStarts.length !== count) {
    throw new CodecError('invalid', 'audio sizes, durations and chunkStarts differ in length');
  }
  if (count > MAX_PROGRESSIVE_SAMPLES) throw new CodecError('too-large', `${count} audio samples`);
  checkUint('audio delay', delay, 0xffffffff);
  const timescale = record.sampleRate;
  const entry = audioSampleEntry(record);
  const stts = new FieldWriter();
  const stsz = new FieldWriter();
  let sttsEntries = 0;
  let run = 0;
  let runDuration = -1;
  let payloadLength = 0;
  let duration = 0;
  let chunks = 0;
  for (let i = 0; i < count; i++) {
    const size = sizes[i]!;
    const d = durations[i]!;
    checkUint(`audio sample ${i} size`, size, 0xffffffff, 1);
    checkUint(`audio sample ${i} duration`, d, 0xffffffff);
    stsz.u32(size);
    payloadLength += size;
    duration += d;
    if (d === runDuration) run++;
    else {
      if (run) {
        stts.u32(run).u32(runDuration);
        sttsEntries++;
      }
      run = 1;
      runDuration = d;
    }
    if (i === 0 || chunkStarts[i]) chunks++;
  }
  stts.u32(run).u32(runDuration);
  sttsEntries++;
  const { chunkOffsets, stsc, stscEntries } = chunkTable(count, sizes, chunkStarts, chunks);
  const stblParts = [
    fullBox('stsd', 0, 0, new FieldWriter().u32(1).finish(), entry),
    fullBox('stts', 0, 0, new FieldWriter().u32(sttsEntries).finish(), stts.finish()),
    fullBox('stsc', 0, 0, new FieldWriter().u32(stscEntries).finish(), stsc.finish()),
    fullBox('stsz', 0, 0, new FieldWriter().u32(0).u32(count).finish(), stsz.finish()),
  ];
  return {
    payloadLength,
    chunks,
    chunkOffsets,
    trak(wide, long, created, movieDuration) {
      const version = long || duration > 0xffffffff ? 1 : 0;
      const time = (w: FieldWriter, value: number): FieldWriter => (version ? w.u64(value) : w.u32(value));
      const times = (w: FieldWriter): FieldWriter => time(time(w, created), created);
      const trackMs = Math.round((duration * MOVIE_TIMESCALE) / timescale);
      const delayMs = Math.round((delay * MOVIE_TIMESCALE) / timescale);
      const tkhd = fullBox(
        'tkhd',
        version,
        0x000003,
        matrix(
          time(times(new FieldWriter()).u32(AUDIO_TRACK_ID).u32(0), Math.max(movieDuration, delayMs + trackMs))
            .zeros(8)
            .u16(0) // layer
            .u16(1) // alternate_group
            .u16(0x0100) // volume 1.0
            .u16(0),
        )
          .u32(0)
          .u32(0)
          .finish(),
      );
      // The audio begins `delay` after the video: an empty edit, then the whole track.
      const elst = new FieldWriter().u32(delay > 0 ? 2 : 1);
      if (delay > 0) {
        time(elst, delayMs);
        elst.u32(0xffffffff); // media_time -1: empty (64 bits in version 1)
        if (version) elst.u32(0xffffffff);
        elst.u16(1).u16(0);
      }
      time(elst, trackMs);
      time(elst, 0).u16(1).u16(0);
      const edts = box('edts', fullBox('elst', version, 0, elst.finish()));
      const mdhd = fullBox(
        'mdhd',
        version,
        0,
        time(times(new FieldWriter()).u32(timescale), duration).u16(0x55c4).u16(0).finish(),
      );
      const hdlr = fullBox(
        'hdlr',
        0,
        0,
        new FieldWriter().u32(0).ascii('soun').zeros(12).ascii('SoundHandler\0').finish(),
      );
      const smhd = fullBox('smhd', 0, 0, new FieldWriter().u16(0).u16(0).finish());
      const dinf = box('dinf', fullBox('dref', 0, 0, new FieldWriter().u32(1).finish(), fullBox('url ', 0, 1)));
      const width = wide ? 8 : 4;
      const co = fullBox(
        wide ? 'co64' : 'stco',
        0,
        0,
        new FieldWriter()
          .u32(chunks)
          .zeros(width * chunks)
          .finish(),
      );
      const stbl = box('stbl', ...stblParts, co);
      const minf = box('minf', smhd, dinf, stbl);
      return box('trak', tkhd, edts, box('mdia', mdhd, hdlr, minf));
    },
  };
}

/**
 * Samples per chunk (stsc, run-length: an entry only where the count changes) and each chunk's offset
 * from the start of the track's payload. A chunk starts at the first sample and wherever `chunkStarts` says.
 */
function chunkTable(
  count: number,
  sizes: ArrayLike<number>,
  chunkStarts: ArrayLike<number>,
  chunks: number,
): { chunkOffsets: Float64Array; stsc: FieldWriter; stscEntries: number } {
  const chunkOffsets = new Float64Array(chunks);
  const stsc = new FieldWriter();
  let stscEntries = 0;
  let chunk = -1;
  let inChunk = 0;
  let lastPerChunk = -1;
  let at = 0;
  const close = (): void => {
    if (chunk >= 0 && inChunk !== lastPerChunk) {
      stsc
        .u32(chunk + 1)
        .u32(inChunk)
        .u32(1);
      stscEntries++;
      lastPerChunk = inChunk;
    }
  };
  for (let i = 0; i < count; i++) {
    if (i === 0 || chunkStarts[i]) {
      close();
      chunk++;
      chunkOffsets[chunk] = at;
      inChunk = 0;
    }
    inChunk++;
    at += sizes[i]!;
  }
  close();
  return { chunkOffsets, stsc, stscEntries };
}
