/**
 * One WebSocket viewer as a hub consumer: flow control and statistics.
 *
 * At most `window` units are unacknowledged (or, without acks, one not yet
 * handed to the OS). What cannot go now waits in a SendQueue: `latest` for
 * JPEG (a newer picture replaces the waiting one, counted as dropped), `gop`
 * for H.264 (the current GOP's units wait, bounded; past the bound or too old
 * the viewer skips to the next keyframe). Whatever the mode, nothing is sent
 * while more than MAX_BUFFERED_BYTES sit in user space. An H.264 viewer gets
 * a `config` message before the first unit and before the first that needs a
 * new one. onUnit runs per unit × per viewer, so it allocates nothing of its
 * own and does no JSON.
 */
import { WebSocket } from 'ws';
import { preciseNow, type CameraStatus, type Consumer, type ViewerStats } from '../../hub/consumer.js';
import { SendQueue } from '../../hub/send-queue.js';
import type { AccessUnit, Codec, TrackConfig } from '../../media/index.js';
import { MAX_BUFFERED_BYTES, MAX_WINDOW, PROTOCOL_NAME, PROTOCOL_VERSION } from '../../wire/constants.js';
import { seqDiff } from '../../wire/header.js';
import { ViewerTally } from '../viewer-tally.js';
import { configMessage, frameMessage } from './frame-message.js';

export interface ViewerOptions {
  id: string;
  camera: string;
  /** Unacknowledged units allowed, MIN_WINDOW..MAX_WINDOW. */
  window: number;
  /** False for ?ack=0: pace by the socket draining instead of by acks. */
  acks: boolean;
  remoteAddress: string;
  /** The track the viewer gets. */
  codec?: Codec;
  /** How the viewer says it decodes (`?player=`), for its statistics. */
  path?: string;
  /** Each round-trip sample (ms), as acks measure them. */
  onRtt?: (ms: number) => void;
}

/** What an ack did: the caller decides what a bad one costs. */
export type AckResult = 'freed' | 'stale' | 'never-sent';

export class WsViewer implements Consumer {
  readonly codec: Codec;
  // Unacknowledged units, oldest first, as a ring: wire seq and send time.
  private readonly unackedSeq = new Uint32Array(MAX_WINDOW);
  private readonly unackedAt = new Float64Array(MAX_WINDOW);
  private unackedHead = 0;
  private unackedCount = 0;
  /** Sends whose write callback has not fired yet. */
  private inFlight = 0;
  private readonly queue: SendQueue;
  /** Seq of the newest unit taken in: a unit seen already (a catch-up after resume) is not taken again. */
  private lastQueued: number | undefined;
  /** Wire seq of the newest unit sent; acks beyond it are protocol errors. */
  private lastSent: number | undefined;
  /** The configuration the viewer was last told (H.264). */
  private sentConfig: TrackConfig | undefined;
  private paused = false;
  private closed = false;

  // One callback for every send, made once: no closure per unit.
  private readonly afterWrite = (): void => {
    this.inFlight--;
    if (this.queue.size > 0) this.flush();
  };

  private readonly tally: ViewerTally;

  constructor(
    private readonly socket: WebSocket,
    private readonly options: ViewerOptions,
  ) {
    this.codec = options.codec ?? 'jpeg';
    this.queue = new SendQueue({ policy: this.codec === 'h264' ? 'gop' : 'latest' });
    this.tally = new ViewerTally(options.id, PROTOCOL_NAME, options.remoteAddress);
    this.tally.codec = this.codec;
    this.tally.path = options.path;
  }

  // ---- from the hub ----

  onUnit(unit: AccessUnit): void {
    if (this.paused || this.closed) return;
    if (this.lastQueued !== undefined && seqDiff(unit.seq >>> 0, this.lastQueued) <= 0) return;
    this.lastQueued = unit.seq >>> 0;
    // One clock read per unit and viewer, shared by the queue and the send.
    const now = performance.now();
    this.queue.push(unit, now);
    this.flush(now);
  }

  onStatus(status: CameraStatus): void {
    this.sendStatus(status);
  }

