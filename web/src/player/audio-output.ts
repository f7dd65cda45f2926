/**
 * What the element asks of an audio path (`?audio=1`, an unmuted player): the track's configuration and its
 * units, timed in 90 kHz ticks of the camera's media clock (the video header's clock). One per decoding
 * path: WebAudioOutput (AudioDecoder into an AudioContext) beside WebCodecs, MseAudioOutput (an audio-only
 * fMP4 in an <audio> of its own) beside MSE.
 */
import type { AudioTrackConfig } from './media.js';

export interface AudioOutput {
  configure(config: AudioTrackConfig): void;
  /** One unit: its pts (90 kHz, modulo 2^32), samples per channel, bytes. */
  push(pts: number, samples: number, data: Uint8Array): void;
  /** Forgets the stream (a new connection, or muted): what is queued or playing stops. */
  reset(): void;
  /**
   * When (performance.now()) the sound of media time `pts` (90 kHz, modulo 2^32) leaves the speakers: the
   * pictures wait for it. Undefined while no sound plays (the pictures then show as soon as decoded).
   */
  due?(pts: number): number | undefined;
  /** How much was decoded: AudioData outputs (WebCodecs) or decoded bytes (MSE). */
  readonly decoded: number;
}

/** 2^32 ticks: the wire's pts wraps there. */
const WRAP = 2 ** 32;

/** a − b for two 90 kHz times modulo 2^32, correct across the wrap (|a − b| < 2^31). */
export function ptsDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** Unwraps the wire's u32 pts into a running count, from a first one. */
export class PtsUnwrapper {
  private last: number | undefined;
  private base = 0;

  next(pts: number): number {
    if (this.last !== undefined && pts < this.last && this.last - pts > WRAP / 2) this.base += WRAP;
    this.last = pts;
    return this.base + pts;
  }

  reset(): void {
    this.last = undefined;
    this.base = 0;
  }
}
