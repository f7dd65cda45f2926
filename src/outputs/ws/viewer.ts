/**
 * One WebSocket viewer as a hub consumer: flow control and statistics.
 *
 * At most `window` units are unacknowledged (or, without acks, one not yet
 * handed to the OS). What cannot go now waits in a SendQueue: `latest` for
 * JPEG (a newer picture replaces the waiting one, counted as dropped), `gop`
 * for H.264 and H.265 (the current GOP's units wait, bounded; past the bound or too old
 * the viewer skips to the next keyframe). Whatever the mode, nothing is sent
 * while more than MAX_BUFFERED_BYTES sit in user space. An H.264 or H.265 viewer gets
 * a `config` message before the first unit and before the first that needs a
 * new one. onUnit runs per unit × per viewer, so it allocates nothing of its
 * own and does no JSON.
 *
 * H.264 qualities (`?quality=`; H.265 viewers get the camera's stream only): the viewer gets `main`, `sub` (the smaller sub-stream) or `keyframes` (the
 * sub-stream's keyframes only), pinned by the client or, with `auto`, chosen by adaptation.ts from its acks.
 * A move subscribes to the target's track and waits for that track's next keyframe (never asking the encoder
 * for one): the units of the old track go out until then, the target's from its keyframe on, with a
 * `config` before it and a `quality` message saying what and why.
 *
 * Each track numbers its units on its own, and the wire's sequence numbers must keep growing for the viewer:
 * after a move to a track whose numbers are behind, the viewer sends its units renumbered (`seqOffset`): its
 * own 16-byte header as the first fragment of the message, the shared payload as the second (no copy of it).
 */
import { Socket } from 'node:net';
import { WebSocket } from 'ws';
import { preciseNow, type CameraStatus, type Consumer, type Quality, type ViewerStats } from '../../hub/consumer.js';
import { SendQueue } from '../../hub/send-queue.js';
import type { AccessUnit, Codec, TrackConfig } from '../../media/index.js';
import {
  CODEC_H264,
  FLAG_KEYFRAME,
  HEADER_BYTES,
  MAX_BUFFERED_BYTES,
  MAX_WINDOW,
  PROTOCOL_NAME,
  PROTOCOL_VERSION,
} from '../../wire/constants.js';
import { encodeHeader, seqDiff } from '../../wire/header.js';
import { ViewerTally } from '../viewer-tally.js';
import { EVALUATE_MS, QualityController, type Level, type LinkSample, type Rates } from './adaptation.js';
import { configMessage, unitMessage } from './frame-message.js';

/** What the client asks for with `?quality=`. */
export type QualityRequest = 'auto' | Level;
/** Why the viewer gets what it gets (the `quality` message's `reason`). */
export type QualityReason = 'start' | 'link' | 'pinned' | 'unavailable';

/** A move that has not found the target's keyframe in this long is given up (its source is not delivering). */
const PENDING_MS = 5000;
/** An adaptive viewer on the sub-stream that has had nothing from it in this long goes back to main. */
const SUB_SILENT_MS = 5000;
/** The sub-stream made ready for a viewer on main whose link looks uneasy is let go after this long at ease. */
const WARM_MS = 15_000;
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
  /** H.264: the camera has a sub-stream. */
  hasSub?: boolean;
  /** Subscribes the viewer to one of the camera's H.264 tracks (or its codec's only one); returns the undo. */
  subscribe?: (quality: Quality) => () => void;
  /** The camera's stream rates (kbit/s), for adaptation. */
  rates?: (into: Rates) => void;
  /** The camera is online (a silent sub-stream then means it is not delivering). */
  online?: () => boolean;
  /** A move decided (`to`, waiting for its keyframe) or done (`at`): for the logs. */
  onMove?: (event: { phase: 'decided' | 'done'; from: Level; to: Level; reason: QualityReason }) => void;
}

/** What an ack did: the caller decides what a bad one costs. */
export type AckResult = 'freed' | 'stale' | 'never-sent';

