/**
 * What makes one of a camera's tracks (camera-tracks.ts): the camera's own capture (capture.ts), a
 * transcoder of the native track (derived-track.ts: another codec, or a smaller H.264 rung), or the
 * camera's own sub-stream from its second URL (substream.ts). The camera tells a producer when its
 * track gains its first consumer and loses one, feeds it the native units, and stops it when idle.
 */
import type { AccessUnit } from '../media/index.js';

export interface Producer {
  /** `native`: the camera's own units (its capture, its second URL); `derived`: made by a transcoder. */
  readonly origin: 'native' | 'derived';
  /** Something can make the track (a transcoder factory was given, the camera has the URL). */
  readonly available: boolean;
  /** Making units now. */
  readonly live: boolean;
  /** What makes the track while it is made (TrackInfo.encoder); undefined when nothing runs. */
  readonly encoder: string | undefined;
  /** Transcoder processes started so far. */
  readonly starts: number;
  /** CPU seconds of its process(es) so far (read now); undefined when it has none, or none ran. */
  cpuSeconds(): number | undefined;
  /** A consumer arrived; `native` is what the native track holds now (a transcoder starts from it). */
  wanted(native: readonly AccessUnit[]): void;
  /** A consumer left (the track may have none now). */
  unwanted(): void;
  /** A unit of the camera's native track. */
  feed(unit: AccessUnit): void;
  /** The camera went idle: what runs for the track stops. */
  stop(): Promise<void>;
  /** The camera is closed: stops for good. */
  close(): Promise<void>;
}
