/**
 * One MJPEG viewer: writes each frame as a multipart part, with flow control.
 *
 * A frame is written only when the response has drained; until it has, a
 * newer frame replaces the one waiting (latest wins), so a slow client holds
 * at most one frame in memory and sees the newest picture when it catches up.
 */
import type { Consumer, Frame, ViewerStats } from '../../hub/frame.js';
import { nextViewerId } from '../viewer-id.js';
import type { FpsCap } from './fps-cap.js';
import { partHeader, TRAILER } from './part.js';

/** What the viewer writes to: an http.ServerResponse in practice. */
export interface PartSink {
  cork(): void;
  uncork(): void;
  write(chunk: Buffer): boolean;
  once(event: 'drain', listener: () => void): unknown;
  readonly destroyed: boolean;
}

export class MjpegViewer implements Consumer {
  private readonly id = nextViewerId('mjpeg');
  private readonly connectedAt = Date.now();
  private framesSent = 0;
  private framesDropped = 0;
  private bytesSent = 0;
  /** Waiting for 'drain': nothing more is written until it comes. */
  private blocked = false;
  private pending: Frame | undefined;
  private closed = false;

  constructor(
    private readonly sink: PartSink,
    private readonly remoteAddress: string,
    private readonly cap?: FpsCap,
  ) {}

  onFrame(frame: Frame): void {
    if (this.closed) return;
    if (this.cap && !this.cap.admit(frame.capturedAt)) return;
    if (this.blocked) {
      if (this.pending) this.framesDropped++;
      this.pending = frame;
      return;
    }
    this.write(frame);
  }

  /** No more writes: the response is gone. */
  close(): void {
    this.closed = true;
    this.pending = undefined;
  }

  stats(): ViewerStats {
    return {
      id: this.id,
      protocol: 'mjpeg',
      remoteAddress: this.remoteAddress,
      connectedAt: this.connectedAt,
      framesSent: this.framesSent,
      framesDropped: this.framesDropped,
      bytesSent: this.bytesSent,
    };
  }

  private write(frame: Frame): void {
    if (this.sink.destroyed) return;
    const header = partHeader(frame);
    // Corked, the three pieces leave in one writev: one syscall, and the JPEG is not copied.
    this.sink.cork();
    this.sink.write(header);
    this.sink.write(frame.data);
    const drained = this.sink.write(TRAILER);
    this.sink.uncork();
    this.framesSent++;
    this.bytesSent += header.length + frame.data.length + TRAILER.length;
    if (!drained) {
      this.blocked = true;
      this.sink.once('drain', this.onDrain);
    }
  }

  private readonly onDrain = (): void => {
    this.blocked = false;
    const frame = this.pending;
    this.pending = undefined;
    if (frame && !this.closed) this.write(frame);
  };
}
