/**
 * The audio track of a progressive MP4 (progressive.ts): its sample tables, and its trak once the
 * video's header says how wide the chunk offsets are and how long the movie is. Its samples follow
 * the video's in the mdat; an empty edit places it `delay` after the video's time 0.
 */
import { CodecError } from '../errors.js';
import { box, FieldWriter, fullBox } from './boxes.js';
import { AUDIO_TRACK_ID } from './fmp4.js';
import { audioSampleEntry, type AudioRecord } from './audio-sample-entry.js';
import {
  checkUint,
  chunkOffsetBox,
  chunkTable,
  matrix,
  MAX_PROGRESSIVE_SAMPLES,
  MOVIE_TIMESCALE,
  sizesAndTimes,
} from './sample-tables.js';

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

export interface AudioTrak {
  payloadLength: number;
  chunks: number;
  chunkOffsets: Float64Array;
  /** The trak box: `wide` chunk offsets (co64), `long` 64-bit times, the movie's creation time and duration. */
  trak(wide: boolean, long: boolean, created: number, movieDuration: number): Uint8Array;
}

/** The audio track's tables, checked; CodecError when an input is out of range. */
export function audioTrak(audio: ProgressiveAudio): AudioTrak {
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
  const { stts, stsz, payloadLength, duration } = sizesAndTimes(sizes, durations, 'audio sample');
  const { chunks, chunkOffsets, stsc } = chunkTable(sizes, chunkStarts);
  const stblParts = [fullBox('stsd', 0, 0, new FieldWriter().u32(1).finish(), entry), stts, stsc, stsz];
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
      const stbl = box('stbl', ...stblParts, chunkOffsetBox(chunks, wide));
      const minf = box('minf', smhd, dinf, stbl);
      return box('trak', tkhd, edts, box('mdia', mdhd, hdlr, minf));
    },
  };
}
