/**
 * One recorded camera: a Consumer of the camera's own video (so the camera captures whether or not
 * anyone watches; a JPEG camera's H.264 encoder runs for it). Access units are written as they come,
 * never decoded (README.md, "Files"). The work is in two parts: the segmenter (segmenter.ts) cuts
 * units into segments and fragments on the hot path, and the segment queue (segment-queue.ts) writes
 * them after, in order, bounded: when the disk falls behind, the rest of the segment is dropped (a gap
 * 'dropped') and recording starts again at the next keyframe, so a slow disk never slows the camera or
 * its viewers. The recorder keeps the state the API shows, the gaps, and retries after a disk problem.
 */
import type { Logger } from 'pino';
import { isNalCodec } from '../codec/video.js';
import type { CameraStatus, Consumer } from '../hub/consumer.js';
import type { AccessUnit, AudioConsumer, AudioUnit } from '../media/index.js';
import { Backoff } from '../hub/backoff.js';
import { classifyError, describeProblem, type DiskProblem } from './disk.js';
import type { GapReason, GapRow } from './segment-index.js';
import { AvInterleaver } from './av-interleaver.js';
import { Segmenter } from './segmenter.js';
import { QUEUE_BYTES, QUEUE_OPS, SegmentQueue, type Segment, type SegmentQueueHost } from './segment-queue.js';

export interface RecordingStatus {
  enabled: boolean;
  state: 'recording' | 'waiting' | 'error';
  error?: string;
  since: number;
}

/** What a recorder needs from its store. */
export interface RecorderHost extends SegmentQueueHost {
  readonly segmentDurationMs: number;
  readonly log: Logger;
  segmentClosed(camera: string, bytes: number): void;
  diskProblem(camera: string, problem: DiskProblem): void;
}

export interface RecorderCounters {
  bytes: number;
  segments: number;
  drops: number;
  errors: Partial<Record<DiskProblem, number>>;
}

export class Recorder implements Consumer, AudioConsumer {
  readonly counters: RecorderCounters = { bytes: 0, segments: 0, drops: 0, errors: {} };
  private state: RecordingStatus['state'] = 'waiting';
  private since = Date.now();
  private error: string | undefined;
  private problem: DiskProblem | undefined;
  private readonly backoff = new Backoff();
  private retryTimer: NodeJS.Timeout | undefined;
  /** After a disk problem, until the retry: nothing is recorded. */
  private blocked = false;
  /** A hole since the last recorded instant: becomes a gap row when recording starts again. */
  private pendingGap: { startMs: number; reason: GapReason; detail?: string } | undefined;
  private closed = false;
  private readonly queue: SegmentQueue;
  private readonly segmenter: Segmenter;
  /** Pictures wait here for their sound, so that it reaches the segment of its time. */
  private readonly interleaver: AvInterleaver;

  /** Records whether anyone watches; does not keep a camera an edge withdrew. */
  readonly background = true;

  constructor(
    readonly camera: string,
    private readonly host: RecorderHost,
    limits = { bytes: QUEUE_BYTES, ops: QUEUE_OPS },
  ) {
    this.queue = new SegmentQueue(
      camera,
      host,
      {
        written: (bytes) => this.written(bytes),
        closed: (segment, kept) => {
          if (kept) this.counters.segments++;
          host.segmentClosed(camera, kept ? segment.writtenBytes : 0);
        },
        failed: (segment, err) => this.fail(segment, err),
      },
      limits,
    );
    this.segmenter = new Segmenter(camera, host.segmentDurationMs, this.queue, {
      starting: (startMs) => this.writeGapUntil(startMs),
      dropped: (endMs) => this.dropped(endMs),
    });
    this.interleaver = new AvInterleaver({
      video: (unit) => this.segmenter.push(unit),
      audio: (unit) => this.segmenter.pushAudio(unit),
    });
  }

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
    return this.queue.openSegment();
  }

  /** The hole in progress (the camera is offline, or the disk failed), up to now. */
  currentGap(now: number): GapRow | undefined {
    const g = this.pendingGap;
    if (!g || this.segmenter.recording) return undefined;
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
    this.interleaver.video(unit);
  }

  onAudio(unit: AudioUnit): void {
    if (this.closed || this.blocked) return;
    this.interleaver.audio(unit);
  }

  onStatus(status: CameraStatus): void {
    if (this.closed || status.online) return;
    this.interleaver.flush();
    const end = this.segmenter.end();
    const startMs = end ?? this.pendingGap?.startMs;
    if (startMs !== undefined && (!this.pendingGap || end !== undefined)) {
      this.pendingGap = { startMs, reason: 'offline', ...(status.reason ? { detail: status.reason } : {}) };
    }
    if (!this.blocked) this.setState('waiting');
  }

  /** Recording around events: the segment ends here, and the hole until the next event is a gap 'idle'. */
  pause(): void {
    if (this.closed) return;
    this.interleaver.flush();
    const end = this.segmenter.end();
    if (end !== undefined) this.pendingGap = { startMs: end, reason: 'idle', detail: 'recorded only around events' };
  }

  /** A segment starts at `startMs`: the hole before it, if any, goes to the index with it. */
  private writeGapUntil(startMs: number): void {
    const gap = this.pendingGap;
    if (!gap) return;
    this.pendingGap = undefined;
    this.queue.addGap({
      camera: this.camera,
      startMs: gap.startMs,
      endMs: startMs,
      reason: gap.reason,
      detail: gap.detail,
    });
  }

  private dropped(endMs: number): void {
    this.counters.drops++;
    this.host.log.warn(
      { camera: this.camera, queuedBytes: this.queue.bytes, queuedOps: this.queue.length },
      'recording: the disk is too slow, dropping the rest of the segment',
    );
    this.pendingGap = { startMs: endMs, reason: 'dropped', detail: 'the disk was too slow' };
  }

  private written(bytes: number): void {
    this.counters.bytes += bytes;
    if (this.state === 'recording') return;
    if (this.problem) this.host.log.info({ camera: this.camera }, 'recording resumed');
    this.problem = undefined;
    this.backoff.reset();
    this.setState('recording');
  }

  /** A write failed (the queue kept what is whole): stop recording, try again later. */
  private fail(segment: Segment, err: unknown): void {
    const problem = classifyError(err);
    const message = describeProblem(problem, err);
    this.counters.errors[problem] = (this.counters.errors[problem] ?? 0) + 1;
    if (this.problem !== problem) {
      this.host.log.error({ camera: this.camera, err, reason: problem }, `recording stopped: ${message}`);
    }
    this.problem = problem;
    // Everything after the failure is not written: the hot path's segment too.
    this.interleaver.reset();
    this.segmenter.reset();
    const gapStart = this.pendingGap?.startMs ?? (segment.writer ? segment.writtenEndMs : segment.startMs);
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
    if (gap) this.queue.addGap(gap);
    await this.close();
  }

  /** Ends the open segment cleanly (its index row updated) and waits for the disk. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.interleaver.flush();
    this.segmenter.end();
    this.closed = true;
    clearTimeout(this.retryTimer);
    // The index keeps a gap of a camera that went offline and stayed so until the end.
    await this.queue.flush();
  }
}
