/**
 * One WebSocket viewer as a hub consumer: what the hub hands it goes through its PacedSender
 * (src/stream: the ack window, the send queue, the `config` before the units that need it) to its
 * socket (ws-transport.ts); its H.264 quality and the moves between the camera's tracks are
 * quality-switch.ts's; the rest here is the viewer's side of the protocol: acks, pause and resume,
 * the text messages, its statistics and round trips.
 *
 * Flow control: at most `window` units are unacknowledged (or, with `?ack=0`, one not yet handed to
 * the OS); nothing is sent while more than MAX_BUFFERED_BYTES sit in user space. What cannot go now
 * waits: `latest` for JPEG (a newer picture replaces the waiting one, counted as dropped), `gop` for
 * H.264 and H.265 (the current GOP's units wait, bounded; past the bound or too old the viewer skips
 * to the next keyframe). Keyframes only: one in flight, a newer keyframe replacing the waiting one.
 *
 * onUnit runs per unit × per viewer, so it allocates nothing of its own and does no JSON.
 */
import { WebSocket } from 'ws';
import { preciseNow, type CameraStatus, type Consumer, type Quality, type ViewerStats } from '../../hub/consumer.js';
import type { AccessUnit, Codec } from '../../media/index.js';
import type { AckResult } from '../../stream/ack-window.js';
import { PacedSender } from '../../stream/paced-sender.js';
import { MAX_BUFFERED_BYTES, MAX_WINDOW, PROTOCOL_NAME, PROTOCOL_VERSION } from '../../wire/constants.js';
import { ViewerTally } from '../viewer-tally.js';
import type { Level, Rates } from './adaptation.js';
import { QualitySwitch, type QualityReason, type QualityRequest } from './quality-switch.js';
import { WsTransport } from './ws-transport.js';

export type { AckResult } from '../../stream/ack-window.js';
export type { QualityReason, QualityRequest } from './quality-switch.js';

/**
 * Round trips go to the camera's histogram at most this often per viewer: each viewer weighs the same whatever
 * its frame rate, and the histogram is not fed once per ack (a measurable share of the ack path at 30 fps).
 */
export const RTT_REPORT_MS = 250;

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
  /** A round-trip sample (ms) from an ack, at most one per RTT_REPORT_MS. */
  onRtt?: (ms: number) => void;
  /** H.264: `?quality=`; undefined: main, and no `quality` message (v1 behaviour). */
  quality?: QualityRequest;
  /** H.264: the camera can make the `quality` stream (sub, low); none: main only. */
  has?: (quality: Quality) => boolean;
  /** Subscribes the viewer to one of the camera's H.264 tracks (or its codec's only one); returns the undo. */
  subscribe?: (quality: Quality) => () => void;
  /** The camera's stream rates (kbit/s), for adaptation. */
  rates?: (into: Rates) => void;
  /** The camera is online (a silent sub-stream then means it is not delivering). */
  online?: () => boolean;
  /** A move decided (`to`, waiting for its keyframe) or done (`at`): for the logs. */
  onMove?: (event: { phase: 'decided' | 'done'; from: Level; to: Level; reason: QualityReason }) => void;
}

export class WsViewer implements Consumer {
  readonly codec: Codec;
  private readonly sender: PacedSender;
  private readonly quality: QualitySwitch;
  /** When onRtt last had a sample. */
  private rttReportedAt = -Infinity;
  private paused = false;
  private closed = false;
  private readonly tally: ViewerTally;

  constructor(
    private readonly socket: WebSocket,
    private readonly options: ViewerOptions,
  ) {
    this.codec = options.codec ?? 'jpeg';
    this.tally = new ViewerTally(options.id, PROTOCOL_NAME, options.remoteAddress);
    this.tally.codec = this.codec;
    this.tally.path = options.path;
    this.sender = new PacedSender({
      transport: new WsTransport(socket),
      queue: { policy: this.codec === 'jpeg' ? 'latest' : 'gop' },
      window: options.window,
      maxWindow: MAX_WINDOW,
      acks: options.acks,
      maxBufferedBytes: MAX_BUFFERED_BYTES,
      sendsConfig: this.codec !== 'jpeg',
      onSent: (bytes) => this.tally.sent(bytes),
    });
    const sender = this.sender;
    this.quality = new QualitySwitch(
      {
        has: (quality) => quality === 'main' || (this.codec === 'h264' && (options.has?.(quality) ?? false)),
        subscribe: (quality) => options.subscribe?.(quality) ?? ((): void => {}),
        rates: (into) => options.rates?.(into),
        online: () => options.online?.() ?? true,
        link: (into, now) => {
          into.ackedBytes = sender.acked.ackedBytes;
          into.keyframeSkips = sender.queue.keyframeSkips;
          // What waits for this viewer: in the link (unacknowledged) and here (queued), whichever waited longest.
          into.oldestUnackedMs = sender.oldestWait(now);
        },
        hold: () => sender.queue.clear(),
        moved: () => {
          sender.switchTrack();
          this.applyLevel();
          this.sendQuality();
        },
        ...(options.onMove ? { onMove: options.onMove } : {}),
      },
      this.codec === 'h264' ? (options.quality ?? 'main') : 'main',
      performance.now(),
    );
    this.applyLevel();
  }

