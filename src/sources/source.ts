/**
 * The contract between a camera's stream (hub/) and whatever produces its
 * access units. A source only produces; the stream decides when to start and
 * stop it, notices stalls, and restarts it with backoff.
 */
import type { SourceSink } from '../media/index.js';

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
