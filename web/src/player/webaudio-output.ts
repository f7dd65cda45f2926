/**
 * Audio beside the WebCodecs path: WebCodecs' AudioDecoder, its output scheduled in an AudioContext.
 *
 * Timing: the first unit is scheduled LEAD_S after the context's clock, and every later one at its pts'
 * distance from it, so jitter up to LEAD_S is absorbed and the sound keeps the camera's timing. Audio
 * that would play late (an underrun) or more than MAX_AHEAD_S ahead (a growing delay) starts a new
 * anchor instead: the listener hears a click, never a delay that grows. The video is not slaved to
 * this clock: it shows each picture as it is decoded (presenter.ts), which puts the pictures LEAD_S
 * ahead of the sound at most.
 */
import { PtsUnwrapper, type AudioOutput } from './audio-output.js';
import type { AudioTrackConfig } from './media.js';

const LEAD_S = 0.06;
const MAX_AHEAD_S = 0.3;
/** Units waiting in the decoder past this: the next are dropped (the decoder falls behind). */
const MAX_DECODE_QUEUE = 20;
const TICKS_PER_SECOND = 90_000;

export class WebAudioOutput implements AudioOutput {
  decoded = 0;
  private decoder: AudioDecoder | undefined;
  private context: AudioContext | undefined;
  private readonly pts = new PtsUnwrapper();
  /** The anchor: a media time (µs) and the context time it plays at. */
  private anchorUs: number | undefined;
  private anchorAt = 0;
  private readonly playing = new Set<AudioBufferSourceNode>();

  constructor(private readonly failed: (error: unknown) => void) {}

  configure(config: AudioTrackConfig): void {
    this.closeDecoder();
    if (typeof AudioDecoder === 'undefined') return;
    try {
      const decoder = new AudioDecoder({ output: (data) => this.play(data), error: (e) => this.failed(e) });
      decoder.configure({
        codec: config.codec,
        sampleRate: config.sampleRate,
        numberOfChannels: config.channels,
        ...(config.description ? { description: config.description } : {}),
      });
      this.decoder = decoder;
      // The sound's own context; suspended until the page has had a user gesture (autoplay rules).
      this.context ??= new AudioContext({ latencyHint: 'interactive' });
      if (this.context.state === 'suspended') void this.context.resume().catch(() => {});
    } catch (error) {
      this.failed(error);
    }
  }

  push(pts: number, _samples: number, data: Uint8Array): void {
    const decoder = this.decoder;
    if (!decoder || decoder.state !== 'configured' || decoder.decodeQueueSize > MAX_DECODE_QUEUE) return;
    const timestamp = Math.round((this.pts.next(pts) * 1e6) / TICKS_PER_SECOND);
    try {
      decoder.decode(new EncodedAudioChunk({ type: 'key', timestamp, data }));
    } catch (error) {
      this.failed(error);
    }
  }

  reset(): void {
    this.closeDecoder();
    this.pts.reset();
    this.anchorUs = undefined;
    for (const node of this.playing) node.stop();
    this.playing.clear();
    void this.context?.close().catch(() => {});
    this.context = undefined;
  }

  private play(data: AudioData): void {
    this.decoded++;
    const context = this.context;
    try {
      if (!context || context.state === 'closed') return;
      const buffer = context.createBuffer(data.numberOfChannels, data.numberOfFrames, data.sampleRate);
      for (let channel = 0; channel < data.numberOfChannels; channel++) {
        const samples = new Float32Array(data.numberOfFrames);
        data.copyTo(samples, { planeIndex: channel, format: 'f32-planar' });
        buffer.copyToChannel(samples, channel);
      }
      const now = context.currentTime;
      let at = this.anchorUs === undefined ? -1 : this.anchorAt + (data.timestamp - this.anchorUs) / 1e6;
      if (at < now || at > now + MAX_AHEAD_S) {
        this.anchorUs = data.timestamp;
        this.anchorAt = now + LEAD_S;
        at = this.anchorAt;
      }
      const node = context.createBufferSource();
      node.buffer = buffer;
      node.connect(context.destination);
      node.onended = () => this.playing.delete(node);
      this.playing.add(node);
      node.start(at);
    } finally {
      data.close();
    }
  }

  private closeDecoder(): void {
    if (this.decoder && this.decoder.state !== 'closed') this.decoder.close();
    this.decoder = undefined;
  }
}
