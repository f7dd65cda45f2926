/**
 * The MSE path: H.264 (H.265) access units → fragmented MP4 → Media Source Extensions in a <video>,
 * for pages where WebCodecs is missing (a LAN address over plain http is not
 * a secure context). `ManagedMediaSource` where it exists (iOS 17.1+), else
 * `MediaSource`. The fMP4 is built here from the same access units
 * (src/codec/mp4/fmp4.ts): one init segment per config, one media segment per
 * access unit, so nothing waits for a fragment to fill.
 *
 * Kept live, not buffered:
 * - a sample's time is its receive time (the header's) minus the first one's,
 *   so a gap in the stream (skipped units, a camera that was offline) is a
 *   gap in time, which the playhead jumps over;
 * - behind the live edge by more than JUMP_BEHIND_S, the playhead jumps to it;
 *   by more than NUDGE_BEHIND_S, it plays a little faster until caught up;
 * - what is more than KEEP_BEHIND_S behind the playhead is removed.
 * Each unit is acked once appended (its updateend), so the server paces itself
 * to the browser; appends waiting beyond MAX_PENDING are let go up to the next keyframe.
 */
import { initSegment, mediaSegment, mimeType } from '../../../src/codec/mp4/fmp4.js';
import type { Decoder, DecoderEvents } from './decoder.js';
import type { MediaUnit, ShownFrame, TrackConfig, VideoConfig } from './media.js';
import { isHevc, sameConfig } from './media.js';
import { mediaSourceClass } from './path.js';

const TIMESCALE = 90_000;
/** Behind the newest buffered picture by more than this: jump there. */
const JUMP_BEHIND_S = 1.0;
/** …by more than this: play at NUDGE_RATE until within CAUGHT_UP_S. */
const NUDGE_BEHIND_S = 0.25;
const CAUGHT_UP_S = 0.1;
const NUDGE_RATE = 1.1;
/** Where a jump lands, before the newest picture's end. */
const JUMP_TARGET_S = 0.05;
/** Buffer kept behind the playhead; trimmed once it exceeds TRIM_AFTER_S. */
const KEEP_BEHIND_S = 1;
const TRIM_AFTER_S = 2;
/** Appends waiting for the SourceBuffer beyond this: the stream skips to the next keyframe. */
const MAX_PENDING = 8;
/** Sample times remembered to name the picture shown (seq, capture time). */
const MAX_TIMES = 128;
const DEFAULT_FRAME_MS = 1000 / 30;

type Op =
  | { kind: 'init'; bytes: Uint8Array; mime: string }
  | { kind: 'media'; bytes: Uint8Array; done: () => void; time: number; frame: ShownFrame }
  | { kind: 'remove'; start: number; end: number };

interface VideoFrameCallbackMetadata {
  mediaTime: number;
  presentedFrames: number;
}
type VideoWithCallback = HTMLVideoElement & {
  requestVideoFrameCallback?(callback: (now: number, metadata: VideoFrameCallbackMetadata) => void): number;
  cancelVideoFrameCallback?(handle: number): void;
};

export class MseDecoder implements Decoder {
  readonly path = 'mse';
  readonly surface = 'video';
  private source: MediaSource | undefined;
  private buffer: SourceBuffer | undefined;
  private objectUrl = '';
  private config: VideoConfig | undefined;
  private mime = '';
  private ops: Op[] = [];
  private current: Op | undefined;
  private needKeyframe = true;
  private sequence = 0;
  private baseTime: number | undefined;
  private lastTime = -1;
  private frameMs = DEFAULT_FRAME_MS;
  private readonly times: { time: number; frame: ShownFrame }[] = [];
  private frameCallback = 0;
  private lastPresented = -1;
  private pictureValue = false;
  private timer = 0;

  constructor(
    private readonly video: VideoWithCallback,
    private readonly events: Pick<DecoderEvents, 'decoded' | 'shown' | 'skipped' | 'jumped' | 'failed'>,
  ) {
    video.muted = true;
    video.playsInline = true;
    video.autoplay = true;
    // ManagedMediaSource plays only when remote playback (AirPlay) is off or has an alternative.
    video.disableRemotePlayback = true;
    video.addEventListener('error', () => {
      if (this.source) this.fail(new Error(video.error?.message || `media error ${video.error?.code ?? ''}`));
    });
  }

  /** A picture was shown since the stream started. */
  get hasPicture(): boolean {
    return this.pictureValue;
  }

  get pictureSize(): { width: number; height: number } {
    return { width: this.video.videoWidth, height: this.video.videoHeight };
  }

  /** How far the playhead is behind the newest buffered picture, s (0 when nothing is buffered). */
  get behindS(): number {
    const ranges = this.buffer?.buffered;
    if (!ranges || ranges.length === 0) return 0;
    return Math.max(0, ranges.end(ranges.length - 1) - this.video.currentTime);
  }

