/**
 * What the element asks of a decoding path, whichever it is (JPEG, WebCodecs, MSE): one of these
 * is current at a time (element.ts), chosen at each connection's `hello`, and what goes wrong
 * with it is the fallback's business (fallback.ts).
 *
 * Configurations and units are keyed by codec (media.ts), not by "the" video track: an audio
 * track's come through the same two calls, and a decoder lets go (done) of units it does not play.
 */
import type { MediaUnit, ShownFrame, TrackConfig } from './media.js';
import type { PlaybackPath } from './path.js';

export interface Decoder {
  readonly path: PlaybackPath;
  /** Where its pictures show: the canvas (drawn by the presenter) or the <video>. */
  readonly surface: 'canvas' | 'video';
  /** A picture was shown since the stream started. */
  readonly hasPicture: boolean;
  /** The size of the picture on screen (0×0 before the first). */
  readonly pictureSize: { width: number; height: number };
  /** Mean time to decode a picture, ms; 0 where the browser does not tell (or before the first). */
  readonly decodeTimeMs: number;
  /** A track's configuration: the next units of that codec need it. */
  configure(config: TrackConfig): void;
  /** One unit; its `done` is called exactly once, whatever becomes of it. */
  push(unit: MediaUnit): void;
  /** Forgets the stream: waiting units are let go (done), and a new connection's config comes next. */
  reset(): void;
  /**
   * The connection that brought the stream is gone: its units' acks go nowhere now. The picture
   * on screen stays until the next connection brings video (its hello resets the decoder).
   */
  connectionLost(): void;
}

/** What any decoder reports; the element turns it into stats and the fallback's counts. */
export interface DecoderEvents {
  /** A unit became a picture. */
  decoded(): void;
  /**
   * A picture reached the screen, for decoders that show their own (MSE's <video>); on the canvas
   * the presenter reports it. `skipped`: pictures decoded meanwhile but never shown.
   */
  shown(frame: ShownFrame, skipped: number): void;
  /** A unit let go without being decoded (waiting for a keyframe, or too many waiting). */
  skipped(): void;
  /** A received picture replaced by a newer one before it was decoded. */
  dropped(): void;
  /** MSE: the playhead jumped to the live edge. */
  jumped(): void;
  failed(error: unknown): void;
}
