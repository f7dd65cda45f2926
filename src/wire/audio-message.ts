/**
 * The audio messages of the viewer protocol (docs/protocol.md, "Audio"), for viewers that ask with `?audio=1`:
 * an `audio-config` text message, then binary units with the 16-byte header (codec byte CODEC_AUDIO) grown to
 * 24 bytes:
 *
 *  16  u32  pts in 90 kHz ticks of the camera's media clock (the video header's clock), modulo 2^32
 *  20  u32  samples per channel in the unit (its duration in ticks of the sample rate)
 *
 * Pure (btoa, DataView, no Node API): shared by the server and the browser player.
 */
import { CODEC_AUDIO, FLAG_KEYFRAME, MEDIA_TIME_HEADER_BYTES } from './constants.js';
import { encodeHeader } from './header.js';

/** How to decode the audio units that follow (sent before the first and again when it changes). */
export interface AudioConfigMessage {
  type: 'audio-config';
  /** WebCodecs' codec string: `mp4a.40.2` (AAC-LC), `opus`, `alaw`, `ulaw`. */
  codec: string;
  sampleRate: number;
  channels: number;
  /** Base64 of the AudioSpecificConfig (AAC) or OpusHead (Opus); empty for G.711. */
  description: string;
}

/** An audio configuration as the message needs it (src/media's AudioConfig has these fields). */
export interface AudioDecoderConfigFields {
  readonly codecString: string;
  readonly sampleRate: number;
  readonly channels: number;
  readonly description?: Uint8Array;
}

/** The 90 kHz clock of the video headers, which audio pts are written in. */
const TICKS_PER_SECOND = 90_000;

export function audioConfigMessage(config: AudioDecoderConfigFields): AudioConfigMessage {
  return {
    type: 'audio-config',
    codec: config.codecString,
    sampleRate: config.sampleRate,
    channels: config.channels,
    description: config.description ? base64(config.description) : '',
  };
}

/** Writes the 24-byte header of an audio unit into `target` at `offset`; `pts` in samples of `sampleRate`. */
export function encodeAudioHeader(
  target: Uint8Array,
  offset: number,
  seq: number,
  capturedAt: number,
  pts: number,
  sampleRate: number,
  samples: number,
): void {
  const ticks = Math.round((pts * TICKS_PER_SECOND) / sampleRate);
  // Every audio unit decodes alone: flagged as a keyframe.
  encodeHeader(target, offset, seq, capturedAt, CODEC_AUDIO, FLAG_KEYFRAME, { dts: ticks, compositionOffset: 0 });
  new DataView(target.buffer, target.byteOffset + offset, MEDIA_TIME_HEADER_BYTES).setUint32(20, samples >>> 0);
}

/** An audio message's times, as a client reads them. */
export interface AudioHeader {
  seq: number;
  capturedAt: number;
  /** 90 kHz ticks, modulo 2^32: the video header's clock. */
  pts: number;
  samples: number;
  headerLength: number;
}

/** Reads an audio message's header (codec byte CODEC_AUDIO); undefined when it is too short. */
export function decodeAudioHeader(message: Uint8Array): AudioHeader | undefined {
  if (message.byteLength < MEDIA_TIME_HEADER_BYTES) return undefined;
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  const headerLength = view.getUint8(3);
  if (headerLength < MEDIA_TIME_HEADER_BYTES || headerLength > message.byteLength) return undefined;
  return {
    seq: view.getUint32(4),
    capturedAt: view.getFloat64(8),
    pts: view.getUint32(16),
    samples: view.getUint32(20),
    headerLength,
  };
}

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