  /** MSE tells no decode time. */
  get decodeTimeMs(): number {
    return 0;
  }

  configure(config: TrackConfig): void {
    if (this.config && sameConfig(this.config, config) && this.source) return;
    let init: Uint8Array;
    let mime: string;
    try {
      const record = isHevc(config) ? { hvcC: config.description } : { avcC: config.description };
      init = initSegment({ width: config.width, height: config.height, ...record, timescale: TIMESCALE });
      mime = mimeType(record);
    } catch (error) {
      this.config = undefined;
      this.events.failed(error);
      return;
    }
    this.config = config;
    this.needKeyframe = true;
    const canChange = this.buffer !== undefined && typeof this.buffer.changeType === 'function';
    if (!this.source || (mime !== this.mime && !canChange)) this.open(mime);
    this.ops = this.ops.filter((op) => op.kind !== 'init');
    this.enqueue({ kind: 'init', bytes: init, mime });
  }

  push(unit: MediaUnit): void {
    if (unit.codec === 'jpeg') return unit.done();
    if (this.config && this.pendingMedia() >= MAX_PENDING) {
      // The browser is not keeping up: what waits goes, and the stream resumes at a keyframe.
      if (unit.keyframe) this.dropPendingMedia();
      else this.needKeyframe = true;
    }
    if (!this.config || (this.needKeyframe && !unit.keyframe)) {
      this.events.skipped();
      unit.done();
      return;
    }
    this.baseTime ??= unit.capturedAt;
    let ms = unit.capturedAt - this.baseTime;
    if (!(ms > this.lastTime)) ms = this.lastTime + 1; // monotonic, whatever the clock did
    const step = ms - this.lastTime;
    if (this.lastTime >= 0 && step > 1 && step < 1000) this.frameMs = this.frameMs * 0.8 + step * 0.2;
    this.lastTime = ms;
    // B-frames: the fragment says when the picture shows (its decode time plus the camera's offset).
    const offsetMs = (unit.compositionOffset ?? 0) / 90;
    const compositionOffset = Math.round((offsetMs * TIMESCALE) / 1000);
    let bytes: Uint8Array;
    try {
      bytes = mediaSegment({
        sequenceNumber: ++this.sequence,
        baseDecodeTime: Math.round((ms * TIMESCALE) / 1000),
        // The next unit's time is not known yet: the recent interval stands in for it.
        samples: [
          {
            data: unit.data,
            duration: Math.round((this.frameMs * TIMESCALE) / 1000),
            keyframe: unit.keyframe,
            ...(compositionOffset ? { compositionOffset } : {}),
          },
        ],
      });
    } catch (error) {
      this.needKeyframe = true;
      this.events.failed(error);
      unit.done();
      return;
    }
    this.needKeyframe = false;
    const frame = { seq: unit.seq, capturedAt: unit.capturedAt };
    this.enqueue({ kind: 'media', bytes, done: unit.done, time: (ms + offsetMs) / 1000, frame });
  }

  /** Forgets the stream and blanks the video (a new connection or camera follows). */
  reset(): void {
    this.close();
    this.config = undefined;
  }

  /** Kept: a reset would blank the <video>, and its last picture stays until the next connection's hello. */
  connectionLost(): void {}

  private open(mime: string): void {
    this.close();
    const Source = mediaSourceClass();
    if (!Source) {
      this.events.failed(new Error('no MediaSource'));
      return;
    }
    const source = new Source();
    this.source = source;
    this.mime = mime;
    source.addEventListener(
      'sourceopen',
      () => {
        if (source !== this.source) return;
        try {
          this.buffer = source.addSourceBuffer(this.mime);
          this.buffer.mode = 'segments';
          this.buffer.addEventListener('updateend', this.onUpdateEnd);
          this.buffer.addEventListener('error', () => this.fail(new Error('SourceBuffer error')));
        } catch (error) {
          this.fail(error);
          return;
        }
        this.pump();
      },
      { once: true },
    );
    this.objectUrl = URL.createObjectURL(source);
    this.video.src = this.objectUrl;
    this.watchFrames();
    this.timer = window.setInterval(() => this.keepLive(), 250);
  }

  private close(): void {
    for (const op of this.ops) if (op.kind === 'media') op.done();
    if (this.current?.kind === 'media') this.current.done();
    this.ops = [];
    this.current = undefined;
    this.buffer?.removeEventListener('updateend', this.onUpdateEnd);
    this.buffer = undefined;
    this.source = undefined;
    clearInterval(this.timer);
    this.timer = 0;
    if (this.frameCallback) this.video.cancelVideoFrameCallback?.(this.frameCallback);
    this.frameCallback = 0;
    if (this.objectUrl) {
      this.video.removeAttribute('src');
      this.video.load();
      URL.revokeObjectURL(this.objectUrl);
      this.objectUrl = '';
    }
    this.mime = '';
    this.needKeyframe = true;
    this.baseTime = undefined;
    this.lastTime = -1;
    this.sequence = 0;
    this.times.length = 0;
    this.lastPresented = -1;
    this.pictureValue = false;
    this.video.playbackRate = 1;
  }

