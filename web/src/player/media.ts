/**
 * What a decoder is given, the browser side of protocol v1: each track's configuration and its
 * units, keyed by codec. Video today: H.264 (codec 2) and H.265 (codec 3) access units after their
 * `config` message, and JPEG pictures; an audio track (its config, its units) joins these unions
 * and each decoder lets go of what it does not play. No I/O.
 *
 * A `config` text message comes before the first video message and again
 * before the first one that needs a new one; each video message then carries
 * one access unit with 4-byte NAL lengths, the header's time being
 * when camrelay received it.
 */

import type { AudioConfigMessage } from '../../../src/wire/audio-message.js';
import type { ConfigMessage } from './protocol.js';

/** An avcC larger than this is not a camera's (its parser caps at 1 MiB too). */
const MAX_DESCRIPTION_CHARS = 1_400_000;
const MAX_SIDE = 8192;

/** What VideoDecoder.configure and an fMP4 init segment need. */
export interface VideoConfig {
  kind: 'video';
  /** RFC 6381, e.g. `avc1.64001F`, `hvc1.1.6.L93.90`. */
  codec: string;
  width: number;
  height: number;
  /** The AVCDecoderConfigurationRecord (avcC), or for H.265 the HEVCDecoderConfigurationRecord (hvcC). */
  description: Uint8Array;
}

/** H.264's codec strings, and H.265's (ISO/IEC 14496-15 E.3). */
const AVC_CODEC = /^avc[13]\.[0-9a-f]{6}$/i;
const HEVC_CODEC = /^(hvc1|hev1)\.[a-c]?\d{1,2}\.[0-9a-f]{1,8}\.[lh]\d{1,3}(\.[0-9a-f]{1,2}){0,6}$/i;

/** An H.265 configuration (its description is an hvcC). */
export function isHevc(config: VideoConfig): boolean {
  return HEVC_CODEC.test(config.codec);
}

/** An audio track (`?audio=1`), as the `audio-config` message says it. */
export interface AudioTrackConfig {
  kind: 'audio';
  /** WebCodecs' name: `mp4a.40.2`, `opus`, `alaw`, `ulaw`. */
  codec: string;
  sampleRate: number;
  channels: number;
  /** AAC: the AudioSpecificConfig; Opus: the OpusHead; G.711: none. */
  description?: Uint8Array;
}

/** An `audio-config` message as the audio output takes it; undefined when it is not a usable one. */
export function audioConfig(m: AudioConfigMessage): AudioTrackConfig | undefined {
  if (!/^(mp4a\.40\.\d{1,2}|opus|alaw|ulaw)$/.test(m.codec)) return undefined;
  if (!Number.isInteger(m.sampleRate) || m.sampleRate < 8000 || m.sampleRate > 96000) return undefined;
  if (!Number.isInteger(m.channels) || m.channels < 1 || m.channels > 8) return undefined;
  if (m.description.length > 4096) return undefined;
  const description = m.description ? base64(m.description) : undefined;
  if (m.description && !description) return undefined;
  return {
    kind: 'audio',
    codec: m.codec,
    sampleRate: m.sampleRate,
    channels: m.channels,
    ...(description ? { description } : {}),
  };
}

/** A track's configuration, as `configure` takes it (video only, today). */
export type TrackConfig = VideoConfig;

/** What every unit carries, whatever its codec. */
interface UnitTiming {
  seq: number;
  /** When camrelay received it, server clock (ms since the epoch). */
  capturedAt: number;
  /** Called exactly once, when the decoder has taken it (or let it go): the WebSocket acks here. */
  done: () => void;
}

/** One H.264 or H.265 access unit, as a video message brought it. */
export interface AccessUnit extends UnitTiming {
  codec: 'h264' | 'h265';
  /** AVC form: each NAL unit after its 4-byte length. */
  data: Uint8Array;
  keyframe: boolean;
  /**
   * Presentation minus decode time, 90 kHz ticks, when the server says (B-frames: units come in decode
   * order, each shown this long after its decode time). Absent or 0: shown in the order they come.
   */
  compositionOffset?: number;
  /** Presentation time on the camera's media clock, 90 kHz ticks modulo 2^32, when the header has it (audio syncs on it). */
  pts?: number;
}

/** One JPEG picture, as a frame message brought it. */
export interface JpegPicture extends UnitTiming {
  codec: 'jpeg';
  jpeg: Blob;
}

/** Any unit a decoder may be handed; `codec` tells which. */
export type MediaUnit = AccessUnit | JpegPicture;

/** How a picture that was shown is reported, whatever the decoder. */
export interface ShownFrame {
  seq: number;
  capturedAt: number;
  /** Its media presentation time (90 kHz, modulo 2^32), where known. */
  pts?: number;
}

/** A `config` message as a decoder takes it; undefined when it is not a usable one. */
export function videoConfig(m: ConfigMessage): VideoConfig | undefined {
  const hevc = HEVC_CODEC.test(m.codec);
  if (!(hevc || AVC_CODEC.test(m.codec)) || !side(m.width) || !side(m.height)) return undefined;
  if (m.description.length > MAX_DESCRIPTION_CHARS) return undefined;
  const description = base64(m.description);
  // The smallest record: avcC's 7 bytes of header, hvcC's 23.
  if (!description || description.length < (hevc ? 23 : 7)) return undefined;
  return { kind: 'video', codec: m.codec, width: m.width, height: m.height, description };
}

export function sameConfig(a: VideoConfig, b: VideoConfig): boolean {
  if (a.codec !== b.codec || a.width !== b.width || a.height !== b.height) return false;
  if (a.description.length !== b.description.length) return false;
  return a.description.every((byte, i) => byte === b.description[i]);
}

function side(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value <= MAX_SIDE;
}

function base64(text: string): Uint8Array | undefined {
  try {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  } catch {
    return undefined;
  }
}
