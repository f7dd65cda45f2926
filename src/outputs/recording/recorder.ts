/**
 * One recorded camera: a Consumer of the camera's `h264` track (so the camera captures whether or
 * not anyone watches; a JPEG camera's H.264 encoder runs for it). Access units are written as they
 * come, never decoded: fragments of about a second, each synced, in segments that start at a
 * keyframe (README.md, "Files"). onUnit only queues; the disk work happens after it, in order, bounded:
 * when the disk falls behind, the rest of the segment is dropped (a gap 'dropped') and recording
 * starts again at the next keyframe, so a slow disk never slows the camera or its viewers.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import { initSegment, mediaSegment, type Sample } from '../../codec/mp4/fmp4.js';
import { recordOption, type RecordOption } from '../../codec/mp4/sample-entry.js';
import { isNalCodec } from '../../codec/video.js';
import type { CameraStatus, Consumer } from '../../hub/consumer.js';
import type { AccessUnit, TrackConfig } from '../../media/index.js';
import { Backoff } from '../../hub/backoff.js';
import { classifyError, describeProblem, type DiskProblem } from './disk.js';
import type { GapReason, GapRow, IndexDb } from './index-db.js';
import { SegmentWriter } from './segment-writer.js';

export const TIMESCALE = 90_000;
const TICKS_PER_MS = TIMESCALE / 1000;
/** A fragment ends after this much video, or at a keyframe after half of it. */
const FRAGMENT_MS = 1000;
/** A sample whose successor never came (the segment's last) lasts as long as the one before it. */
const DEFAULT_DURATION = 3000;
/** Per camera: 16 s of a 4 Mbit/s stream waiting for the disk, or 64 writes (about a minute). */
export const QUEUE_BYTES = 8 * 1024 * 1024;
export const QUEUE_OPS = 64;

export interface RecordingStatus {
  enabled: boolean;
  state: 'recording' | 'waiting' | 'error';
  error?: string;
  since: number;
}

/** What a recorder needs from its store. */
export interface RecorderHost {
  readonly root: string;
  readonly segmentDurationMs: number;
  readonly log: Logger;
  /** The index; throws the store's disk problem while it cannot be opened. */
  db(): IndexDb;
  /** Before a new file: the store checks its folder and index are still the ones it opened. */
  beforeOpen?(): Promise<void>;
  segmentClosed(camera: string, bytes: number): void;
  diskProblem(camera: string, problem: DiskProblem): void;
}

export interface RecorderCounters {
  bytes: number;
  segments: number;
  drops: number;
  errors: Partial<Record<DiskProblem, number>>;
}

/** A segment as the hot path builds it. */
interface Segment {
  config: TrackConfig;
  startMs: number;
  /** receivedAt of its first sample: decode time 0. */
  origin: number;
  file: string;
  sequence: number;
  /** Ticks of the samples handed to the queue so far. */
  queuedTicks: number;
  /** Filled by the writer: */
  id?: number;
  writer?: SegmentWriter;
  /** Wall time and bytes of the last whole fragment on disk (the catalog's open segment). */
  writtenEndMs: number;
  writtenBytes: number;
  failed?: boolean;
}

type Op =
  | { kind: 'open'; segment: Segment }
  | { kind: 'fragment'; segment: Segment; samples: Sample[]; base: number; sequence: number; bytes: number }
  | { kind: 'close'; segment: Segment };

/** The init segment's record of a segment's configuration (onUnit takes H.264 and H.265 only). */
function recordOf(config: TrackConfig): RecordOption {
  const description = config.description ?? new Uint8Array();
  return recordOption({ codec: config.codec === 'h265' ? 'h265' : 'h264', description });
}

function sameConfig(a: TrackConfig, b: TrackConfig): boolean {
  if (a === b) return true;
  if (a.codec !== b.codec || a.width !== b.width || a.height !== b.height) return false;
  const x = a.description;
  const y = b.description;
  return !!x && !!y && x.length === y.length && Buffer.from(x).equals(Buffer.from(y));
}

