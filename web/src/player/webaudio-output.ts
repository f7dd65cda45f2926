/**
 * Audio beside the WebCodecs path: WebCodecs' AudioDecoder, its output scheduled in an AudioContext.
 *
 * Timing: the pictures follow the sound (the audio clock is the master). The first unit decoded plays
 * LEAD_S after its decoding (room for the next units' jitter); each later one is scheduled back to back
 * from it, at its pts' distance (an anchor: a media time and the context time it plays at), so the sound
 * keeps the camera's timing without clicks. The anchor is set again when a unit would play late (an
 * underrun) or more than MAX_AHEAD_S ahead (a growing delay is never heard). `due(pts)` tells the
 * presenter when the sound of a media time leaves the speakers (context time → performance.now(), plus
 * the output latency): each picture waits for that moment. Without sound playing (muted, no unit for
 * SOUND_STALE_MS, a suspended context), pictures show as soon as decoded.
 */
import { ptsDiff, PtsUnwrapper, type AudioOutput } from './audio-output.js';
import type { AudioTrackConfig } from './media.js';

const LEAD_S = 0.06;
const MAX_AHEAD_S = 0.3;
/**
 * The schedule's lead over the context's clock, watched over TRIM_WINDOW_MS: if even its least exceeded LEAD_S
 * by more than TRIM_SLACK_S (a burst at the start, or jitter gone), that much sound is skipped at the next
 * unit, so the lead (and the pictures' wait) shrinks back instead of staying at its worst.
 */
const TRIM_WINDOW_MS = 2000;
const TRIM_SLACK_S = 0.02;
/** No unit scheduled for this long: the sound no longer times the pictures. */
const SOUND_STALE_MS = 1000;
/** Units waiting in the decoder past this: the next are dropped (the decoder falls behind). */
const MAX_DECODE_QUEUE = 20;
const TICKS_PER_SECOND = 90_000;

export class WebAudioOutput implements AudioOutput {
  decoded = 0;
  private decoder: AudioDecoder | undefined;
  private context: AudioContext | undefined;
  private readonly pts = new PtsUnwrapper();
  /** The anchor: a media time (µs, and on the wire: 90 kHz mod 2^32) and the context time it plays at. */
  private anchorUs: number | undefined;
  private anchorPts = 0;
  private anchorAt = 0;
  /** When (performance.now()) the last unit was scheduled. */
  private scheduledAt = -Infinity;
  /** The least lead (s) seen since windowStart (performance.now()). */
  private leastLead = Infinity;
  private windowStart = 0;
  private readonly playing = new Set<AudioBufferSourceNode>();
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

  due(pts: number): number | undefined {
    const context = this.context;
    const nowMs = performance.now();
    if (!context || context.state !== 'running' || this.anchorUs === undefined) return undefined;
    if (nowMs - this.scheduledAt > SOUND_STALE_MS) return undefined;
    const at = this.anchorAt + ptsDiff(pts, this.anchorPts) / TICKS_PER_SECOND;
    const stamp = context.getOutputTimestamp();
    const contextTime = stamp.contextTime ?? context.currentTime;
    const performanceTime = stamp.performanceTime ?? nowMs;
    // The sound leaves the speakers outputLatency after its context time.
    return performanceTime + (at - contextTime + (context.outputLatency || 0)) * 1000;
  }

  reset(): void {
    this.closeDecoder();
    this.pts.reset();
    this.wirePts.clear();
    this.anchorUs = undefined;
    this.scheduledAt = -Infinity;
    this.leastLead = Infinity;
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
      const pts = this.wirePts.get(data.timestamp);
      this.wirePts.delete(data.timestamp);
      let at = this.anchorUs === undefined ? -1 : this.anchorAt + (data.timestamp - this.anchorUs) / 1e6;
      if (at < now || at > now + MAX_AHEAD_S || pts === undefined) {
        at = now + LEAD_S;
        this.anchorUs = data.timestamp;
        this.anchorPts = pts ?? 0;
        this.anchorAt = at;
        if (pts === undefined) this.anchorUs = undefined; // not on the wire's clock: times no picture
      }
      const nowMs = performance.now();
      this.scheduledAt = nowMs;
      this.leastLead = Math.min(this.leastLead, at - now);
      let skip = 0;
      if (nowMs - this.windowStart > TRIM_WINDOW_MS) {
        if (this.leastLead - LEAD_S > TRIM_SLACK_S) skip = Math.min(this.leastLead - LEAD_S, buffer.duration);
        this.windowStart = nowMs;
        this.leastLead = Infinity;
      }
      // Skipping the start of this unit (or all of it) brings every later one that much closer, without a gap.
      this.anchorAt -= skip;
      if (skip >= buffer.duration) return;
      const node = context.createBufferSource();
      node.buffer = buffer;
      node.connect(context.destination);
      node.onended = () => this.playing.delete(node);
      this.playing.add(node);
      node.start(at, skip);
    } finally {
      data.close();
    }
  }

  private closeDecoder(): void {
    if (this.decoder && this.decoder.state !== 'closed') this.decoder.close();
    this.decoder = undefined;
  }
}
