/**
 * The bounded queue between a recorder's hot path and the disk. The segmenter hands it work
 * (open a segment, append a fragment, close it) without waiting; it runs the work after, in
 * order, one operation at a time: the file through a SegmentWriter and the segment's row in the
 * index. Bounded in bytes and operations: a push that does not fit is refused, and the recorder
 * drops the rest of that segment rather than slow the camera. A failed operation marks its
 * segment and everything queued after it as failed and tells the owner once.
 */
import { join, relative } from 'node:path';
import { initSegment, mediaSegment, type Sample } from '../codec/mp4/fmp4.js';
import { recordOption, type RecordOption } from '../codec/mp4/sample-entry.js';
import type { AudioConfig, TrackConfig } from '../media/index.js';
import type { Mp4AudioTrack } from '../codec/mp4/audio-track.js';
import type { GapRow, IndexDb } from './segment-index.js';
import { SegmentWriter } from './segment-writer.js';

export const TIMESCALE = 90_000;
export const TICKS_PER_MS = TIMESCALE / 1000;
/** Per camera: 16 s of a 4 Mbit/s stream waiting for the disk, or 64 writes (about a minute). */
export const QUEUE_BYTES = 8 * 1024 * 1024;
export const QUEUE_OPS = 64;

/** A segment's audio track (a camera with sound): its MP4 form, and the audio pts at decode time 0. */
export interface SegmentAudio {
  config: AudioConfig;
  track: Mp4AudioTrack;
  /** The audio pts (samples) of the segment's first picture: audio decode time 0. */
  originPts: number;
}

/** A segment: built by the segmenter, written by the queue. */
export interface Segment {
  config: TrackConfig;
  audio?: SegmentAudio;
  startMs: number;
  /** wallTime of its first sample: decode time 0. */
  origin: number;
  /** dts of its first sample (the media clock's ticks). */
  originDts: number;
  file: string;
  sequence: number;
  /** Ticks of the samples handed to the queue so far. */
  queuedTicks: number;
  /** Filled by the queue as it writes: */
  id?: number;
  writer?: SegmentWriter;
  /** Wall time and bytes of the last whole fragment on disk (the catalog's open segment). */
  writtenEndMs: number;
  writtenBytes: number;
  failed?: boolean;
}

export type SegmentOp =
  | { kind: 'open'; segment: Segment }
  | {
      kind: 'fragment';
      segment: Segment;
      samples: Sample[];
      base: number;
      sequence: number;
      bytes: number;
      /** The audio of the fragment's time, if any: its samples and their first decode time (samples). */
      audio?: { samples: Sample[]; base: number };
    }
  | { kind: 'close'; segment: Segment };

/** What the queue needs from the store. */
export interface SegmentQueueHost {
  readonly root: string;
  /** The index; throws the store's disk problem while it cannot be opened. */
  db(): IndexDb;
  /** Before a new file: the store checks its folder and index are still the ones it opened. */
  beforeOpen?(): Promise<void>;
}

/** What the queue tells its recorder. */
export interface SegmentQueueEvents {
  /** A fragment is on disk. */
  written(bytes: number): void;
  /** A segment's file is closed; `kept` false when it held no whole fragment and was deleted. */
  closed(segment: Segment, kept: boolean): void;
  /** An operation failed: the segment's file is closed, everything queued is discarded. */
  failed(segment: Segment, err: unknown): void;
}

/** The init segment's record of a segment's configuration (H.264 and H.265 only). */
function recordOf(config: TrackConfig): RecordOption {
  const description = config.description ?? new Uint8Array();
  return recordOption({ codec: config.codec === 'h265' ? 'h265' : 'h264', description });
}

function updateRow(db: IndexDb, row: { id: number; kept: boolean; endMs: number; bytes: number }): void {
  if (row.kept) db.finish(row.id, row.endMs, row.bytes);
  else db.remove(row.id);
}

export class SegmentQueue {
  private readonly ops: SegmentOp[] = [];
  private queuedBytes = 0;
  private draining: Promise<void> | undefined;
  /** The open segment being written (the catalog shows its progress). */
  private writing: Segment | undefined;
  /** Gaps written to the index with the next segment's row (or at close). */
  private readonly gaps: GapRow[] = [];
  /**
   * Rows whose update failed (a full disk fills the index's too): a segment deleted with its file, or one
   * kept, still open in the index. Put right before the next segment's row and at close, in the same index.
   */
  private unsettled: { db: IndexDb; rows: { id: number; kept: boolean; endMs: number; bytes: number }[] } | undefined;

  constructor(
    private readonly camera: string,
    private readonly host: SegmentQueueHost,
    private readonly events: SegmentQueueEvents,
    private readonly limits = { bytes: QUEUE_BYTES, ops: QUEUE_OPS },
  ) {}

  get length(): number {
    return this.ops.length;
  }

  get bytes(): number {
    return this.queuedBytes;
  }

  /** A new segment starts only once the queue has room again (half empty after a drop). */
  hasRoomToStart(): boolean {
    return this.ops.length < this.limits.ops / 2 && this.queuedBytes < this.limits.bytes / 2;
  }

