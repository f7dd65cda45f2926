/**
 * A camera's audio track, codec-neutral like the video model (index.ts): a configuration, and units
 * of encoded audio stamped on the camera's media clock. Optional: a camera without a microphone (or
 * with `audio: false`) has none.
 */

/** `aac`: raw AAC frames (no ADTS header). `pcma`/`pcmu`: G.711 A-law / µ-law bytes. `opus`: Opus packets. */
export type AudioCodec = 'aac' | 'pcma' | 'pcmu' | 'opus';

/** How to decode an audio track's units; a new object whenever anything changes (compared by identity). */
export interface AudioConfig {
  readonly codec: AudioCodec;
  /** Hz: the track's media clock rate too (pts and durations are in samples). */
  readonly sampleRate: number;
  readonly channels: number;
  /** RFC 6381 codec string (`mp4a.40.2`, `opus`) or, for G.711, `alaw` / `ulaw` (WebCodecs' names). */
  readonly codecString: string;
  /** AAC: the AudioSpecificConfig. Opus: the OpusHead. None for G.711. */
  readonly description?: Uint8Array;
}

/** One unit of encoded audio, as every consumer gets it. */
export interface AudioUnit {
  /** Strictly increasing per camera audio track. */
  readonly seq: number;
  readonly config: AudioConfig;
  /**
   * Presentation time in samples (ticks of config.sampleRate) on the camera's media clock: pts / sampleRate
   * and a video unit's pts / VIDEO_CLOCK_RATE are seconds on the same timeline.
   */
  readonly pts: number;
  /** Samples per channel in the unit (1024 for AAC, 160 for a 20 ms G.711 packet at 8 kHz). */
  readonly samples: number;
  /** When its first sample was taken, ms since the Unix epoch on this server's clock. */
  readonly wallTime: number;
  /** Arrival here (ms since the Unix epoch), for latency. */
  readonly capturedAt: number;
  /** Shared by every consumer: never written to. */
  readonly data: Buffer;
}

/** One audio unit as a producer makes it; the hub stamps it. */
export interface SourceAudioUnit {
  config: AudioConfig;
  data: Buffer;
  samples: number;
  /** Presentation time in samples, when the producer knows it (else the hub counts samples from the run's start). */
  pts?: number;
}

/** Whatever takes a camera's audio units (a viewer, a recorder). Must not block. */
export interface AudioConsumer {
  onAudio(unit: AudioUnit): void;
}

/** The audio codec string of a configuration's codec (for the API and WebCodecs). */
export function audioCodecName(codec: AudioCodec): string {
  return { aac: 'AAC', pcma: 'G.711 A-law', pcmu: 'G.711 µ-law', opus: 'Opus' }[codec];
}
