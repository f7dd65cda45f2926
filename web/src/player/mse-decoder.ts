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
 *
 * Sound (an unmuted player): a second SourceBuffer in the same MediaSource (mse-audio-buffer.ts), so the
 * <video> plays picture and sound on its one clock. A unit's pts (the camera's media clock, which the
 * video's pts share) is put on the video's timeline through the pictures' pts and times (placeAnchor). The live edge is
 * then where both are buffered (the element's own ranges), and a jump lands AUDIO_MARGIN_S further back
 * (a sound unit lasts up to 64 ms). Adding (or dropping) the sound needs a new MediaSource: the pictures
 * since the last keyframe are kept (up to MAX_GOP_BYTES) and appended to it again, so the video goes on
 * without waiting for the next keyframe. Sound that stops (nothing appended for AUDIO_STALE_MS while
 * pictures come) or fails is dropped: the video goes on alone, never stalled by a missing sound buffer
 * (sound that stopped comes back once its units flow again, mse-audio-output.ts).
 */
import { initSegment, mediaSegment, mimeType } from '../../../src/codec/mp4/fmp4.js';
import type { Decoder, DecoderEvents } from './decoder.js';
import type { MediaUnit, ShownFrame, TrackConfig, VideoConfig } from './media.js';
import { isHevc, sameConfig } from './media.js';
import type { MseAudioBuffer } from './mse-audio-buffer.js';
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
/** The pictures since the last keyframe kept to start a new MediaSource with, at most. */
const MAX_GOP_BYTES = 8 * 1024 * 1024;
const MAX_GOP_UNITS = 600;
/** Pictures deviating from the sound's anchor by more than this on average: it moves to them. */
const REANCHOR_S = 0.02;
const ANCHOR_WINDOW = 25;
/** One picture this far from it: the stream jumped (a gap, a new source), and the anchor starts again. */
const JUMPED_S = 1;
/** With sound, a jump lands this much further behind the live edge. */
const AUDIO_MARGIN_S = 0.1;
/** No sound appended for this long while pictures come: the sound is dropped. */
const AUDIO_STALE_MS = 1000;

type Op =
  | { kind: 'init'; bytes: Uint8Array; mime: string }
  | { kind: 'media'; bytes: Uint8Array; done: () => void; time: number; frame: ShownFrame }
  | { kind: 'remove'; start: number; end: number };
type MediaOp = Extract<Op, { kind: 'media' }>;
const NOTHING = (): void => undefined;

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
  /** The current init segment, and the media segments since the last keyframe (undefined: too many). */
  private init: Extract<Op, { kind: 'init' }> | undefined;
  private gop: MediaOp[] | undefined;
  private gopBytes = 0;
  /** The sound's SourceBuffer, when there is sound. */
  private audio: MseAudioBuffer | undefined;
  /** A picture's pts (90 kHz, mod 2^32) and its time on the timeline (s): where sound is placed. */
  private anchor: { pts: number; time: number } | undefined;
  private deviation = { sum: 0, count: 0 };
  /** When (performance.now()) the last picture was pushed. */
  private pushedAt = -Infinity;

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

  /** The sound decoded in the <video> (bytes; Chromium's counter, 0 elsewhere). */
  get audioDecodedBytes(): number {
    return (this.video as HTMLVideoElement & { webkitAudioDecodedByteCount?: number }).webkitAudioDecodedByteCount ?? 0;
  }

  /** The sound's SourceBuffer now (undefined: none, or dropped). */
  get audioBuffer(): MseAudioBuffer | undefined {
    return this.audio;
  }

  /**
   * Plays `audio` in this MediaSource (undefined: no sound). An open MediaSource is replaced by one with (or
   * without) it, the pictures since the last keyframe appended again.
   */
  setAudio(audio: MseAudioBuffer | undefined): void {
    if (audio === this.audio) return;
    const had = this.audio?.attached === true;
    this.audio?.detach();
    this.audio = audio;
    this.video.muted = !audio;
    if (this.buffer || had) this.reopen();
  }

  /** Where a sound of media time `pts` (90 kHz, mod 2^32) goes on the timeline (s); undefined before a picture. */
  audioTime(pts: number): number | undefined {
    const anchor = this.anchor;
    return anchor && anchor.time + ((pts - anchor.pts) | 0) / TIMESCALE;
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
    this.init = { kind: 'init', bytes: init, mime };
    this.enqueue(this.init);
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
    const time = (ms + offsetMs) / 1000;
    this.pushedAt = performance.now();
    if (unit.pts !== undefined) this.placeAnchor(unit.pts, time);
    const op: MediaOp = { kind: 'media', bytes, done: unit.done, time, frame };
    this.keepGop(op, unit.keyframe);
    this.enqueue(op);
  }

  /**
   * The sound's anchor: set at the first picture, then corrected by the pictures' mean deviation from it over
   * each ANCHOR_WINDOW of them when that exceeds REANCHOR_S (a picture's time carries its arrival's jitter;
   * their mean does not), so the sound stays gapless and follows the pictures' clock if it drifts.
   */
  private placeAnchor(pts: number, time: number): void {
    const placed = this.audioTime(pts);
    if (placed === undefined || Math.abs(placed - time) > JUMPED_S) {
      this.anchor = { pts, time };
      this.deviation = { sum: 0, count: 0 };
      return;
    }
    // Kept at the newest picture (the same mapping), so the 2^32 wrap never matters.
    this.anchor = { pts, time: placed };
    this.deviation.sum += time - placed;
    if (++this.deviation.count < ANCHOR_WINDOW) return;
    const mean = this.deviation.sum / this.deviation.count;
    if (Math.abs(mean) > REANCHOR_S) this.anchor.time += mean;
    this.deviation = { sum: 0, count: 0 };
  }

  private keepGop(op: MediaOp, keyframe: boolean): void {
    if (keyframe) {
      this.gop = [];
      this.gopBytes = 0;
    }
    if (!this.gop) return;
    this.gopBytes += op.bytes.byteLength;
    if (this.gopBytes > MAX_GOP_BYTES || this.gop.length >= MAX_GOP_UNITS) this.gop = undefined;
    else this.gop.push({ ...op, done: NOTHING });
  }

  /** Forgets the stream and blanks the video (a new connection or camera follows). */
  reset(): void {
    this.close();
    this.config = undefined;
    this.audio?.detach();
    this.audio = undefined;
    this.video.muted = true;
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
    this.mime = mime;
    this.attachSource(new Source());
    this.watchFrames();
    this.timer = window.setInterval(() => this.keepLive(), 250);
  }

  private attachSource(source: MediaSource): void {
    this.source = source;
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
        try {
          this.audio?.attach(source);
        } catch (error) {
          // The video goes on alone.
          this.audio = undefined;
          this.video.muted = true;
          this.events.failed(error);
        }
        this.pump();
      },
      { once: true },
    );
    this.objectUrl = URL.createObjectURL(source);
    this.video.src = this.objectUrl;
  }

  /**
   * A new MediaSource for the same stream (the sound added or dropped): the init segment and the pictures
   * since the last keyframe go to it again, then what comes next; the timeline stays.
   */
  private reopen(): void {
    const Source = mediaSourceClass();
    if (!Source || !this.init) return;
    for (const op of this.ops) if (op.kind === 'media') op.done();
    if (this.current?.kind === 'media') this.current.done();
    this.current = undefined;
    this.buffer?.removeEventListener('updateend', this.onUpdateEnd);
    this.buffer = undefined;
    if (this.objectUrl) URL.revokeObjectURL(this.objectUrl);
    this.ops = [this.init, ...(this.gop ?? [])];
    if (!this.gop) this.needKeyframe = true;
    this.mime = this.init.mime;
    this.attachSource(new Source());
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
    this.init = undefined;
    this.gop = undefined;
    this.gopBytes = 0;
    this.anchor = undefined;
    this.audio?.detach();
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
    const video = this.video;
    const audio = this.audio?.attached ? this.audio : undefined;
    const now0 = performance.now();
    if (audio && now0 - audio.appendedAt > AUDIO_STALE_MS && now0 - this.pushedAt < AUDIO_STALE_MS) {
      // The sound stopped (or never came) while pictures do: the video goes on alone.
      this.setAudio(undefined);
      return;
    }
    // With sound, the element plays only where both are buffered: its own ranges.
    const ranges = audio ? (this.buffer ? video.buffered : undefined) : this.buffer?.buffered;
    if (!ranges || ranges.length === 0) return;
    const last = ranges.length - 1;
    const end = ranges.end(last);
    const start = ranges.start(last);
    const now = video.currentTime;
    const behind = end - now;
    if (now < start || behind > JUMP_BEHIND_S) {
      video.currentTime = Math.max(start, end - JUMP_TARGET_S - (audio ? AUDIO_MARGIN_S : 0));
      video.playbackRate = 1;
      if (now > 0 || this.pictureValue) this.events.jumped();
    } else if (behind > NUDGE_BEHIND_S) video.playbackRate = NUDGE_RATE;
    else if (behind < CAUGHT_UP_S) video.playbackRate = 1;
    if (video.paused)
      void video.play().catch(() => {
        // Sound not allowed to start without a gesture: the pictures go on, silent.
        if (!video.muted) {
          video.muted = true;
          void video.play().catch(() => undefined);
        }
      });
    audio?.trim(video.currentTime);
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