export class WsViewer implements Consumer {
  readonly codec: Codec;
  // Unacknowledged units, oldest first, as a ring: wire seq and send time.
  private readonly unackedSeq = new Uint32Array(MAX_WINDOW);
  private readonly unackedAt = new Float64Array(MAX_WINDOW);
  private readonly unackedBytes = new Uint32Array(MAX_WINDOW);
  /** Bytes acknowledged so far. */
  private ackedBytes = 0;
  /** When onRtt last had a sample. */
  private rttReportedAt = -Infinity;
  private unackedHead = 0;
  private unackedCount = 0;
  /** Without acks: sends whose write callback has not fired yet. */
  private inFlight = 0;
  private readonly queue: SendQueue;
  /** Seq of the newest unit taken in: a unit seen already (a catch-up after resume) is not taken again. */
  private lastQueued: number | undefined;
  /** Wire seq of the newest unit sent; acks beyond it are protocol errors. */
  private lastSent: number | undefined;
  /** The configuration the viewer was last told (H.264, H.265). */
  private sentConfig: TrackConfig | undefined;
  private paused = false;
  private closed = false;

  // ---- quality (H.264) ----
  /** What the viewer receives now, and the move waiting for its target's keyframe. */
  private level: Level = 'main';
  private pending: Level | undefined;
  private pendingSince = 0;
  private reason: QualityReason = 'pinned';
  private switches = 0;
  private readonly controller: QualityController | undefined;
  private readonly unsubscribe: Record<Quality, (() => void) | undefined> = {
    main: undefined,
    sub: undefined,
    low: undefined,
  };
  private readonly lastUnitAt: Record<Quality, number> = { main: 0, sub: 0, low: 0 };
  private lastAdapt = -Infinity;
  /**
   * A move down to another track is waiting for its keyframe: the current track's units are no longer sent (the
   * link cannot carry them), so the target's keyframe finds the link free. The picture holds meanwhile.
   */
  private holding = false;
  /** When the sub-stream was last wanted ready (subscribed to, its units not sent) for a viewer on main. */
  private warmAt = 0;
  // Reused for every evaluation: nothing allocated per unit.
  private readonly sample: LinkSample = { now: 0, ackedBytes: 0, keyframeSkips: 0, oldestUnackedMs: 0 };
  private readonly rates: Rates = { mainKbps: 0, subKbps: 0 };
  /** Added to a unit's seq on the wire (u32): 0 unless a move went to a track whose numbers are behind. */
  private seqOffset = 0;
  /** Set by a move: the next unit sent sets seqOffset. */
  private renumber = false;
  private static readonly FIRST_FRAGMENT = { binary: true, fin: false } as const;
  private static readonly LAST_FRAGMENT = { binary: true, fin: true } as const;

  /**
   * Without acks, the pace comes from writes completing: one callback for every send, made once (no
   * closure per unit). With acks it is undefined: acks pace the viewer, and a write callback per
   * unit and viewer was a measurable share of the fan-out's CPU.
   */
  private readonly afterWrite: (() => void) | undefined;

  private readonly tally: ViewerTally;

  /**
   * The connection under the WebSocket, when a unit's prebuilt frame may be written to it directly: one write of
   * one shared buffer per unit and viewer, where ws.send makes a frame header, an options object and a two-buffer
   * write for each. Only without extensions (no permessage-deflate: ws then never holds a send back, so the
   * order with its own sends is kept); otherwise, or if ws ever stops keeping the socket as `_socket`, ws.send.
   */
  private readonly connection: Socket | undefined;

