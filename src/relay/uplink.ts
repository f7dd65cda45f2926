/**
 * One camera on the edge's uplink while the hub wants it: a consumer of the
 * local stream's track in the session's codec.
 *
 * - JPEG: at most `window` frames unacknowledged; a frame that cannot go yet
 *   waits in a SendQueue (`latest`: a newer one replaces it), so a slow uplink
 *   lowers the frame rate instead of growing the delay.
 * - H.264: the camera's own H.264 or its encoder's (encoded once, here on the
 *   edge, only while someone wants it). It begins at a keyframe (the track's
 *   cached GOP), a `config` goes before the first unit and before any unit
 *   with a new configuration, and what cannot go yet waits in a `gop`
 *   SendQueue: bounded in units, bytes and age, skipping to the next keyframe
 *   when over, so the hub never gets a broken picture nor a growing delay.
 *
 * Both are paced below the hub's rate limit and held while ws has more than
 * `maxBufferedBytes` in user space.
 */
import type { Logger } from 'pino';
import type { CameraStream } from '../hub/camera-stream.js';
import type { CameraStatus, Consumer } from '../hub/consumer.js';
import { SendQueue } from '../hub/send-queue.js';
import type { AccessUnit, TrackConfig } from '../media/index.js';
import { seqDiff } from '../wire/header.js';
import { encodeRelayFrame, rateLimitFps, type EdgeMessage, type RelayCodec } from './protocol.js';

/** The edge's session as an uplink sees it. */
export interface UplinkSession {
  readonly open: boolean;
  /** Bytes ws holds in user space, not yet written to the socket. */
  readonly bufferedAmount: number;
  /** The hub's limit, from its hello. */
  readonly maxFrameBytes: number;
  send(message: EdgeMessage): void;
  sendFrame(message: Buffer): void;
}

/** H.264 units waiting on the edge longer than this make the uplink skip to the next keyframe. */
export const UPLINK_GOP_AGE_MS = 1000;

/** One camera on the uplink: see the top of this file. */
export class Uplink implements Consumer {
  private unsubscribe: (() => void) | undefined;
  private readonly queue: SendQueue;
  /** Wire seqs of unacknowledged frames, oldest first (at most `window`). */
  private readonly unacked: number[] = [];
  /** Pacing below the hub's rate limit (see rateLimitFps). */
  private readonly minIntervalMs: number;
  private readonly rate: number;
  /** JPEG: the earliest time of the next send. H.264: a token bucket (a GOP may go in a burst). */
  private nextAt = 0;
  private tokens: number;
  private tokensAt = performance.now();
  private paceTimer: NodeJS.Timeout | undefined;
  private warnedTooBig = false;
  /** The configuration the hub was last told (H.264), this run. */
  private sentConfig: TrackConfig | undefined;
  /** Seq of the newest unit taken in (a catch-up unit is not taken twice). */
  private lastQueued: number | undefined;

  constructor(
    private readonly session: UplinkSession,
    private readonly stream: CameraStream,
    private readonly channel: number,
    private readonly window: number,
    private readonly maxBufferedBytes: number,
    private readonly log: Logger,
    fps: number,
    readonly codec: RelayCodec = 'jpeg',
  ) {
    // 90% of the hub's limit: with at most `window` frames in flight, arrivals cannot bunch past it.
    this.rate = 0.9 * rateLimitFps(fps);
    this.minIntervalMs = 1000 / this.rate;
    // Half a second of burst: under the hub's one second, with room for the window in flight.
    this.tokens = this.burst;
    this.queue =
      codec === 'h264'
        ? new SendQueue({ policy: 'gop', maxAgeMs: UPLINK_GOP_AGE_MS })
        : new SendQueue({ policy: 'latest' });
  }

  private get burst(): number {
    return Math.max(1, Math.floor(this.rate / 2) - this.window);
  }

  /** Units never sent (replaced, or skipped to a keyframe) and times the queue skipped to a keyframe. */
  get dropped(): { units: number; keyframeSkips: number } {
    return { units: this.queue.dropped, keyframeSkips: this.queue.keyframeSkips };
  }

