/**
 * The WebCodecs path: H.264 (H.265) access units → VideoFrames with WebCodecs' VideoDecoder
 * (secure contexts only), handed to the canvas presenter, which draws the latest at
 * the display's pace and closes every frame it replaces.
 *
 * - Configured from the `config` message (codec string and avcC as
 *   `description`, or hvcC); a new config configures a new decoder, which starts at
 *   the next keyframe.
 * - Until a keyframe, delta units are let go (acked, counted as skipped):
 *   the server sends a keyframe after any gap, so this only happens after a
 *   decoder error or a reset.
 * - Each unit is acked once decode() has it, unless the decoder's own queue
 *   is longer than MAX_QUEUE: then acks wait (in order) for it to drain, so a
 *   slow device slows the server down instead of queueing.
 */
import type { Decoder, DecoderEvents } from './decoder.js';
import type { MediaUnit, ShownFrame, TrackConfig, VideoConfig } from './media.js';
import { sameConfig } from './media.js';
import type { CanvasPresenter } from './presenter.js';

/** Chunks queued in the decoder before acks are held back. */
const MAX_QUEUE = 2;
/** Units decoded but not yet output that are remembered (seq, capture time), at most. */
const MAX_IN_FLIGHT = 64;
/** A decode-time step longer than this (5 s at 90 kHz) is a jump in the camera's clock, not a picture's duration. */
const MAX_CLOCK_STEP = 5 * 90_000;

export class WebCodecsDecoder implements Decoder {
  readonly path = 'webcodecs';
  readonly surface = 'canvas';
  private decoder: VideoDecoder | undefined;
  private config: VideoConfig | undefined;
  private needKeyframe = true;
  private lastTimestamp = 0;
  /** The last unit's decode time on the camera's clock (90 kHz, modulo 2^32), when its header had one. */
  private lastDts: number | undefined;
  /** By chunk timestamp: what the frame that comes out of it is. */
  private readonly inFlight = new Map<number, ShownFrame>();
  /** Acks held while the decoder's queue is long, oldest first. */
  private held: (() => void)[] = [];
  /** Decode time, for the stats: mean over recent frames, ms. */
  private decodeMs = 0;
  private readonly started = new Map<number, number>();

  constructor(
    private readonly presenter: CanvasPresenter,
    private readonly events: Pick<DecoderEvents, 'decoded' | 'skipped' | 'failed'>,
  ) {}

  get hasPicture(): boolean {
    return this.presenter.hasPicture;
  }

  get pictureSize(): { width: number; height: number } {
    return this.presenter.pictureSize;
  }

  /** Mean time from decode() to the frame coming out, ms (0 before the first). */
  get decodeTimeMs(): number {
    return this.decodeMs;
  }

  configure(config: TrackConfig): void {
    if (this.config && sameConfig(this.config, config) && this.decoder?.state === 'configured') return;
    this.config = config;
    this.open();
  }

  push(unit: MediaUnit): void {
    if (unit.codec === 'jpeg') return unit.done();
    if (this.decoder?.state !== 'configured' && this.config && unit.keyframe) this.open();
    const decoder = this.decoder;
    if (!decoder || decoder.state !== 'configured' || (this.needKeyframe && !unit.keyframe)) {
      this.events.skipped();
      unit.done();
      return;
    }
    // Chunks go in decode order; a chunk's timestamp is its presentation time (B-frames: later than
    // its decode time by the camera's offset), unique among those in flight. Decode times step as the
    // camera's own clock does where the header has it: arrival times jitter by milliseconds, and a
    // B-frame's presentation time built on one could fall before its neighbour's.
    const dts = unit.pts === undefined ? undefined : (unit.pts - (unit.compositionOffset ?? 0)) >>> 0;
    // The step since the last unit, modulo 2^32 as the header's times are; a jump (a restart) or none: arrival.
    const step = dts !== undefined && this.lastDts !== undefined ? (dts - this.lastDts) | 0 : 0;
    const decodeTime =
      step > 0 && step <= MAX_CLOCK_STEP
        ? this.lastTimestamp + Math.max(1, Math.round((step * 1000) / 90))
        : Math.max(this.lastTimestamp + 1, Math.round(unit.capturedAt * 1000));
    this.lastTimestamp = decodeTime;
    this.lastDts = dts;
    let timestamp = decodeTime + Math.round(((unit.compositionOffset ?? 0) * 1000) / 90);
    while (this.inFlight.has(timestamp)) timestamp++;
    try {
      decoder.decode(new EncodedVideoChunk({ type: unit.keyframe ? 'key' : 'delta', timestamp, data: unit.data }));
    } catch (error) {
      this.needKeyframe = true;
      this.events.failed(error);
      unit.done();
      return;
    }
    this.needKeyframe = false;
    if (this.inFlight.size >= MAX_IN_FLIGHT) {
      const oldest = this.inFlight.keys().next().value;
      if (oldest !== undefined) this.inFlight.delete(oldest);
    }
    this.inFlight.set(timestamp, {
      seq: unit.seq,
      capturedAt: unit.capturedAt,
      ...(unit.pts === undefined ? {} : { pts: unit.pts }),
    });
    this.started.set(timestamp, performance.now());
    if (this.started.size > MAX_IN_FLIGHT) this.started.delete(this.started.keys().next().value ?? 0);
    this.held.push(unit.done);
    this.releaseAcks();
  }

