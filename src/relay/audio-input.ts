/**
 * The checks of an edge's audio (publisher protocol `audio` messages and audio frames) before anything
 * on the hub reads it: the configuration agrees with itself (an AAC AudioSpecificConfig that parses and
 * gives the stated sample rate and channels, an OpusHead with the stated channels), and each unit has a
 * plausible size for it (an Opus packet lasts the samples it is said to). Pure.
 */
import { aacCodecString, parseAudioSpecificConfig } from '../codec/aac/audio-specific-config.js';
import { OPUS_CODEC_STRING, OPUS_SAMPLE_RATE, opusPacketSamples, parseOpusHead } from '../codec/opus/opus-head.js';
import type { AudioConfig } from '../media/index.js';
import { MAX_RELAY_AUDIO_BYTES, type Parsed } from './protocol.js';
import { type AudioMessage } from './messages.js';
import { type RelayAudioFrame } from './frames.js';

/** A camera's audio as the hub takes it: its configuration, and the samples of an AAC unit (0 for G.711 and Opus). */
export interface RelayAudio {
  config: AudioConfig;
  frameLength: number;
}

/** The hub's AudioConfig for an `audio` message, or why it is refused. */
export function relayAudioConfig(message: AudioMessage): Parsed<RelayAudio> {
  const { codec, sampleRate, channels } = message;
  if (codec === 'opus') return opusConfig(message);
  if (codec !== 'aac') {
    const codecString = codec === 'pcma' ? 'alaw' : 'ulaw';
    return { ok: true, message: { config: { codec, sampleRate, channels, codecString }, frameLength: 0 } };
  }
  const description = Buffer.from(message.description ?? '', 'base64');
  let asc;
  try {
    asc = parseAudioSpecificConfig(description);
  } catch (err) {
    return { ok: false, reason: `audio config: ${(err as Error).message}` };
  }
  if (asc.sampleRate !== sampleRate || asc.channels !== channels)
    return {
      ok: false,
      reason: `audio config says ${sampleRate} Hz ${channels} ch, its AudioSpecificConfig ${asc.sampleRate} Hz ${asc.channels} ch`,
    };
  return {
    ok: true,
    message: {
      config: {
        codec,
        sampleRate,
        channels,
        codecString: aacCodecString(asc),
        description: new Uint8Array(description),
      },
      frameLength: asc.frameLength,
    },
  };
}

/** Opus: an OpusHead that parses, mono or stereo (mapping family 0), with the stated channels. */
function opusConfig(message: AudioMessage): Parsed<RelayAudio> {
  const description = Buffer.from(message.description ?? '', 'base64');
  let head;
  try {
    head = parseOpusHead(description);
  } catch (err) {
    return { ok: false, reason: `audio config: ${(err as Error).message}` };
  }
  if (head.channels !== message.channels || head.mappingFamily !== 0)
    return {
      ok: false,
      reason: `audio config says ${message.channels} ch, its OpusHead ${head.channels} ch (mapping family ${head.mappingFamily})`,
    };
  const config = {
    codec: 'opus' as const,
    sampleRate: OPUS_SAMPLE_RATE,
    channels: head.channels,
    codecString: OPUS_CODEC_STRING,
    description: new Uint8Array(description),
  };
  return { ok: true, message: { config, frameLength: 0 } };
}

/** Same codec, rate, channels and description: the camera keeps its AudioConfig object (consumers compare by identity). */
export function sameAudioConfig(a: AudioConfig | undefined, b: AudioConfig): boolean {
  if (!a) return false;
  const da = a.description ?? new Uint8Array(0);
  const db = b.description ?? new Uint8Array(0);
  return (
    a.codec === b.codec &&
    a.sampleRate === b.sampleRate &&
    a.channels === b.channels &&
    a.codecString === b.codecString &&
    Buffer.compare(da, db) === 0
  );
}

/** Undefined when an audio unit fits its configuration, else what is wrong. */
export function checkAudioUnit({ config, frameLength }: RelayAudio, frame: RelayAudioFrame): string | undefined {
  const bytes = frame.data.length;
  if (bytes === 0 || bytes > MAX_RELAY_AUDIO_BYTES)
    return `audio unit of ${bytes} bytes (1 to ${MAX_RELAY_AUDIO_BYTES})`;
  if (config.codec === 'opus') {
    let samples;
    try {
      samples = opusPacketSamples(frame.data);
    } catch (err) {
      return `Opus unit: ${(err as Error).message}`;
    }
    return samples === frame.samples ? undefined : `Opus unit of ${frame.samples} samples, its packet ${samples}`;
  }
  if (config.codec === 'aac') {
    if (frame.samples !== frameLength) return `AAC unit of ${frame.samples} samples, not ${frameLength}`;
    if (bytes > 768 * config.channels) return `AAC unit of ${bytes} bytes, over 768 per channel`;
    return undefined;
  }
  // G.711: one byte per sample and channel.
  if (frame.samples * config.channels !== bytes)
    return `G.711 unit of ${bytes} bytes for ${frame.samples} samples of ${config.channels} channel(s)`;
  return undefined;
}
