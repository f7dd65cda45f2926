/** What the hub hands to every consumer. */

export interface Frame {
  /** Strictly increasing per camera, placeholders included. */
  readonly seq: number;
  /** The JPEG. One Buffer shared by every consumer: never written to, never copied per viewer. */
  readonly data: Buffer;
  /** When the frame reached camrelay, in ms since the Unix epoch (fractional). */
  readonly capturedAt: number;
  readonly width: number;
  readonly height: number;
  /** True for the generated NO SIGNAL picture sent while the camera is offline. */
  readonly placeholder: boolean;
}

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
}

/** Anything that receives a camera's frames. onFrame must not block: flow control is the consumer's. */
export interface Consumer {
  onFrame(frame: Frame): void;
  onStatus?(status: CameraStatus): void;
  /** Viewers report statistics; internal consumers (a snapshot waiting for a frame) do not. */
  stats?(): ViewerStats;
}

/** Wall-clock time in ms with sub-millisecond precision. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}
