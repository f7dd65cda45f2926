/**
 * ADTS (ISO/IEC 14496-3 1.A.2): AAC frames each behind a 7-byte header (9 with a CRC) that repeats
 * the stream's configuration. What ffmpeg's `-f adts` and MPEG-TS carry, and what an RTSP camera's AAC
 * becomes after ffmpeg. The header is checked field by field: bytes from a camera are untrusted.
 */
import { CodecError } from '../errors.js';
import { AAC_SAMPLE_RATES, buildAudioSpecificConfig, channelsOf } from './audio-specific-config.js';

export const ADTS_HEADER_BYTES = 7;
/** aac_frame_length is 13 bits. */
export const MAX_ADTS_FRAME_BYTES = 8191;

export interface AdtsHeader {
  /** 2 (LC) for profile 1; ADTS can say 1..4. */
  objectType: number;
  sampleRate: number;
  channelConfiguration: number;
  channels: number;
  /** 7, or 9 with the CRC. */
  headerLength: number;
  /** The whole frame, header included. */
  frameLength: number;
}

/** True when `data[at..]` starts with the 12-bit ADTS syncword and layer 0 (what a resync looks for). */
export function isAdtsSync(data: Uint8Array, at: number): boolean {
  return at + 1 < data.length && data[at] === 0xff && (data[at + 1]! & 0xf6) === 0xf0;
}

/**
 * The header at `data[at..]`. CodecError: `truncated` when fewer than 7 bytes are left, `invalid` for a
 * wrong syncword or layer, a reserved sampling frequency index, a frame length shorter than its
 * header, `unsupported` for several raw data blocks in one frame or channel configuration 0.
 */
export function parseAdtsHeader(data: Uint8Array, at = 0): AdtsHeader {
  if (data.length - at < ADTS_HEADER_BYTES) throw new CodecError('truncated', 'ADTS header ends early');
  if (!isAdtsSync(data, at)) throw new CodecError('invalid', 'no ADTS syncword');
  const b1 = data[at + 1]!;
  const b2 = data[at + 2]!;
  const b3 = data[at + 3]!;
  const protectionAbsent = b1 & 1;
  const objectType = (b2 >> 6) + 1;
  const index = (b2 >> 2) & 0x0f;
  const sampleRate = AAC_SAMPLE_RATES[index];
  if (sampleRate === undefined) throw new CodecError('invalid', `ADTS sampling frequency index ${index} is reserved`);
  const channelConfiguration = ((b2 & 1) << 2) | (b3 >> 6);
  const channels = channelsOf(channelConfiguration);
  const frameLength = ((b3 & 3) << 11) | (data[at + 4]! << 3) | (data[at + 5]! >> 5);
  const headerLength = protectionAbsent ? 7 : 9;
  if (frameLength <= headerLength) {
    throw new CodecError('invalid', `ADTS frame length ${frameLength} is not longer than its header`);
  }
  const blocks = (data[at + 6]! & 3) + 1;
  if (blocks !== 1) throw new CodecError('unsupported', `${blocks} raw data blocks in one ADTS frame`);
  return { objectType, sampleRate, channelConfiguration, channels, headerLength, frameLength };
}

/** The AudioSpecificConfig an ADTS header stands for. */
export function adtsConfig(header: AdtsHeader): Uint8Array {
  return buildAudioSpecificConfig(header);
}

/** A 7-byte ADTS header for a raw AAC frame of `payloadBytes` (to write ADTS from MP4 samples). */
export function buildAdtsHeader(
  config: { objectType: number; sampleRate: number; channelConfiguration: number },
  payloadBytes: number,
): Uint8Array {
  const index = AAC_SAMPLE_RATES.indexOf(config.sampleRate);
  if (index < 0) throw new CodecError('unsupported', `AAC sample rate ${config.sampleRate} Hz is not in the table`);
  if (config.objectType < 1 || config.objectType > 4) {
    throw new CodecError('unsupported', `object type ${config.objectType} does not fit ADTS`);
  }
  const length = payloadBytes + ADTS_HEADER_BYTES;
  if (!Number.isInteger(payloadBytes) || payloadBytes < 1 || length > MAX_ADTS_FRAME_BYTES) {
    throw new CodecError('invalid', `AAC frame of ${payloadBytes} bytes for ADTS`);
  }
  const ch = config.channelConfiguration;
  channelsOf(ch);
  return Uint8Array.of(
    0xff,
    0xf1, // MPEG-4, layer 0, no CRC
    ((config.objectType - 1) << 6) | (index << 2) | (ch >> 2),
    ((ch & 3) << 6) | (length >> 11),
    (length >> 3) & 0xff,
    ((length & 7) << 5) | 0x1f, // buffer fullness 0x7ff: variable rate
    0xfc, // one raw data block
  );
}
