/**
 * The codec-neutral media model: what flows from a source through the hub to
 * every output. A camera has tracks; a track has a codec and a configuration;
 * what flows on a track is access units. Nothing here depends on a codec's
 * bytes: codec parsing lives in src/codec/, app wiring elsewhere.
 */

/**
 * `jpeg`: every access unit is one whole JPEG. `h264`: AVC, 4-byte NAL lengths (as in avcC).
 * `h265`: HEVC, 4-byte NAL lengths (as in hvcC).
 */
export type Codec = 'jpeg' | 'h264' | 'h265';

/** The media clock of every video track: pts and dts are in ticks of 90 kHz (as in RTP and MPEG-TS). */
export const VIDEO_CLOCK_RATE = 90000;

/**
 * How to decode a track's access units. A new object whenever anything changes
 * (a camera restarted at another size): consumers compare by identity and pass
 * the new configuration on before the data that needs it.
 */
export interface TrackConfig {
  readonly codec: Codec;
  /** Picture size in pixels. */
  readonly width: number;
  readonly height: number;
  /** RFC 6381 codec string for WebCodecs and MSE, e.g. `avc1.42E01F`, `hvc1.1.6.L93.90`; `jpeg` for JPEG. */
  readonly codecString: string;
  /** H.264: the AVCDecoderConfigurationRecord (avcC); H.265: the HEVCDecoderConfigurationRecord (hvcC). None for JPEG. */
  readonly description?: Uint8Array;
}

/** One decodable unit: a JPEG picture, or one H.264 or H.265 picture's NAL units. */
export interface AccessUnit {
  /** Strictly increasing per camera track, placeholders included. */
  readonly seq: number;
  readonly config: TrackConfig;
  /** Decodable on its own (every JPEG; an H.264 IDR or H.265 IRAP picture with its parameter sets known). */
  readonly keyframe: boolean;
  /**
   * When the picture was captured, on this server's clock, in ms since the Unix epoch (fractional): its
   * arrival here for a camera read here; for a relayed camera, the edge's capture time mapped to this
   * clock. The latency reference (arrival), not the media clock: see pts, dts, wallTime.
   */
  readonly capturedAt: number;
  /**
   * Presentation time, in integer ticks of the track's media clock (VIDEO_CLOCK_RATE for video; the
   * sample rate for audio): the source's own timestamps when it has them, else derived from the arrival
   * time. Continuous per track: a new run of the source, or a jump of its clock, continues from the
   * previous unit, so pts never jumps by the camera's whims.
   */
  readonly pts: number;
  /** Decode time, same clock: non-decreasing in the order units flow; equal to pts without B-frames. */
  readonly dts: number;
  /**
   * When the picture was taken (its pts), on this server's clock in ms since the Unix epoch, from a
   * stable per-source mapping of media time to wall time (re-anchored when the source restarts or its
   * clock jumps): the clock of recordings, the timeline and events.
   */
  readonly wallTime: number;
  /** Shared by every consumer: never written to, never copied per viewer. */
  readonly data: Buffer;
  /** The generated NO SIGNAL picture sent while the camera is offline. */
  readonly placeholder: boolean;
}

/**
 * One access unit as a producer makes it (a camera's capture, a transcoder): the hub stamps it (seq,
 * receive time) and fans it out.
 */
export interface SourceUnit {
  /** The track's configuration: the same object while nothing changes (consumers compare by identity). */
  config: TrackConfig;
  keyframe: boolean;
  /** JPEG: one whole, validated picture. H.264, H.265: each NAL unit preceded by its 4-byte length. */
  data: Buffer;
  /**
   * When it was captured, on this server's clock (ms since the Unix epoch), if earlier than its arrival
   * here: a relayed camera's units carry the edge's capture time. Unset: the hub stamps the arrival.
   */
  capturedAt?: number;
  /** Presentation time in ticks of the track's clock (VIDEO_CLOCK_RATE for video), when the producer knows it. */
  pts?: number;
  /** Decode time, same clock, when it differs from pts (B-frames); unset: equal to pts. */
  dts?: number;
}

/** Where a producer's units go. */
export interface SourceSink {
  unit(unit: SourceUnit): void;
  /** The producer ended by itself (not through stop()); `reason` says why, for the log. */
  ended(reason: string): void;
}
