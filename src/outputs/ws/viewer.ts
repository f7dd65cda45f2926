/**
 * One WebSocket viewer as a hub consumer: flow control and statistics.
 *
 * At most `window` frames are unacknowledged (or, without acks, one frame not
 * yet handed to the OS). A frame that cannot go now waits as `pending`, and a
 * newer one replaces it (counted as dropped): latest wins, there is no queue.
 * Whatever the mode, nothing is sent while more than MAX_BUFFERED_BYTES sit in
 * user space. onFrame runs per frame × per viewer, so it allocates nothing of
 * its own and does no JSON.
 */
import { WebSocket } from 'ws';
import { preciseNow, type CameraStatus, type Consumer, type Frame, type ViewerStats } from '../../hub/frame.js';
import { MAX_BUFFERED_BYTES, MAX_WINDOW, PROTOCOL_NAME, PROTOCOL_VERSION } from './constants.js';
import { frameMessage } from './frame-message.js';
import { seqDiff } from './header.js';
import { ViewerTally } from '../viewer-tally.js';

export interface ViewerOptions {
  id: string;
  camera: string;
  /** Unacknowledged frames allowed, MIN_WINDOW..MAX_WINDOW. */
  window: number;
  /** False for ?ack=0: pace by the socket draining instead of by acks. */
  acks: boolean;
  remoteAddress: string;
  /** Each round-trip sample (ms), as acks measure them. */
  onRtt?: (ms: number) => void;
}

/** What an ack did: the caller decides what a bad one costs. */
export type AckResult = 'freed' | 'stale' | 'never-sent';

export class WsViewer implements Consumer {
  // Unacknowledged frames, oldest first, as a ring: wire seq and send time.
  private readonly unackedSeq = new Uint32Array(MAX_WINDOW);
  private readonly unackedAt = new Float64Array(MAX_WINDOW);
  private unackedHead = 0;
  private unackedCount = 0;
  /** Sends whose write callback has not fired yet. */
  private inFlight = 0;
  private pending: Frame | undefined;
  /** Wire seq of the newest frame sent; acks beyond it are protocol errors. */
  private lastSent: number | undefined;
  private paused = false;
  private closed = false;

  // One callback for every send, made once: no closure per frame.
  private readonly afterWrite = (): void => {
    this.inFlight--;
    this.flush();
  };

  private readonly tally: ViewerTally;

  constructor(
    private readonly socket: WebSocket,
    private readonly options: ViewerOptions,
  ) {
    this.tally = new ViewerTally(options.id, PROTOCOL_NAME, options.remoteAddress);
  }

  // ---- from the hub ----

  onFrame(frame: Frame): void {
    if (this.paused || this.closed) return;
    if (this.pending) this.tally.framesDropped++;
    this.pending = frame;
    this.flush();
  }

  onStatus(status: CameraStatus): void {
    this.sendStatus(status);
  }

  stats(): ViewerStats {
    return this.tally.stats();
  }

  // ---- from the client ----

  /** Cumulative: acknowledges every sent frame with seq ≤ `seq`. */
  ack(seq: number): AckResult {
    if (this.lastSent === undefined || seqDiff(seq, this.lastSent) > 0) return 'never-sent';
    let sentAt: number | undefined;
    while (this.unackedCount > 0) {
      const i = this.unackedHead;
      if (seqDiff(this.unackedSeq[i]!, seq) > 0) break;
      sentAt = this.unackedAt[i]!; // the newest acknowledged frame gives the tightest sample
      this.unackedHead = (i + 1) % MAX_WINDOW;
      this.unackedCount--;
    }
    if (sentAt === undefined) return 'stale';
    const sample = preciseNow() - sentAt;
    this.options.onRtt?.(sample);
    // Smoothed like TCP's SRTT (RFC 6298, gain 1/8).
    const rtt = this.tally.rttMs;
    this.tally.rttMs = rtt === undefined ? sample : rtt + (sample - rtt) / 8;
    this.flush();
    return 'freed';
  }

  pause(): void {
    this.paused = true;
    if (this.pending) this.tally.framesDropped++;
    this.pending = undefined;
  }

  /** Sends `latest` at once (window permitting) unless the viewer has it already. */
  resume(latest: Frame | undefined): void {
    if (!this.paused) return;
    this.paused = false;
    if (latest && (this.lastSent === undefined || seqDiff(latest.seq >>> 0, this.lastSent) > 0)) this.onFrame(latest);
  }

  // ---- text messages (rare: not on the frame path) ----

  sendHello(size: { width: number; height: number } | undefined): void {
    this.sendJson({
      type: 'hello',
      protocol: PROTOCOL_VERSION,
      camera: this.options.camera,
      codec: 'jpeg',
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

  /** The socket is closing: hold no frame, send nothing more. */
  close(): void {
    this.closed = true;
    this.pending = undefined;
  }

  // ---- sending ----

  private sendJson(message: object): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  private canSend(): boolean {
    if (this.socket.readyState !== WebSocket.OPEN || this.socket.bufferedAmount >= MAX_BUFFERED_BYTES) return false;
    return this.options.acks ? this.unackedCount < this.options.window : this.inFlight === 0;
  }

  private flush(): void {
    const frame = this.pending;
    if (!frame || !this.canSend()) return;
    this.pending = undefined;
    const message = frameMessage(frame);
    const seq = frame.seq >>> 0;
    if (this.options.acks) {
      const i = (this.unackedHead + this.unackedCount) % MAX_WINDOW;
      this.unackedSeq[i] = seq;
      this.unackedAt[i] = preciseNow();
      this.unackedCount++;
    }
    this.lastSent = seq;
    this.tally.sent(message.length);
    this.inFlight++;
    // The callback fires once the message is handed to the OS (or with an error on close).
    this.socket.send(message, this.afterWrite);
  }
}
