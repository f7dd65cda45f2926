/**
 * Per-segment sample tables: where each sample of a recorded segment file is, when it is, and
 * whether it is a keyframe, in typed arrays: 17 bytes a sample (21 with B-frames), so a day of a
 * 30 fps camera (2.6 million samples) fits the default 64 MiB cache. Read from the file's moof
 * boxes (fragment-file.ts), kept in an LRU bounded in bytes; the segment being written is read on
 * from where it was each time the catalog says it grew.
 */
import { CodecError } from '../codec/errors.js';
import type { AudioRecord } from '../codec/mp4/audio-sample-entry.js';
import type { FragmentedFile, FragmentInfo } from '../codec/mp4/fragments.js';
import type { NalCodec } from '../codec/video.js';
import { readFragmentedFile } from '../recording/fragment-file.js';
import type { SegmentRecord } from '../recording/store.js';

export interface SegmentTable {
  /** The catalog's row it was read for. */
  id: number;
  file: string;
  /** Wall time of decode time 0 (the file's name and index row). */
  startMs: number;
  width: number;
  height: number;
  /** H.264 or H.265, and its decoder configuration record (avcC, hvcC). */
  codec: NalCodec;
  description: Uint8Array;
  timescale: number;
  count: number;
  /**
   * Per sample: offset in the file, bytes, decode time (ticks from the segment's start), duration,
   * keyframe; 32-bit where the file and its times fit (a segment is minutes long), else 64-bit.
   */
  offsets: Uint32Array | Float64Array;
  sizes: Uint32Array;
  decodeTimes: Uint32Array | Float64Array;
  durations: Uint32Array;
  keyframes: Uint8Array;
  /** Per sample: presentation minus decode time; absent while every sample's is 0 (no B-frames). */
  compositionOffsets?: Int32Array;
  /** The segment's audio, when it has some: its MP4 setup and per sample where and when it is. */
  audio?: AudioTable;
  /** Where the parse stopped: the next read of a growing file goes on from here. */
  validEnd: number;
  initEnd: number;
  fileSize: number;
  /** Memory held, for the cache's bound. */
  bytes: number;
}

/** A segment's audio samples (decode times in the audio's timescale, its sample rate, from the segment's start). */
export interface AudioTable {
  record: AudioRecord;
  timescale: number;
  count: number;
  offsets: Float64Array;
  sizes: Uint32Array;
  decodeTimes: Float64Array;
  durations: Uint32Array;
}

/** Wall time (ms, fractional) of audio sample i. */
export function audioWallMs(table: SegmentTable, audio: AudioTable, i: number): number {
  return table.startMs + (audio.decodeTimes[i]! * 1000) / audio.timescale;
}

/** The audio samples of a parse, after those of `previous` (a growing file read on). */
function buildAudio(parsed: FragmentedFile, previous?: AudioTable): AudioTable | undefined {
  const info = parsed.audio;
  if (!info) return undefined;
  const base = previous?.count ?? 0;
  let added = 0;
  for (const f of parsed.fragments) added += f.audio?.samples.length ?? 0;
  const count = base + added;
  const table: AudioTable = {
    record: info.record,
    timescale: info.timescale,
    count,
    offsets: new Float64Array(count),
    sizes: new Uint32Array(count),
    decodeTimes: new Float64Array(count),
    durations: new Uint32Array(count),
  };
  if (previous) {
    table.offsets.set(previous.offsets);
    table.sizes.set(previous.sizes);
    table.decodeTimes.set(previous.decodeTimes);
    table.durations.set(previous.durations);
  }
  let i = base;
  for (const f of parsed.fragments) {
    if (!f.audio) continue;
    let t = f.audio.baseDecodeTime;
    for (const sample of f.audio.samples) {
      table.offsets[i] = sample.offset;
      table.sizes[i] = sample.size;
      table.decodeTimes[i] = t;
      table.durations[i] = sample.duration;
      t += sample.duration;
      i++;
    }
  }
  return table;
}

/** Wall time (ms, fractional) of sample i. */
export function sampleWallMs(table: SegmentTable, i: number): number {
  return table.startMs + (table.decodeTimes[i]! * 1000) / table.timescale;
}

/** Index of the last keyframe at or before `wallMs` (the first keyframe if none is), -1 if the table has none. */
export function keyframeAtOrBefore(table: SegmentTable, wallMs: number): number {
  let found = -1;
  for (let i = 0; i < table.count; i++) {
    if (!table.keyframes[i]) continue;
    if (sampleWallMs(table, i) > wallMs) return found === -1 ? i : found;
    found = i;
  }
  return found;
}

/** Index of the first keyframe at or after `wallMs`, -1 if none. */
export function keyframeAtOrAfter(table: SegmentTable, wallMs: number): number {
  for (let i = 0; i < table.count; i++) if (table.keyframes[i] && sampleWallMs(table, i) >= wallMs) return i;
  return -1;
}

const U32_MAX = 0xffffffff;

/** A Uint32Array of `count`, or a Float64Array when `largest` does not fit 32 bits. */
function u32OrF64(count: number, largest: number): Uint32Array | Float64Array {
  return largest <= U32_MAX ? new Uint32Array(count) : new Float64Array(count);
}

