/**
 * One camera on the edge's uplink while the hub wants it: a consumer of the
 * local stream's track in the session's codec, sending through a PacedSender
 * (src/stream, the same send path as a viewer's) over the session's socket.
 *
 * - JPEG: at most `window` frames unacknowledged; a frame that cannot go yet
 *   waits in the sender's queue (`latest`: a newer one replaces it), so a slow
 *   uplink lowers the frame rate instead of growing the delay.
 * - H.264: the camera's own H.264 or its encoder's (encoded once, here on the
 *   edge, only while someone wants it). It begins at a keyframe (the track's
 *   cached GOP), a `config` goes before the first unit and before any unit
 *   with a new configuration, and what cannot go yet waits in a `gop` queue:
 *   bounded in units, bytes and age, skipping to the next keyframe when over,
 *   so the hub never gets a broken picture nor a growing delay.
 *
 * Both are paced below the hub's rate limit (JPEG evenly, H.264 by a token
 * bucket so that a GOP may go in a burst) and held while ws has more than
 * `maxBufferedBytes` in user space.
 *
 * A start with `from` (the hub records the camera around an event) on a camera the edge buffers
 * (edge-buffer.ts) replays the buffer first: from its keyframe at or before `from`, unit after unit as
 * the sender has room (a cursor over the buffer, which keeps growing with the live units meanwhile),
 * flagged as buffered, until the cursor meets the live stream; then live as above.
 */
import type { Logger } from 'pino';
import type { CameraStream } from '../hub/camera-stream.js';
import type { CameraStatus, Consumer } from '../hub/consumer.js';
import type { AccessUnit, TrackConfig } from '../media/index.js';
import { PacedSender } from '../stream/paced-sender.js';
import { bucketPacer, everyPacer } from '../stream/pacer.js';
import type { UnitTransport } from '../stream/transport.js';
import { configFields } from '../wire/config-message.js';
import { AudioUplink } from './audio-uplink.js';
import type { EdgeBuffer } from './edge-buffer.js';
import { rateLimitFps, type RelayAudioCodec, type RelayCodec } from './protocol.js';
import { type EdgeMessage } from './messages.js';
import { encodeRelayFrame } from './frames.js';

/** The edge's session as an uplink sees it. */
export interface UplinkSession {
  readonly open: boolean;
  /** Bytes ws holds in user space, not yet written to the socket. */
  readonly bufferedAmount: number;
  /** The hub's limit, from its hello. */
  readonly maxFrameBytes: number;
  /** The audio codecs the hub takes on this connection (none: no audio goes). */
  readonly audio: readonly RelayAudioCodec[];
  send(message: EdgeMessage): void;
  sendFrame(message: Buffer): void;
}

/** Units a replay puts in the sender's queue ahead of what it can send. */
const REPLAY_AHEAD = 4;

/** H.264 units waiting on the edge longer than this make the uplink skip to the next keyframe. */
export const UPLINK_GOP_AGE_MS = 1000;

/** One camera's frames on the session's socket, in the publisher protocol (its channel in each frame header). */
class UplinkTransport implements UnitTransport {
  constructor(
    private readonly session: UplinkSession,
    private readonly camera: string,
    private readonly channel: number,
    private readonly codec: RelayCodec,
    /** Told when a unit went (the camera's audio waits for its video); true: it was buffered. */
    private readonly sentUnit: (unit: AccessUnit, buffered: boolean) => void,
  ) {}

  /** Units up to this seq are from the edge's buffer (this start's replay); -1: none. */
  bufferedThrough = -1;

  get writable(): boolean {
    return this.session.open;
  }

  get bufferedBytes(): number {
    return this.session.bufferedAmount;
  }

  sendConfig(config: TrackConfig): void {
    // The hub checks it and (re)configures the camera's track.
    this.session.send({ type: 'config', camera: this.camera, ...configFields(config) });
  }

  /** The session's own write callback (it gives every camera a turn) paces the uplinks: `written` is not used. */
  sendUnit(unit: AccessUnit, seq: number): number {
    // H.264 goes with its media times: the hub keeps the camera's clock (JPEG's are the edge's arrival).
    const times = this.codec === 'h264' ? { dts: unit.dts, compositionOffset: unit.pts - unit.dts } : undefined;
    const buffered = unit.seq <= this.bufferedThrough;
    const frame = encodeRelayFrame(
      this.channel,
      seq,
      unit.capturedAt,
      unit.data,
      this.codec,
      unit.keyframe,
      times,
      buffered,
    );
    this.session.sendFrame(frame);
    this.sentUnit(unit, buffered);
    return frame.length;
  }
}

/** One camera on the uplink: see the top of this file. */
export class Uplink implements Consumer {
  private unsubscribe: (() => void) | undefined;
  private readonly sender: PacedSender;
  private warnedTooBig = false;
  /** The camera's audio, with an H.264 uplink whose hub takes audio. */
  readonly audio: AudioUplink | undefined;
  private unsubscribeAudio: (() => void) | undefined;
  private readonly transport: UplinkTransport;
  /** The buffer being replayed (a start with `from`), until the replay meets the live stream. */
  private replay: EdgeBuffer | undefined;
  /** The replay's cursor: the seq of the last unit it took from the buffer. */
  private cursor = -1;
  /** The seq of the newest unit sent on this connection (a replay never sends one again). */
  private lastSent = -1;

