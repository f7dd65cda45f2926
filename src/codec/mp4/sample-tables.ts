/**
 * The sample tables a progressive MP4 track shares with any other (ISO/IEC 14496-12 §8.6–8.7): sizes
 * (stsz), time-to-sample (stts, run-length), composition offsets (ctts, run-length), chunks (stsc and
 * each chunk's offset), plus the fields every track header needs (the unity matrix, 1904-based times).
 * Inputs are checked here: each table is the one place its values are read.
 */
import { CodecError } from '../errors.js';
import { FieldWriter, fullBox } from './boxes.js';

/** Samples in one track of a progressive file at most (24 h at 120 fps is 10.4 million). */
export const MAX_PROGRESSIVE_SAMPLES = 12_000_000;
/** The movie's timescale (mvhd, tkhd and elst durations): milliseconds. */
export const MOVIE_TIMESCALE = 1000;
/** Seconds from 1904-01-01 (MP4 times) to 1970-01-01. */
export const EPOCH_1904 = 2082844800;

export function checkUint(name: string, value: number, max: number, min = 0): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new CodecError('invalid', `${name} ${String(value)} is not an integer in ${min}..${max}`);
  }
}

/** The unity transformation matrix of mvhd and tkhd. */
export function matrix(w: FieldWriter): FieldWriter {
  return w.u32(0x00010000).u32(0).u32(0).u32(0).u32(0x00010000).u32(0).u32(0).u32(0).u32(0x40000000);
}

/** A time that fits 32 bits writes version 0 fields, else version 1 (64-bit). */
export function fits32(value: number): boolean {
  return value <= 0xffffffff;
}

export interface SizesAndTimes {
  /** The stts and stsz boxes. */
  stts: Uint8Array;
  stsz: Uint8Array;
  /** Sum of the sizes (bytes) and of the durations (ticks). */
  payloadLength: number;
  duration: number;
}

/**
 * stsz (every size) and stts (durations, an entry per run of equal ones). `label` names the track in
 * errors ("sample 3 size", "audio sample 3 size").
 */
export function sizesAndTimes(sizes: ArrayLike<number>, durations: ArrayLike<number>, label: string): SizesAndTimes {
  const count = sizes.length;
  const stts = new FieldWriter();
  const stsz = new FieldWriter();
  let entries = 0;
  let run = 0;
  let runDuration = -1;
  let payloadLength = 0;
  let duration = 0;
  for (let i = 0; i < count; i++) {
    const size = sizes[i]!;
    const d = durations[i]!;
    checkUint(`${label} ${i} size`, size, 0xffffffff, 1);
    checkUint(`${label} ${i} duration`, d, 0xffffffff);
    stsz.u32(size);
    payloadLength += size;
    duration += d;
    if (d === runDuration) run++;
    else {
      if (run) {
        stts.u32(run).u32(runDuration);
        entries++;
      }
      run = 1;
      runDuration = d;
    }
  }
  stts.u32(run).u32(runDuration);
  entries++;
  return {
    stts: fullBox('stts', 0, 0, new FieldWriter().u32(entries).finish(), stts.finish()),
    stsz: fullBox('stsz', 0, 0, new FieldWriter().u32(0).u32(count).finish(), stsz.finish()),
    payloadLength,
    duration,
  };
}

/**
 * ctts (presentation minus decode time per sample, run-length), or undefined when every offset is 0.
 * Version 1 (signed) when one is negative.
 */
export function compositionTable(offsets: ArrayLike<number>): Uint8Array | undefined {
  const w = new FieldWriter();
  let entries = 0;
  let run = 0;
  let value = 0;
  let any = false;
  let negative = false;
  for (let i = 0; i < offsets.length; i++) {
    const o = offsets[i]!;
    if (o !== 0) {
      if (!Number.isInteger(o) || o < -(2 ** 31) || o > 2 ** 31 - 1) {
        throw new CodecError('invalid', `sample ${i} compositionOffset ${String(o)}`);
      }
      any = true;
      if (o < 0) negative = true;
    }
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
  if (!any) return undefined;
  w.i32(run).i32(value);
  entries++;
  return fullBox('ctts', negative ? 1 : 0, 0, new FieldWriter().u32(entries).finish(), w.finish());
}

export interface ChunkTable {
  chunks: number;
  /** Each chunk's offset from the start of the track's payload. */
  chunkOffsets: Float64Array;
  /** The stsc box. */
  stsc: Uint8Array;
}

/**
 * Samples per chunk (stsc, run-length: an entry only where the count changes) and each chunk's offset
 * from the start of the track's payload. A chunk starts at the first sample and wherever `chunkStarts` says.
 */
export function chunkTable(sizes: ArrayLike<number>, chunkStarts: ArrayLike<number>): ChunkTable {
  const count = sizes.length;
  let chunks = 0;
  for (let i = 0; i < count; i++) if (i === 0 || chunkStarts[i]) chunks++;
  const chunkOffsets = new Float64Array(chunks);
  const stsc = new FieldWriter();
  let entries = 0;
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
      entries++;
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
  return { chunks, chunkOffsets, stsc: fullBox('stsc', 0, 0, new FieldWriter().u32(entries).finish(), stsc.finish()) };
}

/** The chunk offsets box, zeroed (stco, or co64 when `wide`): filled in once the header's length is known. */
export function chunkOffsetBox(chunks: number, wide: boolean): Uint8Array {
  return fullBox(
    wide ? 'co64' : 'stco',
    0,
    0,
    new FieldWriter()
      .u32(chunks)
      .zeros((wide ? 8 : 4) * chunks)
      .finish(),
  );
}
