/**
 * Sound on the MSE path: the units as an audio-only fragmented MP4 (src/codec/mp4: AAC and Opus as they
 * come, G.711 repacked losslessly as FLAC), handed to the MSE decoder's MediaSource as a second SourceBuffer
 * (mse-audio-buffer.ts), each unit placed on the video's timeline by its pts (MseDecoder.audioTime): the
 * <video> plays picture and sound on its one clock.
 * Sound the decoder dropped because it stopped comes back once its units have flowed again for RESUME_AFTER_MS
 * (not sooner than RETRY_AFTER_MS after the drop: each change starts a new MediaSource); sound that failed does not.
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

/** Units flowing again this long after the sound was dropped: it is added back. */
const RESUME_AFTER_MS = 2000;
/** …but not sooner than this after it was dropped. */
const RETRY_AFTER_MS = 5000;

export class MseAudioOutput implements AudioOutput {
  private track: Mp4AudioTrack | undefined;
  private buffer: MseAudioBuffer | undefined;
  private sampleRate = 0;
  private sequence = 1;
  /** The sound was dropped (stopped): when that was seen, and since when units flow again (performance.now()). */
  private droppedAt: number | undefined;
  private flowingSince: number | undefined;
  private lastPushAt: number | undefined;

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
        // The sound fails alone, for good: the video goes on without it.
        if (this.decoder.audioBuffer === buffer) this.decoder.setAudio(undefined);
        if (this.buffer === buffer) this.buffer = undefined;
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
    if (!track || !buffer) return;
    if (this.decoder.audioBuffer !== buffer && !this.resumed(buffer)) return;
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

  /** Dropped by the decoder (the sound stopped): added back once units have flowed again long enough. */
  private resumed(buffer: MseAudioBuffer): boolean {
    const now = performance.now();
    this.droppedAt ??= now;
    this.flowingSince ??= now;
    // A pause in the units starts the count again.
    if (now - (this.lastPushAt ?? now) > 500) this.flowingSince = now;
    this.lastPushAt = now;
    if (now - this.flowingSince < RESUME_AFTER_MS || now - this.droppedAt < RETRY_AFTER_MS) return false;
    this.droppedAt = undefined;
    this.flowingSince = undefined;
    this.decoder.setAudio(buffer);
    return true;
  }

  reset(): void {
    if (this.buffer && this.decoder.audioBuffer === this.buffer) this.decoder.setAudio(undefined);
    this.track = undefined;
    this.buffer = undefined;
    this.sequence = 1;
    this.droppedAt = undefined;
    this.flowingSince = undefined;
    this.lastPushAt = undefined;
  }
}
