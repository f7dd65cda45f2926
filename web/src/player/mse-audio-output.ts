/**
 * Audio beside the MSE path: the units as an audio-only fragmented MP4 (src/codec/mp4: AAC and Opus as
 * they come, G.711 repacked losslessly as FLAC) in a MediaSource of its own, played by an <audio> that
 * is not shown. One media segment per unit, appended one at a time, a bounded queue (the oldest go first);
 * the playhead is kept near the live edge like the video's (a jump when it falls LIVE_EDGE_S behind).
 * The two elements play side by side, each at its live edge: they are not locked to one clock.
 */
import {
  mp4AudioTrack,
  type AudioTrackConfig as Mp4AudioConfig,
  type Mp4AudioTrack,
} from '../../../src/codec/mp4/audio-track.js';
import { audioInitSegment, audioMediaSegment, audioMimeType } from '../../../src/codec/mp4/fmp4.js';
import { PtsUnwrapper, type AudioOutput } from './audio-output.js';
import type { AudioTrackConfig } from './media.js';
import { mediaSourceClass } from './path.js';

const MAX_QUEUED = 50;
const LIVE_EDGE_S = 0.5;
const KEEP_BEHIND_S = 5;
const TICKS_PER_SECOND = 90_000;

const CODECS: Readonly<Record<string, Mp4AudioConfig['codec']>> = {
  'mp4a.40.2': 'aac',
  'mp4a.40.5': 'aac',
  'mp4a.40.29': 'aac',
  opus: 'opus',
  alaw: 'pcma',
  ulaw: 'pcmu',
};

export class MseAudioOutput implements AudioOutput {
  private audio: HTMLAudioElement | undefined;
  private source: MediaSource | undefined;
  private buffer: SourceBuffer | undefined;
  private url = '';
  private track: Mp4AudioTrack | undefined;
  private mime = '';
  private sampleRate = 0;
  private readonly pts = new PtsUnwrapper();
  private firstPts: number | undefined;
  private sequence = 1;
  private queue: Uint8Array[] = [];

  constructor(private readonly failed: (error: unknown) => void) {}

  get decoded(): number {
    const audio = this.audio as (HTMLAudioElement & { webkitAudioDecodedByteCount?: number }) | undefined;
    return audio?.webkitAudioDecodedByteCount ?? 0;
  }

  configure(config: AudioTrackConfig): void {
    this.reset();
    const codec = CODECS[config.codec];
    const MediaSourceClass = mediaSourceClass();
    if (!codec || !MediaSourceClass) return;
    try {
      this.track = mp4AudioTrack({
        codec,
        sampleRate: config.sampleRate,
        channels: config.channels,
        ...(config.description ? { description: config.description } : {}),
      });
      this.mime = audioMimeType(this.track.record);
      if (!MediaSourceClass.isTypeSupported(this.mime)) throw new Error(`this browser does not play ${this.mime}`);
      this.sampleRate = this.track.record.sampleRate;
      this.queue.push(audioInitSegment(this.track.record));
      const source = new MediaSourceClass();
      const audio = document.createElement('audio');
      this.source = source;
      this.audio = audio;
      this.url = URL.createObjectURL(source);
      source.addEventListener('sourceopen', () => this.opened(source), { once: true });
      audio.src = this.url;
    } catch (error) {
      this.reset();
      this.failed(error);
    }
  }

  push(pts: number, samples: number, data: Uint8Array): void {
    const track = this.track;
    if (!track) return;
    const ticks = this.pts.next(pts);
    this.firstPts ??= ticks;
    // Media time from the first unit on: the element's timeline starts near zero.
    const base = Math.max(0, Math.round(((ticks - this.firstPts) * this.sampleRate) / TICKS_PER_SECOND));
    try {
      const sample = { data: track.sample(data, samples), duration: samples, keyframe: true };
      this.queue.push(audioMediaSegment(this.sequence++, { baseDecodeTime: base, samples: [sample] }));
    } catch (error) {
      this.failed(error);
      return;
    }
    // The oldest media segments go first (never the init segment at the head, before it is appended).
    if (this.queue.length > MAX_QUEUED) this.queue.splice(this.buffer ? 0 : 1, 1);
    this.pump();
  }

  reset(): void {
    this.track = undefined;
    this.queue = [];
    this.pts.reset();
    this.firstPts = undefined;
    this.sequence = 1;
    this.buffer = undefined;
    if (this.audio) {
      this.audio.pause();
      this.audio.removeAttribute('src');
      this.audio.load();
    }
    this.audio = undefined;
    this.source = undefined;
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = '';
  }

  private opened(source: MediaSource): void {
    if (source !== this.source) return;
    try {
      const buffer = source.addSourceBuffer(this.mime);
      buffer.mode = 'segments';
      buffer.addEventListener('updateend', () => this.updated(buffer));
      this.buffer = buffer;
      this.pump();
    } catch (error) {
      this.failed(error);
    }
  }

  private updated(buffer: SourceBuffer): void {
    if (buffer !== this.buffer) return;
    const audio = this.audio;
    if (audio && buffer.buffered.length > 0) {
      const end = buffer.buffered.end(buffer.buffered.length - 1);
      if (end - audio.currentTime > LIVE_EDGE_S) audio.currentTime = Math.max(0, end - 0.1);
      if (audio.paused) void audio.play().catch(() => {});
      const start = buffer.buffered.start(0);
      if (audio.currentTime - start > 2 * KEEP_BEHIND_S) {
        buffer.remove(start, audio.currentTime - KEEP_BEHIND_S);
        return;
      }
    }
    this.pump();
  }

  private pump(): void {
    const buffer = this.buffer;
    if (!buffer || buffer.updating) return;
    const next = this.queue.shift();
    if (!next) return;
    try {
      buffer.appendBuffer(next as Uint8Array<ArrayBuffer>);
    } catch (error) {
      this.failed(error);
    }
  }
}