  /** Forgets the stream (another connection follows, with its own config). */
  reset(): void {
    this.closeDecoder();
    this.config = undefined;
    this.lastTimestamp = 0;
    this.lastDts = undefined;
  }

  /** The decoder goes; the presenter keeps the picture. */
  connectionLost(): void {
    this.reset();
  }

  private open(): void {
    this.closeDecoder();
    const config = this.config;
    if (!config) return;
    const decoder: VideoDecoder = new VideoDecoder({
      output: (frame) => this.onOutput(decoder, frame),
      error: (error) => this.onError(decoder, error),
    });
    decoder.addEventListener('dequeue', () => {
      if (decoder === this.decoder) this.releaseAcks();
    });
    try {
      decoder.configure({
        codec: config.codec,
        description: config.description,
        codedWidth: config.width,
        codedHeight: config.height,
        optimizeForLatency: true,
      });
    } catch (error) {
      // A config VideoDecoder rejects outright (TypeError): nothing to decode until a new one.
      decoder.close();
      this.config = undefined;
      this.events.failed(error);
      return;
    }
    this.decoder = decoder;
    this.needKeyframe = true;
  }

  private onOutput(decoder: VideoDecoder, frame: VideoFrame): void {
    if (decoder !== this.decoder) {
      frame.close();
      return;
    }
    const info = this.inFlight.get(frame.timestamp);
    this.inFlight.delete(frame.timestamp);
    const start = this.started.get(frame.timestamp);
    this.started.delete(frame.timestamp);
    if (start !== undefined) {
      const ms = performance.now() - start;
      this.decodeMs = this.decodeMs === 0 ? ms : this.decodeMs * 0.9 + ms * 0.1;
    }
    this.releaseAcks();
    this.events.decoded();
    // The presenter closes it once it is replaced.
    this.presenter.show({
      bitmap: frame,
      seq: info?.seq ?? 0,
      capturedAt: info?.capturedAt ?? Number.NaN,
      ...(info?.pts === undefined ? {} : { pts: info.pts }),
    });
  }

  private onError(decoder: VideoDecoder, error: DOMException): void {
    if (decoder !== this.decoder) return;
    // The decoder is closed now; the next keyframe opens a new one with the same config.
    this.decoder = undefined;
    this.needKeyframe = true;
    this.flushAcks();
    this.events.failed(error);
  }

  private releaseAcks(): void {
    // The newest units beyond MAX_QUEUE still in the decoder's queue keep their acks; the rest go.
    const keep = Math.max(0, (this.decoder?.decodeQueueSize ?? 0) - MAX_QUEUE);
    while (this.held.length > keep) this.held.shift()?.();
  }

  private flushAcks(): void {
    const held = this.held;
    this.held = [];
    for (const done of held) done();
  }

  private closeDecoder(): void {
    const decoder = this.decoder;
    this.decoder = undefined;
    if (decoder && decoder.state !== 'closed') decoder.close();
    this.inFlight.clear();
    this.started.clear();
    this.needKeyframe = true;
    this.flushAcks();
  }
}
