/**
 * Per-segment sample tables: where each sample of a recorded segment file is, when it is, and
 * whether it is a keyframe, in typed arrays (about 30 bytes a sample). Read from the file's moof
 * boxes (fragment-file.ts), kept in an LRU bounded in bytes; the segment being written is read on
 * from where it was each time the catalog says it grew.
 */
import { CodecError } from '../codec/errors.js';
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
  /** Per sample: offset in the file, bytes, decode time (ticks from the segment's start), duration, CTO, keyframe. */
  offsets: Float64Array;
  sizes: Uint32Array;
  decodeTimes: Float64Array;
  durations: Uint32Array;
  compositionOffsets: Int32Array;
  keyframes: Uint8Array;
  /** Where the parse stopped: the next read of a growing file goes on from here. */
  validEnd: number;
  initEnd: number;
  fileSize: number;
  /** Memory held, for the cache's bound. */
  bytes: number;
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

const PER_SAMPLE = 8 + 4 + 8 + 4 + 4 + 1;

function build(record: SegmentRecord, parsed: FragmentedFile, previous?: SegmentTable): SegmentTable {
  const added = parsed.fragments.reduce((n, f) => n + f.samples.length, 0);
  const base = previous?.count ?? 0;
  const count = base + added;
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
    offsets: new Float64Array(count),
    sizes: new Uint32Array(count),
    decodeTimes: new Float64Array(count),
    durations: new Uint32Array(count),
    compositionOffsets: new Int32Array(count),
    keyframes: new Uint8Array(count),
    validEnd: parsed.validEnd,
    initEnd: parsed.initEnd,
    fileSize: parsed.fileSize,
    bytes: 512 + parsed.description.length + count * PER_SAMPLE,
  };
  if (previous) {
    table.offsets.set(previous.offsets);
    table.sizes.set(previous.sizes);
    table.decodeTimes.set(previous.decodeTimes);
    table.durations.set(previous.durations);
    table.compositionOffsets.set(previous.compositionOffsets);
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
    table.compositionOffsets[i] = s.compositionOffset;
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