  /** Whether a fragment of `bytes` fits. */
  fits(bytes: number): boolean {
    return this.ops.length < this.limits.ops && this.queuedBytes + bytes <= this.limits.bytes;
  }

  push(op: SegmentOp): void {
    if (op.kind === 'fragment') this.queuedBytes += op.bytes;
    this.ops.push(op);
    this.startDrain();
  }

  addGap(gap: GapRow): void {
    if (gap.detail === undefined) delete gap.detail;
    this.gaps.push(gap);
  }

  /** The segment being written, as far as it is on disk. */
  openSegment(): Segment | undefined {
    const s = this.writing;
    return s?.id !== undefined && !s.failed && s.writer && s.writer.fragments > 0 ? s : undefined;
  }

  /** Waits until everything queued is written, then writes the gaps still waiting (best effort). */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
    try {
      const db = this.host.db();
      this.settleRows(db);
      for (const gap of this.gaps.splice(0)) db.addGap(gap);
    } catch {
      // best effort at shutdown: the index is on the same disk
    }
  }

  private startDrain(): void {
    if (this.draining) return;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      // Queued after the loop found the queue empty and before this ran: it would wait for nothing.
      if (this.ops.length) this.startDrain();
    });
  }

  private async drain(): Promise<void> {
    while (this.ops.length) {
      const op = this.ops.shift()!;
      if (op.kind === 'fragment') this.queuedBytes -= op.bytes;
      if (op.segment.failed) continue;
      try {
        await this.run(op);
      } catch (err) {
        await this.fail(op.segment, err);
      }
    }
  }

  private async run(op: SegmentOp): Promise<void> {
    const segment = op.segment;
    const host = this.host;
    if (op.kind === 'open') {
      await host.beforeOpen?.();
      // No file without an index to list it, nor before the rows a full disk left unsettled are put right.
      this.settleRows(host.db());
      const config = segment.config;
      const init = initSegment({
        width: config.width,
        height: config.height,
        ...recordOf(config),
        timescale: TIMESCALE,
        ...(segment.audio ? { audio: segment.audio.track.record } : {}),
      });
      segment.writer = await SegmentWriter.create(host.root, join(host.root, segment.file), init);
      segment.file = relative(host.root, segment.writer.path);
      this.writing = segment;
      const db = host.db();
      for (const gap of this.gaps.splice(0)) db.addGap(gap);
      segment.id = db.insert({
        camera: this.camera,
        file: segment.file,
        startMs: segment.startMs,
        endMs: segment.startMs,
        bytes: init.length,
        width: config.width,
        height: config.height,
        codecString: config.codecString,
        open: true,
      });
      segment.writtenBytes = init.length;
    } else if (op.kind === 'fragment') {
      const data = mediaSegment({
        sequenceNumber: op.sequence,
        baseDecodeTime: op.base,
        samples: op.samples,
        ...(op.audio ? { audio: { baseDecodeTime: op.audio.base, samples: op.audio.samples } } : {}),
      });
      await segment.writer!.append(data);
      let ticks = op.base;
      for (const s of op.samples) ticks += s.duration;
      segment.writtenEndMs = segment.startMs + ticks / TICKS_PER_MS;
      segment.writtenBytes = segment.writer!.bytes;
      this.events.written(data.length);
    } else {
      const kept = await segment.writer!.close();
      if (this.writing === segment) this.writing = undefined;
      this.finishRow(segment, kept);
      this.events.closed(segment, kept);
    }
  }

  /** The segment's index row: closed at what is on disk, or removed with its file. */
  private finishRow(segment: Segment, kept: boolean): void {
    if (segment.id === undefined) return;
    const db = this.host.db();
    const row = { id: segment.id, kept, endMs: segment.writtenEndMs, bytes: segment.writtenBytes };
    try {
      updateRow(db, row);
    } catch (err) {
      // Kept to retry (the index's disk may be full): a row must not outlive its deleted file.
      if (this.unsettled?.db !== db) this.unsettled = { db, rows: [] };
      this.unsettled.rows = this.unsettled.rows.filter((r) => r.id !== row.id);
      this.unsettled.rows.push(row);
      throw err;
    }
  }

  /**
   * Retries the rows whose update failed, in the index they belong to (one opened again was repaired from
   * the files, its ids another's). Throws when the index still cannot be written.
   */
  private settleRows(db: IndexDb): void {
    const pending = this.unsettled;
    if (!pending) return;
    if (pending.db !== db) {
      this.unsettled = undefined;
      return;
    }
    while (pending.rows.length) {
      updateRow(db, pending.rows[0]!);
      pending.rows.shift();
    }
    this.unsettled = undefined;
  }

  /** A write failed: keep what is whole, discard everything queued after it. */
  private async fail(segment: Segment, err: unknown): Promise<void> {
    segment.failed = true;
    const writer = segment.writer;
    if (this.writing === segment) this.writing = undefined;
    if (writer) {
      const kept = await writer.close();
      try {
        this.finishRow(segment, kept);
      } catch {
        // the index is on the same disk: retried before the next segment's row (settleRows), or at close
      }
    }
    for (const op of this.ops) op.segment.failed = true;
    this.ops.length = 0;
    this.queuedBytes = 0;
    this.events.failed(segment, err);
  }
}
