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
  /** When camrelay received it, in ms since the Unix epoch (fractional): the latency reference. */
  readonly receivedAt: number;
  /** Shared by every consumer: never written to, never copied per viewer. */
  readonly data: Buffer;
  /** The generated NO SIGNAL picture sent while the camera is offline. */
  readonly placeholder: boolean;
}