  constructor(
    private readonly socket: WebSocket,
    private readonly options: ViewerOptions,
  ) {
    this.codec = options.codec ?? 'jpeg';
    const underlying = (socket as unknown as { _socket?: unknown })._socket;
    this.connection = socket.extensions === '' && underlying instanceof Socket ? underlying : undefined;
    if (!options.acks) {
      this.afterWrite = (): void => {
        this.inFlight--;
        if (this.queue.size > 0) this.flush();
      };
    }
    this.queue = new SendQueue({ policy: this.codec === 'jpeg' ? 'latest' : 'gop' });
    this.tally = new ViewerTally(options.id, PROTOCOL_NAME, options.remoteAddress);
    this.tally.codec = this.codec;
    this.tally.path = options.path;
    const asked = this.codec === 'h264' ? options.quality : undefined;
    if (asked === 'auto') {
      this.reason = 'start';
      this.controller = new QualityController('main', performance.now());
    } else if (asked !== undefined) {
      // Pinned. Without a sub-stream, `sub` is main; `keyframes` are then main's keyframes.
      this.level = asked === 'sub' && !options.hasSub ? 'main' : asked;
      this.reason = asked === this.level ? 'pinned' : 'unavailable';
    }
  }

  /** The track the viewer receives now: its catch-up comes from there. */
  get track(): Quality {
    return this.trackOf(this.level);
  }

  /** Subscribes to the track of the starting quality (the camera may throw: it is closing). */
  open(): void {
    this.subscribeTo(this.track);
  }

  // ---- from the hub ----

  onUnit(unit: AccessUnit, quality: Quality = 'main'): void {
    if (this.paused || this.closed) return;
    // One clock read per unit and viewer, shared by the queue and the send.
    const now = performance.now();
    this.lastUnitAt[quality] = now;
    if (this.pending !== undefined && unit.keyframe && quality === this.trackOf(this.pending)) this.commit();
    if (quality !== this.trackOf(this.level) || (this.level === 'keyframes' && !unit.keyframe) || this.holding) {
      if (this.controller) this.adapt(now);
      return;
    }
    if (this.lastQueued !== undefined && seqDiff(unit.seq >>> 0, this.lastQueued) <= 0) return;
    this.lastQueued = unit.seq >>> 0;
    // Keyframes only: a newer keyframe replaces the one still waiting (latest wins).
    if (this.level === 'keyframes' && this.queue.size > 0) this.queue.clear();
    this.queue.push(unit, now);
    this.flush(now);
    if (this.controller) this.adapt(now);
  }

  onStatus(status: CameraStatus): void {
    // What waits was made before the outage: sent after the offline status, it would say the camera
    // is live again. The camera comes back at a keyframe, which the emptied queue waits for.
    if (!status.online) this.queue.clear();
    this.sendStatus(status);
  }

  stats(): ViewerStats {
    this.tally.framesDropped = this.queue.dropped;
    if (this.codec !== 'jpeg') {
      this.tally.framesSkipped = this.queue.dropped;
      this.tally.keyframeSkips = this.queue.keyframeSkips;
    }
    const stats = this.tally.stats();
    if (this.codec !== 'h264' || this.options.quality === undefined) return stats;
    return {
      ...stats,
      quality: this.level,
      qualityReason: this.reason,
      qualitySwitches: this.switches,
      ...(this.controller ? { ackedBytesPerSecond: Math.round((this.controller.goodputKbps * 1000) / 8) } : {}),
    };
  }

  // ---- from the client ----

  /** Cumulative: acknowledges every sent unit with seq ≤ `seq`. */
  ack(seq: number): AckResult {
    if (this.lastSent === undefined || seqDiff(seq, this.lastSent) > 0) return 'never-sent';
    let sentAt: number | undefined;
    let firstSentAt = 0;
    let bytes = 0;
    while (this.unackedCount > 0) {
      const i = this.unackedHead;
      if (seqDiff(this.unackedSeq[i]!, seq) > 0) break;
      if (sentAt === undefined) firstSentAt = this.unackedAt[i]!;
      sentAt = this.unackedAt[i]!; // the newest acknowledged unit gives the tightest sample
      bytes += this.unackedBytes[i]!;
      this.unackedHead = (i + 1) % MAX_WINDOW;
      this.unackedCount--;
    }
    if (sentAt === undefined) return 'stale';
    const now = performance.now();
    const sample = now - sentAt;
    this.ackedBytes += bytes;
    if (this.controller) {
      this.controller.rtt(sample, now, bytes);
      this.controller.burst(bytes, now - firstSentAt, now);
    }
    if (now - this.rttReportedAt >= RTT_REPORT_MS) {
      this.rttReportedAt = now;
      this.options.onRtt?.(sample);
    }
    // Smoothed like TCP's SRTT (RFC 6298, gain 1/8).
    const rtt = this.tally.rttMs;
    this.tally.rttMs = rtt === undefined ? sample : rtt + (sample - rtt) / 8;
    this.flush(now);
    if (this.controller) this.adapt(now);
    return 'freed';
  }

