/**
 * One MJPEG viewer: writes each frame as a multipart part, with flow control.
 *
 * A frame is written only when the response has drained; until it has, it
 * waits in the viewer's send queue (src/stream/send-queue.ts, `latest`: a newer
 * frame replaces the one waiting), so a slow client holds at most one frame in
 * memory and sees the newest picture when it catches up.
 */
import type { Consumer, ViewerStats } from '../../hub/consumer.js';
import type { AccessUnit } from '../../media/index.js';
import { SendQueue } from '../../stream/send-queue.js';
import { nextViewerId } from '../viewer-id.js';
import { ViewerTally } from '../viewer-tally.js';
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
  /** Waiting for 'drain': nothing more is written until it comes. */
  private blocked = false;
  private readonly queue = new SendQueue({ policy: 'latest' });
  private closed = false;

  private readonly tally: ViewerTally;

  constructor(
    private readonly sink: PartSink,
    remoteAddress: string,
    private readonly cap?: FpsCap,
  ) {
    this.tally = new ViewerTally(nextViewerId('mjpeg'), 'mjpeg', remoteAddress);
  }

  onUnit(frame: AccessUnit): void {
    if (this.closed) return;
    if (this.cap && !this.cap.admit(frame.capturedAt)) return;
    if (this.blocked) {
      this.queue.push(frame);
      return;
    }
    this.write(frame);
  }

  /** No more writes: the response is gone. */
  close(): void {
    this.closed = true;
    this.queue.clear();
  }

  stats(): ViewerStats {
    const stats = this.tally.stats();
    // Replaced while waiting (the queue's count), or left out for holding the boundary (the tally's).
    return { ...stats, framesDropped: stats.framesDropped + this.queue.dropped };
  }

  private write(frame: AccessUnit): void {
    if (this.sink.destroyed) return;
    const header = partHeader(frame);
    if (!header) {
      // Its bytes contain the boundary: sent, they could end the part. The viewer keeps the previous picture.
      this.tally.framesDropped++;
      return;
    }
    // Corked, the three pieces leave in one writev: one syscall, and the JPEG is not copied.
    this.sink.cork();
    this.sink.write(header);
    this.sink.write(frame.data);
    const drained = this.sink.write(TRAILER);
    this.sink.uncork();
    this.tally.sent(header.length + frame.data.length + TRAILER.length);
    if (!drained) {
      this.blocked = true;
      this.sink.once('drain', this.onDrain);
    }
  }

  private readonly onDrain = (): void => {
    this.blocked = false;
    const frame = this.queue.shift();
    if (frame && !this.closed) this.write(frame);
  };
}
