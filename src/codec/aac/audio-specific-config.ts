/**
 * The MPEG-4 AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1) of an AAC track: object type, sampling
 * frequency and channel configuration. It is MP4's `esds` DecoderSpecificInfo and WebCodecs'
 * AudioDecoder `description`; RTSP cameras give it in the SDP (`config=`), ADTS in every frame header.
 */
import { BitReader } from '../bits.js';
import { CodecError } from '../errors.js';

/** The sampling frequencies an index (0..12) stands for. */
export const AAC_SAMPLE_RATES: readonly number[] = [
  96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];

/** Channels of channel configurations 1..7 (0: a program config element, which camrelay does not read). */
const CHANNELS: readonly number[] = [0, 1, 2, 3, 4, 5, 6, 8];

export interface AudioSpecificConfig {
  /** Audio object type: 2 for AAC-LC (what cameras send), 5 SBR (HE-AAC), 29 PS (HE-AAC v2). */
  objectType: number;
  /** Hz, of the core AAC stream. */
  sampleRate: number;
  /** 1..7 (7 is 7.1: 8 channels). */
  channelConfiguration: number;
  channels: number;
  /** Samples per channel in one frame: 1024 (960 with the frameLengthFlag). */
  frameLength: number;
}

/** The index of a sample rate in AAC_SAMPLE_RATES, or -1. */
export function sampleRateIndex(rate: number): number {
  return AAC_SAMPLE_RATES.indexOf(rate);
}

/** The channels of a channel configuration (CodecError for 0, a PCE, or a reserved value). */
export function channelsOf(channelConfiguration: number): number {
  if (channelConfiguration === 0) {
    throw new CodecError('unsupported', 'AAC channel configuration 0 (a program config element)');
  }
  const channels = CHANNELS[channelConfiguration];
  if (channels === undefined) throw new CodecError('invalid', `AAC channel configuration ${channelConfiguration}`);
  return channels;
}

function readObjectType(r: BitReader): number {
  const type = r.readBits(5);
  return type === 31 ? 32 + r.readBits(6) : type;
}

function readSampleRate(r: BitReader): number {
  const index = r.readBits(4);
  if (index === 15) return r.readBits(24);
  const rate = AAC_SAMPLE_RATES[index];
  if (rate === undefined) throw new CodecError('invalid', `AAC sampling frequency index ${index} is reserved`);
  return rate;
}

/** Object types whose frames camrelay passes on: the AAC family browsers decode (Main, LC, SBR, PS). */
const SUPPORTED_TYPES = new Set([1, 2, 5, 29]);

/**
 * Parses an AudioSpecificConfig. CodecError when it is truncated, names a reserved sample rate or
 * channel configuration, is not AAC (Main, LC, HE-AAC) or has a sample rate outside 7350..96000.
 */
export function parseAudioSpecificConfig(data: Uint8Array): AudioSpecificConfig {
  if (data.length < 2) throw new CodecError('truncated', `AudioSpecificConfig of ${data.length} bytes`);
  if (data.length > 64) throw new CodecError('too-large', `AudioSpecificConfig of ${data.length} bytes`);
  const r = new BitReader(data);
  const objectType = readObjectType(r);
  const sampleRate = readSampleRate(r);
  const channelConfiguration = r.readBits(4);
  if (objectType === 5 || objectType === 29) {
    // Explicit HE-AAC: the extension's rate, then the core's object type; the core rate stays.
    readSampleRate(r);
    const core = readObjectType(r);
    if (core !== 2) throw new CodecError('unsupported', `HE-AAC over object type ${core}`);
  }
  if (!SUPPORTED_TYPES.has(objectType)) {
    throw new CodecError('unsupported', `audio object type ${objectType} (not AAC Main, LC or HE-AAC)`);
  }
  if (sampleRate < 7350 || sampleRate > 96000) {
    throw new CodecError('unsupported', `AAC sample rate ${sampleRate} Hz`);
  }
  const channels = channelsOf(channelConfiguration);
  // GASpecificConfig: frameLengthFlag first.
  const frameLength = r.bitsLeft > 0 && r.readFlag() ? 960 : 1024;
  return { objectType, sampleRate, channelConfiguration, channels, frameLength };
}

/** The 2-byte AudioSpecificConfig of AAC (object type 1..30, a rate of the table, 1024-sample frames). */
export function buildAudioSpecificConfig(config: {
  objectType: number;
  sampleRate: number;
  channelConfiguration: number;
}): Uint8Array {
  const { objectType, sampleRate, channelConfiguration } = config;
  if (!Number.isInteger(objectType) || objectType < 1 || objectType > 30) {
    throw new CodecError('invalid', `audio object type ${objectType}`);
  }
  const index = sampleRateIndex(sampleRate);
  if (index < 0) throw new CodecError('unsupported', `AAC sample rate ${sampleRate} Hz is not in the table`);
  channelsOf(channelConfiguration);
  return Uint8Array.of((objectType << 3) | (index >> 1), ((index & 1) << 7) | (channelConfiguration << 3));
}

/** The RFC 6381 codec string, `mp4a.40.<object type>` (WebCodecs, MSE). */
export function aacCodecString(config: AudioSpecificConfig): string {
  return `mp4a.40.${config.objectType}`;
}