function build(record: SegmentRecord, parsed: FragmentedFile, previous?: SegmentTable): SegmentTable {
  let added = 0;
  let lastDecodeEnd = 0;
  let withCto = !!previous?.compositionOffsets;
  for (const f of parsed.fragments) {
    added += f.samples.length;
    let t = f.baseDecodeTime;
    for (const s of f.samples) {
      t += s.duration;
      if (s.compositionOffset !== 0) withCto = true;
    }
    lastDecodeEnd = Math.max(lastDecodeEnd, t);
  }
  const base = previous?.count ?? 0;
  const count = base + added;
  // 64-bit once any part is: a table read on keeps the wider arrays of the one before.
  const wideOffsets = parsed.fileSize > U32_MAX || previous?.offsets instanceof Float64Array;
  const wideTimes = lastDecodeEnd > U32_MAX || previous?.decodeTimes instanceof Float64Array;
  const table: SegmentTable = {
    id: record.id,
    file: record.file,
    startMs: record.startMs,
    width: parsed.width,
    height: parsed.height,
    codec: parsed.codec,
    description: parsed.description,
    timescale: parsed.timescale,
    count,
    offsets: u32OrF64(count, wideOffsets ? Infinity : 0),
    sizes: new Uint32Array(count),
    decodeTimes: u32OrF64(count, wideTimes ? Infinity : 0),
    durations: new Uint32Array(count),
    keyframes: new Uint8Array(count),
    ...(withCto ? { compositionOffsets: new Int32Array(count) } : {}),
    ...(parsed.audio ? { audio: buildAudio(parsed, previous?.audio)! } : {}),
    validEnd: parsed.validEnd,
    initEnd: parsed.initEnd,
    fileSize: parsed.fileSize,
    bytes: 0,
  };
  table.bytes =
    512 +
    parsed.description.length +
    table.offsets.byteLength +
    table.sizes.byteLength +
    table.decodeTimes.byteLength +
    table.durations.byteLength +
    table.keyframes.byteLength +
    (table.compositionOffsets?.byteLength ?? 0) +
    (table.audio ? table.audio.count * 24 : 0);
  if (previous) {
    table.offsets.set(previous.offsets);
    table.sizes.set(previous.sizes);
    table.decodeTimes.set(previous.decodeTimes);
    table.durations.set(previous.durations);
    if (previous.compositionOffsets) table.compositionOffsets!.set(previous.compositionOffsets);
    table.keyframes.set(previous.keyframes);
  }
  let i = base;
  for (const fragment of parsed.fragments) i = addFragment(table, fragment, i);
  return table;
}

function addFragment(table: SegmentTable, fragment: FragmentInfo, at: number): number {
  let t = fragment.baseDecodeTime;
  let i = at;
  for (const s of fragment.samples) {
    table.offsets[i] = s.offset;
    table.sizes[i] = s.size;
    table.decodeTimes[i] = t;
    table.durations[i] = s.duration;
    if (table.compositionOffsets) table.compositionOffsets[i] = s.compositionOffset;
    table.keyframes[i] = s.keyframe ? 1 : 0;
    t += s.duration;
    i++;
  }
  return i;
}

export class SegmentTables {
  private readonly entries = new Map<string, SegmentTable>();
  private readonly loading = new Map<string, Promise<SegmentTable | undefined>>();
  private held = 0;
  /** Tables read from files (not from the cache), for tests and metrics. */
  reads = 0;

  constructor(
    private readonly maxBytes = 64 * 1024 * 1024,
    private readonly onError: (record: SegmentRecord, error: unknown) => void = () => {},
  ) {}

  get bytes(): number {
    return this.held;
  }

  /**
   * The table of a segment, undefined when its file cannot be read (gone, not an fMP4: the error
   * goes to onError). A cached table is used while the record says nothing new was written.
   */
  async get(record: SegmentRecord): Promise<SegmentTable | undefined> {
    const key = `${record.id} ${record.file}`;
    const cached = this.entries.get(key);
    if (cached && !record.open && cached.validEnd >= record.bytes) return this.touch(key, cached);
    if (cached && record.open && cached.validEnd >= record.bytes) return this.touch(key, cached);
    const pending = this.loading.get(key);
    if (pending) return pending;
    const load = this.load(record, cached).finally(() => this.loading.delete(key));
    this.loading.set(key, load);
    return load;
  }

  private touch(key: string, table: SegmentTable): SegmentTable {
    this.entries.delete(key);
    this.entries.set(key, table);
    return table;
  }

  private async load(record: SegmentRecord, previous?: SegmentTable): Promise<SegmentTable | undefined> {
    const key = `${record.id} ${record.file}`;
    let table: SegmentTable;
    try {
      this.reads++;
      if (previous) {
        // Read on from where the previous parse stopped (fragments: none kept, only where it ended).
        const resume: FragmentedFile = {
          width: previous.width,
          height: previous.height,
          codec: previous.codec,
          description: previous.description,
          timescale: previous.timescale,
          ...(previous.audio ? { audio: { record: previous.audio.record, timescale: previous.audio.timescale } } : {}),
          initEnd: previous.initEnd,
          fragments: [],
          validEnd: previous.validEnd,
          fileSize: previous.fileSize,
        };
        const parsed = await readFragmentedFile(record.file, { resume });
        // readFragments went on from validEnd only when the file did not shrink and has the same init.
        const resumed = parsed.fileSize >= previous.fileSize && parsed.initEnd === previous.initEnd;
        table = build(record, parsed, resumed ? previous : undefined);
      } else {
        table = build(record, await readFragmentedFile(record.file));
      }
    } catch (error) {
      if (!(error instanceof CodecError) && !isFsError(error)) throw error;
      this.onError(record, error);
      this.forget(key);
      return undefined;
    }
    this.forget(key);
    this.entries.set(key, table);
    this.held += table.bytes;
    while (this.held > this.maxBytes && this.entries.size > 1) {
      const oldest = this.entries.keys().next().value!;
      this.forget(oldest);
    }
    return table;
  }

  private forget(key: string): void {
    const old = this.entries.get(key);
    if (!old) return;
    this.entries.delete(key);
    this.held -= old.bytes;
  }
}

function isFsError(error: unknown): boolean {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'string';
}
