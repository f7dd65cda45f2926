/**
 * The contract between a camera's stream (hub/) and whatever produces its
 * frames. A source only produces; the stream decides when to start and stop
 * it, notices stalls, and restarts it with backoff.
 */

export interface SourceSink {
  /** One whole, validated JPEG. */
  frame(jpeg: Buffer): void;
  /** The source ended by itself (not through stop()); `reason` says why, for the log. */
  ended(reason: string): void;
}

export interface FrameSource {
  /** Begins producing into sink. Called again only after stop() has resolved or ended() was called. */
  start(sink: SourceSink): void;
  /** Ends production; resolves once nothing is left running (no child process, no socket). */
  stop(): Promise<void>;
}