  /** Nothing is sent until resume(); what waits is dropped (the next unit after resume is a keyframe). */
  pause(): void {
    this.paused = true;
    this.queue.clear();
    // What waited was never sent: the catch-up after resume may offer it again (a camera that made nothing
    // newer meanwhile), so only what was sent counts as seen.
    this.lastQueued = this.lastSent === undefined ? undefined : (this.lastSent - this.seqOffset) >>> 0;
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
    this.sendJson({ type: 'quality', quality: this.level, reason: this.reason });
  }

  /** The socket is closing: hold no unit, send nothing more, leave the camera's tracks. */
  close(): void {
    this.closed = true;
    for (const quality of ['main', 'sub'] as const) this.unsubscribeFrom(quality);
  }

  // ---- quality ----

  private trackOf(level: Level): Quality {
    return level === 'main' || !this.options.hasSub ? 'main' : 'sub';
  }

  private subscribeTo(quality: Quality): void {
    if (this.unsubscribe[quality] || !this.options.subscribe) return;
    this.unsubscribe[quality] = this.options.subscribe(quality);
  }

  private unsubscribeFrom(quality: Quality): void {
    const undo = this.unsubscribe[quality];
    this.unsubscribe[quality] = undefined;
    undo?.();
  }

  /** Evaluates the link (at most every EVALUATE_MS) and starts a move when one is due. */
  private adapt(now: number): void {
    if (now - this.lastAdapt < EVALUATE_MS || this.closed) return;
    this.lastAdapt = now;
    const controller = this.controller!;
    if (this.pending !== undefined && now - this.pendingSince > PENDING_MS) {
      // The target's track never delivered a keyframe: stay where the viewer is.
      this.cancelPending();
      controller.level = this.level;
    }
    const online = this.options.online?.() ?? true;
    if (this.track === 'sub' && this.pending === undefined && online && now - this.lastUnitAt.sub > SUB_SILENT_MS) {
      // The sub-stream stopped delivering (its source failed): main again.
      controller.level = 'main';
      this.moveTo('main', 'unavailable', now);
      return;
    }
    const sample = this.sample;
    sample.now = now;
    sample.ackedBytes = this.ackedBytes;
    sample.keyframeSkips = this.queue.keyframeSkips;
    // What waits for this viewer: in the link (unacknowledged) and here (queued), whichever waited longest.
    const unacked = this.unackedCount > 0 ? now - this.unackedAt[this.unackedHead]! : 0;
    sample.oldestUnackedMs = Math.max(unacked, this.queue.oldestWait(now));
    this.options.rates?.(this.rates);
    const target = controller.update(sample, this.rates);
    if (target !== undefined) return this.moveTo(target, 'link', now);
    // On main with a link that looks uneasy: the sub-stream is started now (its encoder may take a second or
    // two), so that a move down waits only for its next keyframe.
    if (this.track !== 'main' || this.pending !== undefined || !this.options.hasSub) return;
    if (controller.uneasy) {
      this.warmAt = now;
      this.subscribeTo('sub');
    } else if (this.unsubscribe.sub && now - this.warmAt > WARM_MS) this.unsubscribeFrom('sub');
  }