  constructor(
    private readonly session: UplinkSession,
    private readonly stream: CameraStream,
    channel: number,
    window: number,
    maxBufferedBytes: number,
    private readonly log: Logger,
    fps: number,
    readonly codec: RelayCodec = 'jpeg',
  ) {
    // 90% of the hub's limit: with at most `window` frames in flight, arrivals cannot bunch past it.
    const rate = 0.9 * rateLimitFps(fps);
    // H.264: half a second of burst, under the hub's one second, with room for the window in flight.
    const burst = Math.max(1, Math.floor(rate / 2) - window);
    if (codec === 'h264' && session.audio.length > 0)
      this.audio = new AudioUplink(session, stream.id, channel, session.audio, maxBufferedBytes, log);
    const sentUnit = (unit: AccessUnit, buffered: boolean): void => {
      this.lastSent = Math.max(this.lastSent, unit.seq);
      // Live audio goes with live video: not beside the buffer's older pictures.
      if (this.audio && !buffered) this.audio.videoSent = true;
    };
    this.transport = new UplinkTransport(session, stream.id, channel, codec, sentUnit);
    this.sender = new PacedSender({
      transport: this.transport,
      queue: codec === 'h264' ? { policy: 'gop', maxAgeMs: UPLINK_GOP_AGE_MS } : { policy: 'latest' },
      window,
      maxWindow: window,
      acks: true,
      maxBufferedBytes,
      sendsConfig: codec === 'h264',
      pacer: codec === 'h264' ? bucketPacer(rate, burst) : everyPacer(rate),
    });
  }

  /** Units never sent (replaced, or skipped to a keyframe) and times the queue skipped to a keyframe. */
  get dropped(): { units: number; keyframeSkips: number } {
    return { units: this.sender.queue.dropped, keyframeSkips: this.sender.queue.keyframeSkips };
  }

  /**
   * The hub wants the camera. `from` and `buffer` (a start for an event, on a camera this edge buffers):
   * the buffered video from `from` on goes first.
   */
  start(from?: number, buffer?: EdgeBuffer): void {
    if (this.unsubscribe) return;
    try {
      this.unsubscribe = this.stream.subscribe(this, this.codec);
    } catch (err) {
      this.log.warn({ camera: this.stream.id, err: (err as Error).message }, 'cannot start the camera for the hub');
      return;
    }
    if (this.audio) {
      this.audio.reset();
      this.unsubscribeAudio = this.stream.subscribeAudio(this.audio);
    }
    if (this.stream.state === 'offline') this.onStatus(this.stream.status);
    const first = from !== undefined && this.codec === 'h264' ? buffer?.from(from, this.lastSent) : undefined;
    if (first && buffer) {
      this.replay = buffer;
      this.cursor = first.seq - 1;
      this.pump();
      return;
    }
    // A picture at once, not at the next frame: the latest JPEG, or the H.264 track's GOP from its keyframe.
    this.stream.catchUp(this, this.codec);
  }

  /**
   * Feeds the sender from the buffer while it has room (a few units waiting at most, so none ages out of
   * its queue), until the cursor has taken the newest unit: the replay is over, live units go as they come.
   */
  private pump(): void {
    const buffer = this.replay;
    if (!buffer) return;
    const now = performance.now();
    while (this.sender.queue.size < REPLAY_AHEAD) {
      const next = buffer.after(this.cursor);
      if (!next) {
        this.replay = undefined;
        return;
      }
      // The buffer dropped what came between (over its bound, the camera offline): on from a keyframe.
      if (next.seq !== this.cursor + 1 && !next.keyframe) this.sender.queue.clear();
      this.cursor = next.seq;
      this.transport.bufferedThrough = next.seq;
      if (next.data.length > this.session.maxFrameBytes) {
        this.sender.queue.clear();
        continue;
      }
      this.sender.push(next, now);
    }
  }

  stop(): void {
    this.replay = undefined;
    this.transport.bufferedThrough = -1;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.unsubscribeAudio?.();
    this.unsubscribeAudio = undefined;
    this.sender.reset();
  }

  onUnit(unit: AccessUnit): void {
    // NO SIGNAL pictures are the hub's to make: it knows the camera is offline from the status.
    if (unit.placeholder || !this.unsubscribe) return;
    // Replaying: the buffer has this unit too, and the cursor takes it in turn.
    if (this.replay) return this.pump();
    if (unit.data.length > this.session.maxFrameBytes) {
      if (!this.warnedTooBig)
        this.log.warn(
          { camera: this.stream.id, bytes: unit.data.length, limit: this.session.maxFrameBytes },
          "frame over the hub's size limit: not sent",
        );
      this.warnedTooBig = true;
      // What follows an unsent H.264 unit would not decode: on from the next keyframe.
      this.sender.queue.clear();
      return;
    }
    this.sender.push(unit, performance.now());
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
    this.sender.ack(seq, performance.now());
    this.pump();
  }

  /** A write completed (the session gives every camera a turn): what waits may go. */
  trySend(): void {
    this.sender.flush();
    this.pump();
  }
}
