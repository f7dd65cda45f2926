/**
 * Audio beside the WebCodecs path: WebCodecs' AudioDecoder, its output scheduled in an AudioContext.
 *
 * Timing: the sound follows the pictures. Each picture shown tells its media time and when it reached
 * the screen (videoShown): that maps the media timeline to the page's clock, and a unit is due where
 * its pts falls on it. Units are scheduled back to back from an anchor (the first at its due time, each
 * later one at its pts' distance from it), so the sound keeps the camera's timing without clicks; the
 * anchor is set again when the schedule strays more than MAX_SKEW_S from a due time still ahead, when a
 * unit would play late (an underrun), or more than MAX_AHEAD_S ahead (a growing delay is never heard).
 * Sound that comes after its picture (due already past) cannot catch up: it plays LEAD_S after it is
 * decoded, as it does without pictures (none yet, or none for a second).
 * Sound that comes before its picture waits for it (cameras send sound as soon as it is encoded, and
 * pictures after the encoder's delay: Chromium measured sound ~270 ms early when scheduled on arrival).
 */
import { ptsDiff, PtsUnwrapper, type AudioOutput } from './audio-output.js';
import type { AudioTrackConfig } from './media.js';

const LEAD_S = 0.06;
const MAX_AHEAD_S = 0.6;
const MAX_SKEW_S = 0.04;
/** A picture older than this no longer times the sound. */
const VIDEO_STALE_MS = 1000;
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
  /** The last picture shown: its media time (90 kHz, mod 2^32) and when (performance.now()). */
  private video: { pts: number; at: number } | undefined;
  /** Each chunk's wire pts, by its timestamp (µs), until its output. */
  private readonly wirePts = new Map<number, number>();

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
    this.wirePts.set(timestamp, pts);
    if (this.wirePts.size > 4 * MAX_DECODE_QUEUE) this.wirePts.delete(this.wirePts.keys().next().value!);
    try {
      decoder.decode(new EncodedAudioChunk({ type: 'key', timestamp, data }));
    } catch (error) {
      this.failed(error);
    }
  }

  videoShown(pts: number, at: number): void {
    this.video = { pts, at };
  }

  reset(): void {
    this.closeDecoder();
    this.pts.reset();
    this.wirePts.clear();
    this.video = undefined;
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
      const due = this.due(context, data.timestamp);
      let at = this.anchorUs === undefined ? -1 : this.anchorAt + (data.timestamp - this.anchorUs) / 1e6;
      // Strays from the pictures: only while they leave room to follow them (sound due in the past goes on back to back).
      const strays = due !== undefined && due > now + LEAD_S && Math.abs(at - due) > MAX_SKEW_S;
      if (at < now || at > now + MAX_AHEAD_S || strays) {
        // Due before now (the sound came after its picture): LEAD_S from now, to absorb the next units' jitter.
        at = due === undefined || due < now + LEAD_S ? now + LEAD_S : Math.min(due, now + MAX_AHEAD_S);
        this.anchorUs = data.timestamp;
        this.anchorAt = at;
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

  /** When (context time) the unit should sound to go with the pictures; undefined without a recent one. */
  private due(context: AudioContext, timestamp: number): number | undefined {
    const video = this.video;
    const pts = this.wirePts.get(timestamp);
    this.wirePts.delete(timestamp);
    const nowMs = performance.now();
    if (!video || pts === undefined || nowMs - video.at > VIDEO_STALE_MS) return undefined;
    const dueMs = video.at + (ptsDiff(pts, video.pts) * 1000) / TICKS_PER_SECOND;
    const stamp = context.getOutputTimestamp();
    const contextTime = stamp.contextTime ?? context.currentTime;
    const performanceTime = stamp.performanceTime ?? nowMs;
    // The sound leaves the speakers outputLatency after its context time.
    return contextTime + (dueMs - performanceTime) / 1000 - (context.outputLatency || 0);
  }

  private closeDecoder(): void {
    if (this.decoder && this.decoder.state !== 'closed') this.decoder.close();
    this.decoder = undefined;
  }
}
