/** What the hub hands to its consumers, and what they report back. */
import type { AccessUnit, Codec } from '../media/index.js';

export interface CameraStatus {
  online: boolean;
  /** Since when (ms since the Unix epoch) the camera has been in this state. */
  since: number;
  /** Why it went offline, when it did. */
  reason?: string;
}

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
}

/**
 * Anything that receives a camera track's access units. onUnit must not block:
 * flow control is the consumer's (see send-queue.ts). A unit whose `config` is
 * not the one the consumer last saw carries a new configuration.
 */
export interface Consumer {
  onUnit(unit: AccessUnit): void;
  onStatus?(status: CameraStatus): void;
  /** Viewers report statistics; internal consumers (a snapshot waiting for a picture) do not. */
  stats?(): ViewerStats;
}

/** Wall-clock time in ms with sub-millisecond precision. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}