  /** Drops the MediaSource after an error; the next config (or the current one, at the next keyframe) opens a new one. */
  private fail(error: unknown): void {
    const config = this.config;
    this.events.failed(error);
    this.close();
    this.config = undefined;
    if (config) this.configure(config);
  }

  private pendingMedia(): number {
    let n = 0;
    for (const op of this.ops) if (op.kind === 'media') n++;
    return n;
  }

  private dropPendingMedia(): void {
    const kept: Op[] = [];
    for (const op of this.ops) {
      if (op.kind !== 'media') kept.push(op);
      else {
        this.events.skipped();
        op.done();
      }
    }
    this.ops = kept;
  }

  private enqueue(op: Op): void {
    this.ops.push(op);
    this.pump();
  }

  private pump(): void {
    const buffer = this.buffer;
    if (!buffer || this.current || buffer.updating) return;
    const op = this.ops.shift();
    if (!op) return;
    try {
      if (op.kind === 'remove') buffer.remove(op.start, op.end);
      else {
        if (op.kind === 'init' && op.mime !== this.mime) {
          buffer.changeType(op.mime);
          this.mime = op.mime;
        }
        buffer.appendBuffer(op.bytes as Uint8Array<ArrayBuffer>);
      }
      this.current = op;
    } catch (error) {
      if (op.kind === 'media') op.done();
      if (error instanceof DOMException && error.name === 'QuotaExceededError') {
        // Full: let go of everything behind the playhead and start again at a keyframe.
        this.needKeyframe = true;
        this.events.skipped();
        const now = this.video.currentTime;
        if (now > 0.5) this.ops.unshift({ kind: 'remove', start: 0, end: now - 0.5 });
        this.pump();
      } else this.fail(error);
    }
  }

  private readonly onUpdateEnd = (): void => {
    const op = this.current;
    this.current = undefined;
    if (op?.kind === 'media') {
      this.times.push({ time: op.time, frame: op.frame });
      if (this.times.length > MAX_TIMES) this.times.shift();
      op.done();
    }
    this.keepLive();
    this.pump();
  };

  /** Plays, jumps to the live edge, nudges the rate and trims what is behind. */
  private keepLive(): void {
    const ranges = this.buffer?.buffered;
    const video = this.video;
    if (!ranges || ranges.length === 0) return;
    const last = ranges.length - 1;
    const end = ranges.end(last);
    const start = ranges.start(last);
    const now = video.currentTime;
    const behind = end - now;
    if (now < start || behind > JUMP_BEHIND_S) {
      video.currentTime = Math.max(start, end - JUMP_TARGET_S);
      video.playbackRate = 1;
      if (now > 0 || this.pictureValue) this.events.jumped();
    } else if (behind > NUDGE_BEHIND_S) video.playbackRate = NUDGE_RATE;
    else if (behind < CAUGHT_UP_S) video.playbackRate = 1;
    if (video.paused) void video.play().catch(() => undefined);
    const first = ranges.start(0);
    const queued = this.ops.some((op) => op.kind === 'remove') || this.current?.kind === 'remove';
    if (!queued && video.currentTime - first > TRIM_AFTER_S)
      this.ops.push({ kind: 'remove', start: 0, end: video.currentTime - KEEP_BEHIND_S });
  }

  private watchFrames(): void {
    const video = this.video;
    if (typeof video.requestVideoFrameCallback !== 'function') return;
    const onFrame = (_now: number, metadata: VideoFrameCallbackMetadata): void => {
      this.frameCallback = video.requestVideoFrameCallback!(onFrame);
      this.pictureValue = true;
      const skipped = this.lastPresented < 0 ? 0 : Math.max(0, metadata.presentedFrames - this.lastPresented - 1);
      this.lastPresented = metadata.presentedFrames;
      this.events.decoded();
      this.events.shown(this.frameAt(metadata.mediaTime), skipped);
    };
    this.frameCallback = video.requestVideoFrameCallback(onFrame);
  }

  /** The appended unit whose time is nearest `mediaTime`. */
  private frameAt(mediaTime: number): ShownFrame {
    let best: { time: number; frame: ShownFrame } | undefined;
    for (const entry of this.times)
      if (!best || Math.abs(entry.time - mediaTime) < Math.abs(best.time - mediaTime)) best = entry;
    return best && Math.abs(best.time - mediaTime) < 0.5 ? best.frame : { seq: 0, capturedAt: Number.NaN };
  }
}