  start(): void {
    if (this.unsubscribe) return;
    try {
      this.unsubscribe = this.stream.subscribe(this, this.codec);
    } catch (err) {
      this.log.warn({ camera: this.stream.id, err: (err as Error).message }, 'cannot start the camera for the hub');
      return;
    }
    if (this.stream.state === 'offline') this.onStatus(this.stream.status);
    // A picture at once, not at the next frame: the latest JPEG, or the H.264 track's GOP from its keyframe.
    this.stream.catchUp(this, this.codec);
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.queue.clear();
    this.unacked.length = 0;
    this.sentConfig = undefined;
    this.lastQueued = undefined;
    clearTimeout(this.paceTimer);
    this.paceTimer = undefined;
  }

  onUnit(unit: AccessUnit): void {
    // NO SIGNAL pictures are the hub's to make: it knows the camera is offline from the status.
    if (unit.placeholder || !this.unsubscribe) return;
    const seq = unit.seq >>> 0;
    if (this.lastQueued !== undefined && seqDiff(seq, this.lastQueued) <= 0) return;
    this.lastQueued = seq;
    this.queue.push(unit, performance.now());
    this.trySend();
  }

  onStatus(status: CameraStatus): void {
    if (!status.online)
      this.session.send({
        type: 'status',
        camera: this.stream.id,
        online: false,
        ...(status.reason ? { reason: status.reason } : {}),
      });
  }

  ack(seq: number): void {
    let freed = false;
    while (this.unacked.length > 0 && seqDiff(this.unacked[0]!, seq) <= 0) {
      this.unacked.shift();
      freed = true;
    }
    if (freed) this.trySend();
  }

  trySend(): void {
    while (this.queue.size > 0 && this.session.open) {
      // Full: an ack or a write completion calls again.
      if (this.unacked.length >= this.window || this.session.bufferedAmount >= this.maxBufferedBytes) return;
      const now = performance.now();
      const wait = this.paceWait(now);
      if (wait > 0) {
        this.paceTimer ??= setTimeout(() => {
          this.paceTimer = undefined;
          this.trySend();
        }, wait);
        return;
      }
      const unit = this.queue.shift(now);
      if (!unit) return;
      if (unit.data.length > this.session.maxFrameBytes) {
        if (!this.warnedTooBig)
          this.log.warn(
            { camera: this.stream.id, bytes: unit.data.length, limit: this.session.maxFrameBytes },
            "frame over the hub's size limit: not sent",
          );
        this.warnedTooBig = true;
        // What follows an unsent H.264 unit would not decode: on from the next keyframe.
        if (this.codec === 'h264') this.queue.clear();
        continue;
      }
      this.send(unit, now);
      if (this.codec === 'jpeg') return; // one JPEG per call, as before: the pacer spaces them
    }
  }

  /** Ms to wait before the next send may go (0: now); a send is counted by send(). */
  private paceWait(now: number): number {
    if (this.codec === 'jpeg') return Math.max(0, this.nextAt - now);
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.tokensAt) * this.rate) / 1000);
    this.tokensAt = now;
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * 1000) / this.rate);
  }

  private send(unit: AccessUnit, now: number): void {
    if (this.codec === 'h264' && unit.config !== this.sentConfig) {
      // Before the first unit that needs it: the hub checks it and (re)configures the camera's track.
      this.sentConfig = unit.config;
      const description = unit.config.description;
      this.session.send({
        type: 'config',
        camera: this.stream.id,
        codec: unit.config.codecString,
        width: unit.config.width,
        height: unit.config.height,
        description: description
          ? Buffer.from(description.buffer, description.byteOffset, description.length).toString('base64')
          : '',
      });
    }
    const seq = unit.seq >>> 0;
    this.unacked.push(seq);
    this.nextAt = now + this.minIntervalMs;
    this.tokens -= 1;
    this.session.sendFrame(encodeRelayFrame(this.channel, seq, unit.receivedAt, unit.data, this.codec, unit.keyframe));
  }
}
