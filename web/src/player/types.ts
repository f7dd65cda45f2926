/**
 * The public shapes of <camrelay-player>: its stats and its events' details.
 * No imports, no code: the browser tests import these types too.
 */

/** How the picture arrives: protocol v1 over WebSocket, or multipart MJPEG in an <img>. */
export type Transport = 'ws' | 'mjpeg';

/**
 * - `idle`: nothing to play (no camera, or not in a document).
 * - `connecting`: a connection is being opened, nothing received yet.
 * - `starting`: connected; the camera is starting and has sent no picture yet.
 * - `live`: the camera's own frames are arriving.
 * - `offline`: connected, but the camera is offline (the server sends NO SIGNAL pictures).
 * - `disconnected`: the server cannot be reached; a reconnect is scheduled.
 * - `paused`: hidden or scrolled out of view, so nothing is being received.
 */
export type PlayerState = 'idle' | 'connecting' | 'starting' | 'live' | 'offline' | 'disconnected' | 'paused';

export type Fit = 'contain' | 'cover';

/**
 * How the picture is decoded: H.264 or H.265 with WebCodecs (drawn on a canvas), or with Media
 * Source Extensions (a <video>), or JPEG (over WebSocket or MJPEG).
 */
export type PlaybackPathName = 'webcodecs' | 'mse' | 'jpeg';

/** The `quality` attribute: which H.264 stream to ask for (`auto`: what the link carries, the server decides). */
export type QualityChoice = 'auto' | 'main' | 'sub' | 'low' | 'keyframes';

/**
 * What the server says the player gets (`main`, `sub` or `keyframes`) and why: `pinned` (asked for),
 * `start` (auto, nothing measured yet), `link` (auto, moved by the link), `unavailable` (no sub-stream).
 */
export interface QualityEventDetail {
  quality: string;
  reason: string;
}

/** What the player itself measured. All times are in ms. */
export interface PlayerStats {
  state: PlayerState;
  /** True while the camera's live video reaches this player. */
  online: boolean;
  transport: Transport | null;
  /** The decoding path in use (null before the server has said what it sends). */
  path: PlaybackPathName | null;
  /** What the server sends: `h264`, `h265` or `jpeg` (null before it said). */
  codec: 'h264' | 'h265' | 'jpeg' | null;
  /** H.264: the stream the server sends now (`main`, `sub`, `keyframes`) and why; null before it said (or JPEG). */
  quality: string | null;
  qualityReason: string | null;
  /** Video received over the last 2 s, kbit/s (null over MJPEG). */
  bitrateKbps: number | null;
  /** Mean time to decode a picture, ms (null where the browser does not tell: MSE, MJPEG). */
  decodeMs: number | null;
  /**
   * Frames received but never decoded or shown by the decoder: H.264/H.265 units let go while
   * waiting for a keyframe, and (MSE) pictures the video element decoded but did not show.
   */
  skipped: number;
  /** MSE: times the playback jumped to the live edge after falling behind (0 elsewhere). */
  liveJumps: number;
  /** Frames displayed per second over the last 2 s; null where it cannot be measured (MJPEG). */
  fps: number | null;
  /** Mean capture→display time over the last 2 s, corrected for the server's clock; null until known. */
  latencyMs: number | null;
  /** Server clock minus browser clock, from ping/pong; null before the first pong. */
  clockOffsetMs: number | null;
  /** Round trip of the best recent ping. */
  rttMs: number | null;
  /** Frames received, decoded and displayed since the element was created. */
  received: number;
  decoded: number;
  displayed: number;
  /**
   * Frames the camera made that were not displayed: gaps in the sequence
   * numbers (skipped by the server for a slow link) plus frames received but
   * replaced by a newer one before they could be decoded or drawn.
   */
  dropped: number;
  /** Frames that failed to decode. */
  errors: number;
  /** Sequence number of the last displayed frame. */
  seq: number | null;
  /** Size of the last displayed picture (0 before the first). */
  width: number;
  height: number;
  /** While offline: since when (ms since the epoch, server clock) and why. */
  offlineSince: number | null;
  offlineReason: string | null;
  /** Connections opened after the first one. */
  reconnects: number;
}

/** detail of the `frame` event (at most 4 per second). */
export interface FrameEventDetail {
  fps: number | null;
  latencyMs: number | null;
  seq: number | null;
  width: number;
  height: number;
  dropped: number;
}

/** detail of the `offline` event: `camera` when the camera itself is offline, `connection` when the server is unreachable. */
export interface OfflineEventDetail {
  cause: 'camera' | 'connection';
  since: number;
  reason: string | null;
}

/** detail of the `online` event. */
export interface OnlineEventDetail {
  transport: Transport;
}

/** detail of the `error` event. */
export interface ErrorEventDetail {
  message: string;
  transport: Transport | null;
}