  /** Starts a move: at once to keyframes on the same track, else at the target track's next keyframe. */
  private moveTo(target: Level, reason: QualityReason, now: number): void {
    if (target === this.level) {
      this.cancelPending();
      return;
    }
    this.reason = reason;
    const track = this.trackOf(target);
    if (this.pending !== undefined && this.trackOf(this.pending) !== track) this.cancelPending();
    this.pending = target;
    this.pendingSince = now;
    this.options.onMove?.({ phase: 'decided', from: this.level, to: target, reason });
    if (track === this.track) {
      // Down to keyframes on the same track: at once, from its next keyframe.
      if (target === 'keyframes') this.commit();
      return;
    }
    this.subscribeTo(track);
    this.lastUnitAt[track] = now; // silence is counted from here
    if (rank(target) < rank(this.level)) {
      this.holding = true;
      this.queue.clear();
    }
  }

  private cancelPending(): void {
    const pending = this.pending;
    this.pending = undefined;
    this.holding = false;
    if (pending !== undefined && this.trackOf(pending) !== this.track) this.unsubscribeFrom(this.trackOf(pending));
  }

  /** The move happens: what waits of the old quality is dropped, the next unit out is the target's keyframe. */
  private commit(): void {
    const target = this.pending!;
    const old = this.track;
    this.pending = undefined;
    this.holding = false;
    this.options.onMove?.({ phase: 'done', from: this.level, to: target, reason: this.reason });
    this.level = target;
    this.switches++;
    this.queue.clear();
    // The other track's numbers: taken afresh from its keyframe, renumbered when they are behind the wire's.
    this.lastQueued = undefined;
    this.renumber = true;
    if (this.trackOf(target) !== old) this.unsubscribeFrom(old);
    this.sendQuality();
  }

  // ---- sending ----

  private sendJson(message: object): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  private canSend(): boolean {
    if (this.socket.readyState !== WebSocket.OPEN || this.socket.bufferedAmount >= MAX_BUFFERED_BYTES) return false;
    // Keyframes only: one at a time, so the newest waits here (latest wins) rather than in the link.
    const window = this.level === 'keyframes' ? 1 : this.options.window;
    return this.options.acks ? this.unackedCount < window : this.inFlight === 0;
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
      if (this.codec !== 'jpeg' && unit.config !== this.sentConfig) {
        // Before the first unit that needs it: the viewer (re)configures its decoder.
        this.sentConfig = unit.config;
        this.socket.send(configMessage(unit.config));
      }
      if (this.renumber) {
        this.renumber = false;
        const natural = unit.seq >>> 0;
        const last = this.lastSent;
        this.seqOffset = last === undefined || seqDiff(natural, last) > 0 ? 0 : (last + 1 - natural) >>> 0;
      }
      const seq = (unit.seq + this.seqOffset) >>> 0;
      let bytes: number;
      if (this.seqOffset === 0) {
        const { message, frame } = unitMessage(unit);
        bytes = message.length;
        if (!this.options.acks) this.inFlight++;
        // The callback fires once the message is handed to the OS (or with an error on close).
        if (this.connection) this.connection.write(frame, this.afterWrite);
        else this.socket.send(message, this.afterWrite);
      } else {
        // Renumbered: this viewer's header, then the shared payload, as one message in two fragments.
        const header = Buffer.allocUnsafe(HEADER_BYTES);
        encodeHeader(header, 0, seq, unit.receivedAt, CODEC_H264, unit.keyframe ? FLAG_KEYFRAME : 0);
        bytes = HEADER_BYTES + unit.data.length;
        if (!this.options.acks) this.inFlight++;
        this.socket.send(header, WsViewer.FIRST_FRAGMENT);
        this.socket.send(unit.data, WsViewer.LAST_FRAGMENT, this.afterWrite);
      }
      if (this.options.acks) {
        const i = (this.unackedHead + this.unackedCount) % MAX_WINDOW;
        this.unackedSeq[i] = seq;
        this.unackedAt[i] = now;
        this.unackedBytes[i] = bytes;
        this.unackedCount++;
      }
      this.lastSent = seq;
      this.tally.sent(bytes);
    }
  }
}

function rank(level: Level): number {
  return level === 'main' ? 2 : level === 'sub' ? 1 : 0;
}
