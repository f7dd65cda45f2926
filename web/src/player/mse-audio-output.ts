/**
 * Sound on the MSE path: the units as an audio-only fragmented MP4 (src/codec/mp4: AAC and Opus as they
 * come, G.711 repacked losslessly as FLAC), handed to the MSE decoder's MediaSource as a second SourceBuffer
 * (mse-audio-buffer.ts), each unit placed on the video's timeline by its pts (MseDecoder.audioTime): the
 * <video> plays picture and sound on its one clock.
 */
import {
  mp4AudioTrack,
  type AudioTrackConfig as Mp4AudioConfig,
  type Mp4AudioTrack,
} from '../../../src/codec/mp4/audio-track.js';
import { audioInitSegment, audioMediaSegment, audioMimeType } from '../../../src/codec/mp4/fmp4.js';
import type { AudioOutput } from './audio-output.js';
import type { AudioTrackConfig } from './media.js';
import { MseAudioBuffer } from './mse-audio-buffer.js';
import type { MseDecoder } from './mse-decoder.js';
import { mediaSourceClass } from './path.js';

const CODECS: Readonly<Record<string, Mp4AudioConfig['codec']>> = {
  'mp4a.40.2': 'aac',
  'mp4a.40.5': 'aac',
  'mp4a.40.29': 'aac',
  opus: 'opus',
  alaw: 'pcma',
  ulaw: 'pcmu',
};

export class MseAudioOutput implements AudioOutput {
  private track: Mp4AudioTrack | undefined;
  private buffer: MseAudioBuffer | undefined;
  private sampleRate = 0;
  private sequence = 1;

  constructor(
    private readonly decoder: MseDecoder,
    private readonly failed: (error: unknown) => void,
  ) {}

  get decoded(): number {
    return this.decoder.audioDecodedBytes;
  }

  configure(config: AudioTrackConfig): void {
    this.reset();
    const codec = CODECS[config.codec];
    const MediaSourceClass = mediaSourceClass();
    if (!codec || !MediaSourceClass) return;
    try {
      const track = mp4AudioTrack({
        codec,
        sampleRate: config.sampleRate,
        channels: config.channels,
        ...(config.description ? { description: config.description } : {}),
      });
      const mime = audioMimeType(track.record);
      if (!MediaSourceClass.isTypeSupported(mime)) throw new Error(`this browser does not play ${mime}`);
      this.track = track;
      this.sampleRate = track.record.sampleRate;
      const buffer = new MseAudioBuffer(mime, audioInitSegment(track.record), (error) => {
        // The sound fails alone: the video goes on without it.
        if (this.decoder.audioBuffer === buffer) this.decoder.setAudio(undefined);
        this.failed(error);
      });
      this.buffer = buffer;
      this.decoder.setAudio(buffer);
    } catch (error) {
      this.reset();
      this.failed(error);
    }
  }

  push(pts: number, samples: number, data: Uint8Array): void {
    const { track, buffer } = this;
    // Dropped by the decoder (the sound stopped or failed): the video plays alone for this connection.
    if (!track || !buffer || this.decoder.audioBuffer !== buffer) return;
    const time = this.decoder.audioTime(pts);
    if (time === undefined || time < 0) return; // before the first picture: nowhere to put it yet
    try {
      const sample = { data: track.sample(data, samples), duration: samples, keyframe: true };
      const baseDecodeTime = Math.round(time * this.sampleRate);
      buffer.append(audioMediaSegment(this.sequence++, { baseDecodeTime, samples: [sample] }));
    } catch (error) {
      this.failed(error);
    }
  }

  reset(): void {
    if (this.buffer && this.decoder.audioBuffer === this.buffer) this.decoder.setAudio(undefined);
    this.track = undefined;
    this.buffer = undefined;
    this.sequence = 1;
  }
}
