/**
 * The contract between a camera's stream (hub/) and whatever produces its
 * access units. A source only produces; the stream decides when to start and
 * stop it, notices stalls, and restarts it with backoff.
 */
import type { TrackConfig } from '../media/index.js';

/** One access unit as a source produces it. The hub stamps it (seq, receive time) and fans it out. */
export interface SourceUnit {
  /** The track's configuration: the same object while nothing changes (consumers compare by identity). */
  config: TrackConfig;
  keyframe: boolean;
  /** JPEG: one whole, validated picture. H.264: AVC form, each NAL unit preceded by its 4-byte length. */
  data: Buffer;
  /**
   * When it was received, on this server's clock (ms since the Unix epoch), if earlier than its arrival here:
   * a relayed camera's units carry the edge's capture time. Unset: the hub stamps the arrival.
   */
  receivedAt?: number;
}

export interface SourceSink {
  unit(unit: SourceUnit): void;
  /** The source ended by itself (not through stop()); `reason` says why, for the log. */
  ended(reason: string): void;
}

export interface FrameSource {
  /** Begins producing into sink. Called again only after stop() has resolved or ended() was called. */
  start(sink: SourceSink): void;
  /** Ends production; resolves once nothing is left running (no child process, no socket). */
  stop(): Promise<void>;
  /** The capture process's pid while one runs (sources that run one): its CPU time is read for the metrics. */
  readonly pid?: number | undefined;
  /**
   * What makes the units, once known: `camera` when the camera's own units pass through untouched, else the
   * encoder that makes them (ffmpeg's `mjpeg`). Undefined (not known, or no process): taken as `camera`.
   */
  readonly encoder?: string | undefined;
}
