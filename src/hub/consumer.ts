/** What the hub hands to its consumers, and what they report back. */
import type { AccessUnit, Codec } from '../media/index.js';

export interface CameraStatus {
  online: boolean;
  /** Since when (ms since the Unix epoch) the camera has been in this state. */
  since: number;
  /** Why it went offline, when it did. */
  reason?: string;
}

/**
 * Which stream of a codec: `main` is the camera's own picture, `sub` its smaller sub-stream (H.264 only: from
 * the camera's second URL, or encoded by camrelay at 640 px wide), `low` a smaller one still (H.264 only:
 * encoded by camrelay at 320 px wide, 10 pictures a second), for links of about 256 kbit/s (rungs.ts).
 */
export type Quality = 'main' | 'sub' | 'low';

/** Per-viewer statistics, reported by outputs that serve viewers (WebSocket, MJPEG, …). */
export interface ViewerStats {
  id: string;
  protocol: string;
  remoteAddress: string;
  connectedAt: number;
  framesSent: number;
  framesDropped: number;
  bytesSent: number;
  /** Round-trip time from acks, where the protocol has them. */
  rttMs?: number;
  /** The codec the viewer receives. */
  codec?: Codec;
  /** How the viewer decodes (`?player=`: webcodecs, mse, jpeg), where it said. */
  path?: string;
  /** Access units never sent because the viewer skipped to a keyframe. */
  framesSkipped?: number;
  /** Times the viewer skipped to the next keyframe (its queue was full or too old). */
  keyframeSkips?: number;
  /** H.264: what the viewer receives now (`keyframes`: the sub-stream's keyframes only) and why. */
  quality?: string;
  qualityReason?: string;
  /** H.264: times the viewer moved between qualities. */
  qualitySwitches?: number;
  /** Bytes per second the viewer acknowledged, lately (its link's goodput). */
  ackedBytesPerSecond?: number;
}

/**
 * Anything that receives a camera track's access units. onUnit must not block:
 * flow control is the consumer's (see src/stream/send-queue.ts). A unit whose `config` is
 * not the one the consumer last saw carries a new configuration.
 */
export interface Consumer {
  /** `quality`: the stream the unit belongs to, for consumers of more than one (an adaptive viewer). */
  onUnit(unit: AccessUnit, quality?: Quality): void;
  onStatus?(status: CameraStatus): void;
  /** Viewers report statistics; internal consumers (a snapshot waiting for a picture) do not. */
  stats?(): ViewerStats;
  /**
   * Keeps the camera running without watching it (the recorder): a camera an edge withdrew is
   * removed once only such consumers are left.
   */
  readonly background?: boolean;
}

/** Wall-clock time in ms with sub-millisecond precision. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}
