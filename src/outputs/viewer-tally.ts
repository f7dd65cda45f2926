/** What every viewer output counts for GET /api/cameras/:id and /metrics. */
import type { ViewerStats } from '../hub/consumer.js';
import type { Codec } from '../media/index.js';

export class ViewerTally {
  readonly connectedAt = Date.now();
  framesSent = 0;
  /** Frames the viewer never got because a newer one replaced them (latest wins). */
  framesDropped = 0;
  bytesSent = 0;
  /** Smoothed round-trip time, where the protocol has acks. */
  rttMs: number | undefined;
  /** The codec the viewer gets, and how it decodes it (`?player=`), where known. */
  codec: Codec | undefined;
  path: string | undefined;
  /** Units skipped to reach a keyframe, and how many times (H.264 viewers). */
  framesSkipped: number | undefined;
  keyframeSkips: number | undefined;

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
      ...(this.codec === undefined ? {} : { codec: this.codec }),
      ...(this.path === undefined ? {} : { path: this.path }),
      ...(this.framesSkipped === undefined ? {} : { framesSkipped: this.framesSkipped }),
      ...(this.keyframeSkips === undefined ? {} : { keyframeSkips: this.keyframeSkips }),
    };
  }
}