  stats(): ViewerStats {
    this.tally.framesDropped = this.queue.dropped;
    if (this.codec === 'h264') {
      this.tally.framesSkipped = this.queue.dropped;
      this.tally.keyframeSkips = this.queue.keyframeSkips;
    }
    return this.tally.stats();
  }

  // ---- from the client ----

  /** Cumulative: acknowledges every sent unit with seq ≤ `seq`. */
  ack(seq: number): AckResult {
    if (this.lastSent === undefined || seqDiff(seq, this.lastSent) > 0) return 'never-sent';
    let sentAt: number | undefined;
    while (this.unackedCount > 0) {
      const i = this.unackedHead;
      if (seqDiff(this.unackedSeq[i]!, seq) > 0) break;
      sentAt = this.unackedAt[i]!; // the newest acknowledged unit gives the tightest sample
      this.unackedHead = (i + 1) % MAX_WINDOW;
      this.unackedCount--;
    }
    if (sentAt === undefined) return 'stale';
    const now = performance.now();
    const sample = now - sentAt;
    this.options.onRtt?.(sample);
    // Smoothed like TCP's SRTT (RFC 6298, gain 1/8).
    const rtt = this.tally.rttMs;
    this.tally.rttMs = rtt === undefined ? sample : rtt + (sample - rtt) / 8;
    this.flush(now);
    return 'freed';
  }

  /** Nothing is sent until resume(); what waits is dropped (the next unit after resume is a keyframe). */
  pause(): void {
    this.paused = true;
    this.queue.clear();
  }

  /** Unit flow again; the caller then hands the camera's catch-up units (a picture at once). */
  resume(): boolean {
    if (!this.paused) return false;
    this.paused = false;
    return true;
  }

  // ---- text messages (rare: not on the unit path) ----

  sendHello(size: { width: number; height: number } | undefined): void {
    this.sendJson({
      type: 'hello',
      protocol: PROTOCOL_VERSION,
      camera: this.options.camera,
      codec: this.codec,
      width: size?.width ?? 0,
      height: size?.height ?? 0,
      window: this.options.window,
    });
  }

  sendStatus(status: CameraStatus): void {
    this.sendJson({
      type: 'status',
      online: status.online,
      since: status.since,
      ...(status.reason === undefined ? {} : { reason: status.reason }),
    });
  }

  sendPong(t: number): void {
    this.sendJson({ type: 'pong', t, server: preciseNow() });
  }

  /** The socket is closing: hold no unit, send nothing more. */
  close(): void {
    this.closed = true;
  }

  // ---- sending ----

  private sendJson(message: object): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  private canSend(): boolean {
    if (this.socket.readyState !== WebSocket.OPEN || this.socket.bufferedAmount >= MAX_BUFFERED_BYTES) return false;
    return this.options.acks ? this.unackedCount < this.options.window : this.inFlight === 0;
  }

  /**
   * `now`: performance.now() at the call (a flush sends in a burst: one clock read for all of it).
   * Queue ages and round trips are intervals: the monotonic clock alone, without the epoch offset
   * (performance.timeOrigin, read per unit and viewer, was a measurable share of onUnit).
   */
  private flush(now = performance.now()): void {
    while (this.queue.size > 0 && this.canSend()) {
      const unit = this.queue.shift(now);
      if (!unit) return;
      if (this.codec === 'h264' && unit.config !== this.sentConfig) {
        // Before the first unit that needs it: the viewer (re)configures its decoder.
        this.sentConfig = unit.config;
        this.socket.send(configMessage(unit.config));
      }
      const message = frameMessage(unit);
      const seq = unit.seq >>> 0;
      if (this.options.acks) {
        const i = (this.unackedHead + this.unackedCount) % MAX_WINDOW;
        this.unackedSeq[i] = seq;
        this.unackedAt[i] = now;
        this.unackedCount++;
      }
      this.lastSent = seq;
      this.tally.sent(message.length);
      this.inFlight++;
      // The callback fires once the message is handed to the OS (or with an error on close).
      this.socket.send(message, this.afterWrite);
    }
  }
}