  /** The track the viewer receives now: its catch-up comes from there. */
  get track(): Quality {
    return this.quality.track;
  }

  /** Units flow to the viewer (not paused, not closed): its audio goes too. */
  get receiving(): boolean {
    return !this.paused && !this.closed;
  }

  /** Subscribes to the track of the starting quality (the camera may throw: it is closing). */
  open(): void {
    this.quality.open();
  }

  // ---- from the hub ----

  onUnit(unit: AccessUnit, quality: Quality = 'main'): void {
    if (this.paused || this.closed) return;
    // One clock read per unit and viewer, shared by the queue and the send.
    const now = performance.now();
    const switcher = this.quality;
    if (switcher.admit(unit, quality, now)) {
      // Keyframes only: a newer keyframe replaces the one still waiting (latest wins).
      if (switcher.level === 'keyframes' && this.sender.queue.size > 0) this.sender.queue.clear();
      this.sender.push(unit, now);
    }
    if (switcher.controller && !this.closed) switcher.adapt(now);
  }

  onStatus(status: CameraStatus): void {
    // What waits was made before the outage: sent after the offline status, it would say the camera
    // is live again. The camera comes back at a keyframe, which the emptied queue waits for.
    if (!status.online) this.sender.queue.clear();
    this.sendStatus(status);
  }

  stats(): ViewerStats {
    const queue = this.sender.queue;
    this.tally.framesDropped = queue.dropped;
    if (this.codec !== 'jpeg') {
      this.tally.framesSkipped = queue.dropped;
      this.tally.keyframeSkips = queue.keyframeSkips;
    }
    const stats = this.tally.stats();
    if (this.codec !== 'h264' || this.options.quality === undefined) return stats;
    const controller = this.quality.controller;
    return {
      ...stats,
      quality: this.quality.level,
      qualityReason: this.quality.reason,
      qualitySwitches: this.quality.switches,
      ...(controller ? { ackedBytesPerSecond: Math.round((controller.goodputKbps * 1000) / 8) } : {}),
    };
  }

  // ---- from the client ----

  /** Cumulative: acknowledges every sent unit with seq ≤ `seq`. */
  ack(seq: number): AckResult {
    const now = performance.now();
    const result = this.sender.ack(seq, now);
    if (result !== 'freed') return result;
    const acked = this.sender.acked.sample;
    const sample = now - acked.newestSentAt; // the newest acknowledged unit gives the tightest sample
    const controller = this.quality.controller;
    if (controller) {
      controller.rtt(sample, now, acked.bytes);
      controller.burst(acked.bytes, now - acked.oldestSentAt, now);
    }
    if (now - this.rttReportedAt >= RTT_REPORT_MS) {
      this.rttReportedAt = now;
      this.options.onRtt?.(sample);
    }
    // Smoothed like TCP's SRTT (RFC 6298, gain 1/8).
    const rtt = this.tally.rttMs;
    this.tally.rttMs = rtt === undefined ? sample : rtt + (sample - rtt) / 8;
    if (controller && !this.closed) this.quality.adapt(now);
    return 'freed';
  }

  /** Nothing is sent until resume(); what waits is dropped (the next unit after resume is a keyframe). */
  pause(): void {
    this.paused = true;
    this.sender.dropWaiting();
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

  /** H.264 with `?quality=`: what the viewer receives now and why (at the start and after each move). */
  sendQuality(): void {
    if (this.codec !== 'h264' || this.options.quality === undefined) return;
    this.sendJson({ type: 'quality', quality: this.quality.level, reason: this.quality.reason });
  }

  /** The socket is closing: hold no unit, send nothing more, leave the camera's tracks. */
  close(): void {
    this.closed = true;
    this.quality.close();
  }

  /** Keyframes only: one at a time, so the newest waits here (latest wins) rather than in the link. */
  private applyLevel(): void {
    this.sender.window = this.quality.level === 'keyframes' ? 1 : this.options.window;
  }

  private sendJson(message: object): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }
}
