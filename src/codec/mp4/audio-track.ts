/**
 * A camera's audio as an MP4 track: what its samples and sample entry are. AAC and Opus go in as they
 * are (`mp4a`, `Opus`); G.711, which browsers do not play from MP4, is repacked losslessly as FLAC (one
 * frame per unit), which Chromium, Firefox, ffmpeg, VLC and mpv play. Used by recordings and by the
 * player's MSE path alike.
 */
import { buildAudioSpecificConfig, parseAudioSpecificConfig } from '../aac/audio-specific-config.js';
import { CodecError } from '../errors.js';
import { flacFrame, flacMetadataBlocks, MAX_FLAC_BLOCK, type FlacStreamInfo } from '../flac/frame.js';
import { decodeG711 } from '../g711.js';
import { buildDOps, parseOpusHead } from '../opus/opus-head.js';
import type { AudioRecord } from './audio-sample-entry.js';

/** An audio track's configuration as the media model states it (src/media/audio.ts AudioConfig). */
export interface AudioTrackConfig {
  readonly codec: 'aac' | 'pcma' | 'pcmu' | 'opus';
  readonly sampleRate: number;
  readonly channels: number;
  /** AAC: the AudioSpecificConfig. Opus: the OpusHead. */
  readonly description?: Uint8Array;
}

/** Turns a track's units into MP4 samples: one per unit. */
export interface Mp4AudioTrack {
  readonly record: AudioRecord;
  /** The sample of one unit (`samples` per channel in it). */
  sample(data: Uint8Array, samples: number): Uint8Array;
}

/** A G.711 unit's length: 20 ms (what the capture makes, ffmpeg/audio-output.ts): FLAC's fixed block size. */
const G711_UNIT_MS = 20;

export function mp4AudioTrack(config: AudioTrackConfig): Mp4AudioTrack {
  const { sampleRate, channels } = config;
  if (config.codec === 'aac') {
    const asc =
      config.description ?? buildAudioSpecificConfig({ objectType: 2, sampleRate, channelConfiguration: channels });
    parseAudioSpecificConfig(asc);
    return { record: { codec: 'aac', sampleRate, channels, description: asc }, sample: (data) => data };
  }
  if (config.codec === 'opus') {
    if (!config.description) throw new CodecError('invalid', 'an Opus track without its OpusHead');
    const head = parseOpusHead(config.description);
    return { record: { codec: 'opus', sampleRate: 48000, channels, description: buildDOps(head) }, sample: (d) => d };
  }
  const law = config.codec === 'pcma' ? 'alaw' : 'ulaw';
  const blockSize = Math.min(MAX_FLAC_BLOCK, Math.max(16, Math.round((sampleRate * G711_UNIT_MS) / 1000)));
  const info: FlacStreamInfo = { sampleRate, channels, bitsPerSample: 16, blockSize };
  let frame = 0;
  return {
    record: { codec: 'flac', sampleRate, channels, description: flacMetadataBlocks(info) },
    sample(data) {
      const out = flacFrame(info, frame, decodeG711(law, data));
      frame = (frame + 1) & 0x7fffffff;
      return out;
    },
  };
}
