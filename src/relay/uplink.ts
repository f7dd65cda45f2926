/**
 * One camera on the edge's uplink while the hub wants it: a consumer of the
 * local stream's JPEG track. At most `window` frames are unacknowledged; a
 * frame that cannot go yet waits in a SendQueue (`latest`: a newer one
 * replaces it), so a slow uplink lowers the frame rate instead of growing the delay.
 */
import type { Logger } from 'pino';
import type { CameraStream } from '../hub/camera-stream.js';
import type { CameraStatus, Consumer } from '../hub/consumer.js';
import { SendQueue } from '../hub/send-queue.js';
import type { AccessUnit } from '../media/index.js';
import { seqDiff } from '../wire/header.js';
import { encodeRelayFrame, rateLimitFps, type EdgeMessage } from './protocol.js';

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

/** One camera on the uplink: see the top of this file. */
export class Uplink implements Consumer {
  private unsubscribe: (() => void) | undefined;
  private readonly queue = new SendQueue({ policy: 'latest' });
  /** Wire seqs of unacknowledged frames, oldest first (at most `window`). */
  private readonly unacked: number[] = [];
  /** Pacing below the hub's rate limit (see rateLimitFps): the earliest time of the next send. */
  private readonly minIntervalMs: number;
  private nextAt = 0;
  private paceTimer: NodeJS.Timeout | undefined;
  private warnedTooBig = false;

  constructor(
    private readonly session: UplinkSession,
    private readonly stream: CameraStream,
    private readonly channel: number,
    private readonly window: number,
    private readonly maxBufferedBytes: number,
    private readonly log: Logger,
    fps: number,
  ) {
    // 90% of the hub's limit: with at most `window` frames in flight, arrivals cannot bunch past it.
    this.minIntervalMs = 1000 / (0.9 * rateLimitFps(fps));
  }

  start(): void {
    if (this.unsubscribe) return;
    try {
      this.unsubscribe = this.stream.subscribe(this, 'jpeg');
    } catch (err) {
      this.log.warn({ camera: this.stream.id, err: (err as Error).message }, 'cannot start the camera for the hub');
      return;
    }
    if (this.stream.state === 'offline') this.onStatus(this.stream.status);
    this.stream.catchUp(this, 'jpeg'); // a picture at once, not at the next frame
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.queue.clear();
    this.unacked.length = 0;
    clearTimeout(this.paceTimer);
    this.paceTimer = undefined;
  }

  onUnit(frame: AccessUnit): void {
    // NO SIGNAL pictures are the hub's to make: it knows the camera is offline from the status.
    if (frame.placeholder || !this.unsubscribe) return;
    this.queue.push(frame);
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
    if (this.queue.size === 0 || !this.session.open) return;
    if (this.unacked.length >= this.window || this.session.bufferedAmount >= this.maxBufferedBytes) return; // an ack or a write completion calls again
    const now = performance.now();
    if (now < this.nextAt) {
      this.paceTimer ??= setTimeout(() => {
        this.paceTimer = undefined;
        this.trySend();
      }, this.nextAt - now);
      return;
    }
    const frame = this.queue.shift()!;
    if (frame.data.length > this.session.maxFrameBytes) {
      if (!this.warnedTooBig)
        this.log.warn(
          { camera: this.stream.id, bytes: frame.data.length, limit: this.session.maxFrameBytes },
          "frame over the hub's size limit: not sent",
        );
      this.warnedTooBig = true;
      return;
    }
    const seq = frame.seq >>> 0;
    this.unacked.push(seq);
    this.nextAt = now + this.minIntervalMs;
    this.session.sendFrame(encodeRelayFrame(this.channel, seq, frame.receivedAt, frame.data));
  }
}
