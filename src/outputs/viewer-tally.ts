/** What every viewer output counts for GET /api/cameras/:id and /metrics. */
import type { ViewerStats } from '../hub/frame.js';

export class ViewerTally {
  readonly connectedAt = Date.now();
  framesSent = 0;
  /** Frames the viewer never got because a newer one replaced them (latest wins). */
  framesDropped = 0;
  bytesSent = 0;
  /** Smoothed round-trip time, where the protocol has acks. */
  rttMs: number | undefined;

  constructor(
    readonly id: string,
    private readonly protocol: string,
    private readonly remoteAddress: string,
  ) {}

  sent(bytes: number): void {
    this.framesSent++;
    this.bytesSent += bytes;
  }

  stats(): ViewerStats {
    return {
      id: this.id,
      protocol: this.protocol,
      remoteAddress: this.remoteAddress,
      connectedAt: this.connectedAt,
      framesSent: this.framesSent,
      framesDropped: this.framesDropped,
      bytesSent: this.bytesSent,
      rttMs: this.rttMs === undefined ? undefined : Math.round(this.rttMs * 100) / 100,
    };
  }
}