function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export class Recorder implements Consumer {
  readonly counters: RecorderCounters = { bytes: 0, segments: 0, drops: 0, errors: {} };
  private state: RecordingStatus['state'] = 'waiting';
  private since = Date.now();
  private error: string | undefined;
  private problem: DiskProblem | undefined;
  private readonly backoff = new Backoff();
  private retryTimer: NodeJS.Timeout | undefined;
  /** After a disk problem, until the retry: nothing is recorded. */
  private blocked = false;

  private segment: Segment | undefined;
  /** The newest unit, its duration unknown until the next one comes. */
  private held: { unit: AccessUnit; ticks: number } | undefined;
  private lastDuration = DEFAULT_DURATION;
  private fragment: Sample[] = [];
  private fragmentBase = 0;
  private fragmentBytes = 0;
  /** The open segment being written (the catalog shows its progress). */
  private writing: Segment | undefined;
  /** A hole since the last recorded instant: becomes a gap row when recording starts again. */
  private pendingGap: { startMs: number; reason: GapReason; detail?: string } | undefined;

  private readonly queue: Op[] = [];
  private queuedBytes = 0;
  private draining: Promise<void> | undefined;
  private closed = false;

  /** Records whether anyone watches; does not keep a camera an edge withdrew. */
  readonly background = true;

  constructor(
    readonly camera: string,
    private readonly host: RecorderHost,
    private readonly limits = { bytes: QUEUE_BYTES, ops: QUEUE_OPS },
  ) {}

  /** At start-up: the time since the camera's last recording is a gap 'stopped'. */
  stoppedSince(lastEndMs: number | undefined): void {
    if (lastEndMs !== undefined) this.pendingGap = { startMs: lastEndMs, reason: 'stopped' };
  }

  status(): RecordingStatus {
    return {
      enabled: true,
      state: this.state,
      ...(this.error ? { error: this.error } : {}),
      since: this.since,
    };
  }

  /** The segment being written, as far as it is on disk. */
  openSegment(): Segment | undefined {
    const s = this.writing;
    return s?.id !== undefined && !s.failed && s.writer && s.writer.fragments > 0 ? s : undefined;
  }

  /** The hole in progress (the camera is offline, or the disk failed), up to now. */
  currentGap(now: number): GapRow | undefined {
    const g = this.pendingGap;
    if (!g || this.segment) return undefined;
    const startMs = Math.floor(g.startMs);
    return {
      camera: this.camera,
      startMs,
      // The last picture's duration may reach past now: the gap then lasts 1 ms, to say why it ends there.
      endMs: Math.max(now, startMs + 1),
      reason: g.reason,
      ...(g.detail ? { detail: g.detail } : {}),
    };
  }

  onUnit(unit: AccessUnit): void {
    if (this.closed || this.blocked || unit.placeholder || !isNalCodec(unit.config.codec)) return;
    const segment = this.segment;
    if (segment && !sameConfig(segment.config, unit.config)) this.endSegment(undefined);
    if (!this.segment) {
      if (unit.keyframe && this.canStart()) this.startSegment(unit);
      return;
    }
    const current = this.segment;
    const held = this.held!;
    let ticks = Math.round((unit.receivedAt - current.origin) * TICKS_PER_MS);
    if (ticks <= held.ticks) ticks = held.ticks + 1;
    this.pushHeld(ticks - held.ticks);
    const fragmentTicks = ticks - this.fragmentBase;
    if (unit.keyframe && unit.receivedAt - current.origin >= this.host.segmentDurationMs) {
      this.flushFragment();
      this.closeSegment();
      if (this.segment === undefined && !this.blocked && this.canStart()) this.startSegment(unit);
      return;
    }
    const cut =
      fragmentTicks >= FRAGMENT_MS * TICKS_PER_MS ||
      (unit.keyframe && fragmentTicks >= (FRAGMENT_MS / 2) * TICKS_PER_MS);
    if (cut) this.flushFragment();
    if (this.segment) this.held = { unit, ticks };
  }

  onStatus(status: CameraStatus): void {
    if (this.closed || status.online) return;
    const end = this.endSegment(undefined);
    const startMs = end ?? this.pendingGap?.startMs;
    if (startMs !== undefined && (!this.pendingGap || end !== undefined)) {
      this.pendingGap = { startMs, reason: 'offline', ...(status.reason ? { detail: status.reason } : {}) };
    }
    if (!this.blocked) this.setState('waiting');
  }

  /** Ends the open segment (its last sample lasts as long as the one before); its end (ms). */
  private endSegment(_why: undefined): number | undefined {
    if (!this.segment || !this.held) return undefined;
    this.pushHeld(this.lastDuration);
    const end = this.segment.startMs + (this.segment.queuedTicks + this.fragmentTicks()) / TICKS_PER_MS;
    this.flushFragment();
    this.closeSegment();
    return end;
  }

  /** A new segment starts only once the queue has room again (half empty after a drop). */
  private canStart(): boolean {
    return this.queue.length < this.limits.ops / 2 && this.queuedBytes < this.limits.bytes / 2;
  }

  private fragmentTicks(): number {
    let t = 0;
    for (const s of this.fragment) t += s.duration;
    return t;
  }

  private pushHeld(duration: number): void {
    const held = this.held!;
    this.lastDuration = duration;
    this.fragment.push({ data: held.unit.data, duration, keyframe: held.unit.keyframe });
    this.fragmentBytes += held.unit.data.length;
    this.held = undefined;
  }

  private startSegment(unit: AccessUnit): void {
    const startMs = Math.floor(unit.receivedAt);
    const file = join(this.camera, day(startMs), `${startMs}.mp4`);
    const segment: Segment = {
      config: unit.config,
      startMs,
      origin: unit.receivedAt,
      file,
      sequence: 1,
      queuedTicks: 0,
      writtenEndMs: startMs,
      writtenBytes: 0,
    };
    if (this.pendingGap) {
      const gap = this.pendingGap;
      this.pendingGap = undefined;
      this.enqueueGap({
        camera: this.camera,
        startMs: gap.startMs,
        endMs: startMs,
        reason: gap.reason,
        detail: gap.detail,
      });
    }
    this.segment = segment;
    this.held = { unit, ticks: 0 };
    this.fragment = [];
    this.fragmentBase = 0;
    this.fragmentBytes = 0;
    this.enqueue({ kind: 'open', segment });
  }

  private readonly gapsToWrite: GapRow[] = [];

  private enqueueGap(gap: GapRow): void {
    if (gap.detail === undefined) delete gap.detail;
    this.gapsToWrite.push(gap);
  }

  private flushFragment(): void {
    const segment = this.segment;
    if (!segment || this.fragment.length === 0) return;
    const samples = this.fragment;
    const bytes = this.fragmentBytes;
    const duration = this.fragmentTicks();
    this.fragment = [];
    this.fragmentBytes = 0;
    if (this.queue.length >= this.limits.ops || this.queuedBytes + bytes > this.limits.bytes) {
      this.drop(segment);
      return;
    }
    const op: Op = { kind: 'fragment', segment, samples, base: this.fragmentBase, sequence: segment.sequence++, bytes };
    segment.queuedTicks += duration;
    this.fragmentBase += duration;
    this.queuedBytes += bytes;
    this.enqueue(op);
  }

  /** The disk fell behind: the rest of this segment is not recorded; a new one starts at a keyframe. */
  private drop(segment: Segment): void {
    const endMs = segment.startMs + segment.queuedTicks / TICKS_PER_MS;
    this.counters.drops++;
    this.host.log.warn(
      { camera: this.camera, queuedBytes: this.queuedBytes, queuedOps: this.queue.length },
      'recording: the disk is too slow, dropping the rest of the segment',
    );
    this.closeSegment();
    this.pendingGap = { startMs: endMs, reason: 'dropped', detail: 'the disk was too slow' };
  }

  private closeSegment(): void {
    const segment = this.segment;
    if (!segment) return;
    this.segment = undefined;
    this.held = undefined;
    this.fragment = [];
    this.fragmentBytes = 0;
    this.enqueue({ kind: 'close', segment });
  }

  private enqueue(op: Op): void {
    this.queue.push(op);
    this.startDrain();
  }

  private startDrain(): void {
    if (this.draining) return;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      // Queued after the loop found the queue empty and before this ran: it would wait for nothing.
      if (this.queue.length) this.startDrain();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      const op = this.queue.shift()!;
      if (op.kind === 'fragment') this.queuedBytes -= op.bytes;
      if (op.segment.failed) continue;
      try {
        await this.run(op);
      } catch (err) {
        await this.fail(op.segment, err);
      }
    }
  }

  private async run(op: Op): Promise<void> {
    const segment = op.segment;
    const host = this.host;
    if (op.kind === 'open') {
      await host.beforeOpen?.();
      host.db(); // no file without an index to list it
      const config = segment.config;
      const init = initSegment({
        width: config.width,
        height: config.height,
        ...recordOf(config),
        timescale: TIMESCALE,
      });
      segment.writer = await SegmentWriter.create(host.root, join(host.root, segment.file), init);
      this.writing = segment;
      const db = host.db();
      for (const gap of this.gapsToWrite.splice(0)) db.addGap(gap);
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
      const data = mediaSegment({ sequenceNumber: op.sequence, baseDecodeTime: op.base, samples: op.samples });
      await segment.writer!.append(data);
      let ticks = op.base;
      for (const s of op.samples) ticks += s.duration;
      segment.writtenEndMs = segment.startMs + ticks / TICKS_PER_MS;
      segment.writtenBytes = segment.writer!.bytes;
      this.counters.bytes += data.length;
      if (this.state !== 'recording') {
        if (this.problem) host.log.info({ camera: this.camera }, 'recording resumed');
        this.problem = undefined;
        this.backoff.reset();
        this.setState('recording');
      }
    } else {
      const kept = await segment.writer!.close();
      if (this.writing === segment) this.writing = undefined;
      if (segment.id !== undefined) {
        const db = host.db();
        if (kept) db.finish(segment.id, segment.writtenEndMs, segment.writtenBytes);
        else db.remove(segment.id);
      }
      if (kept) this.counters.segments++;
      host.segmentClosed(this.camera, kept ? segment.writtenBytes : 0);
    }
  }

  /** A write failed: keep what is whole, stop recording, try again later. */
  private async fail(segment: Segment, err: unknown): Promise<void> {
    segment.failed = true;
    const problem = classifyError(err);
    const message = describeProblem(problem, err);
    this.counters.errors[problem] = (this.counters.errors[problem] ?? 0) + 1;
    if (this.problem !== problem) {
      this.host.log.error({ camera: this.camera, err, reason: problem }, `recording stopped: ${message}`);
    }
    this.problem = problem;
    const writer = segment.writer;
    if (this.writing === segment) this.writing = undefined;
    if (writer) {
      const kept = await writer.close();
      try {
        if (segment.id !== undefined) {
          const db = this.host.db();
          if (kept) db.finish(segment.id, segment.writtenEndMs, segment.writtenBytes);
          else db.remove(segment.id);
        }
      } catch {
        // the index is on the same disk: repair at the next start puts it right
      }
    }
    // Everything after the failure is not written: the hot path's segment too.
    for (const op of this.queue) op.segment.failed = true;
    this.queue.length = 0;
    this.queuedBytes = 0;
    const gapStart = this.pendingGap?.startMs ?? (writer ? segment.writtenEndMs : segment.startMs);
    this.segment = undefined;
    this.held = undefined;
    this.fragment = [];
    this.fragmentBytes = 0;
    this.pendingGap = { startMs: gapStart, reason: 'disk', detail: message };
    this.error = message;
    this.setState('error');
    this.blocked = true;
    this.host.diskProblem(this.camera, problem);
    if (!this.closed) {
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => {
        this.blocked = false;
      }, this.backoff.next());
      this.retryTimer.unref();
    }
  }

  private setState(state: RecordingStatus['state']): void {
    if (state !== 'error') this.error = undefined;
    if (state === this.state) return;
    this.state = state;
    this.since = Date.now();
  }

  /**
   * The camera goes away (an edge withdrew it): its segment ends, and the time from its last picture
   * to now is written as a gap 'offline' (the next recording of the same camera starts after it).
   */
  async remove(reason: string): Promise<void> {
    const now = Date.now();
    this.onStatus({ online: false, since: now, reason });
    const gap = this.currentGap(now);
    if (gap) this.gapsToWrite.push(gap);
    await this.close();
  }

  /** Ends the open segment cleanly (its index row updated) and waits for the disk. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.endSegment(undefined);
    this.closed = true;
    clearTimeout(this.retryTimer);
    while (this.draining) await this.draining;
    // The index keeps a gap of a camera that went offline and stayed so until the end.
    try {
      const db = this.host.db();
      for (const gap of this.gapsToWrite.splice(0)) db.addGap(gap);
    } catch {
      // best effort at shutdown
    }
  }
}
