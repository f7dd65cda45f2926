/**
 * A camera's audio track: stamps the capture's audio units on the camera's media clock and fans them
 * out to its consumers. Nothing is cached for new consumers: audio starts with the next unit.
 *
 * When the source times the audio on the video's clock (AAC in the capture's MPEG-TS: the camera's RTP
 * times), a unit's pts is its source pts moved as the video's is (the video track's pts minus its source's).
 * Otherwise (G.711 on its own pipe) audio is timed by its samples, counted from the run's start:
 * continuous, whatever the arrival jitter.
 * Where the run's first sample lies on this server's clock is estimated as the least of (arrival − time of
 * the samples before it) over the run (a unit never arrives before it was captured: a capture's first
 * units come late, after a probe or an ADTS frame that waited for the next header). The unit's pts is that
 * wall time on the video's clock (its latest unit's mapping of pts to wallTime), in samples: pts /
 * sampleRate and a video unit's pts / 90000 are seconds on one timeline. When the estimate moves earlier
 * by half a unit or more, units are dropped until the audio is back in place; a gap of over two units
 * (lost packets) moves pts forward. Both are counted.
 */
import type { Logger } from 'pino';
import {
  VIDEO_CLOCK_RATE,
  type AudioConfig,
  type AudioConsumer,
  type AudioUnit,
  type SourceAudioUnit,
} from '../media/index.js';

export interface AudioInfo {
  codec: AudioConfig['codec'];
  codecString: string;
  sampleRate: number;
  channels: number;
  consumers: number;
  units: number;
  bytes: number;
}

export class AudioTrack {
  readonly consumers = new Set<AudioConsumer>();
  readonly counters = { units: 0, bytes: 0, dropped: 0, gaps: 0 };
  private seq = 0;
  private latest: AudioConfig | undefined;
  private rate = 0;
  /** Samples since the run's start. */
  private runSamples = 0;
  /** The run's first sample on this server's clock (ms since the Unix epoch): the least estimate so far. */
  private base = Infinity;
  /** The pts the next unit continues at. */
  private next: number | undefined;
  /** Whether the latest unit was placed by the source's own time (else by its samples and arrival). */
  private bySource: boolean | undefined;

  constructor(
    private readonly camera: string,
    private readonly log: Logger,
  ) {}

  /** The configuration of the newest unit (undefined until the camera's first audio). */
  get config(): AudioConfig | undefined {
    return this.latest;
  }

  /** A new run of the source: the count of samples starts again, its place is estimated afresh. */
  reset(): void {
    this.runSamples = 0;
    this.base = Infinity;
    this.next = undefined;
    this.bySource = undefined;
  }

  /**
   * Stamps and sends a unit that arrived at `arrival` (ms since the Unix epoch). `videoOffsetMs`: the
   * video clock's mapping, wallTime − pts / 90 for its latest unit (0 before any). Undefined when the
   * unit was dropped to keep the audio in place.
   */
  publish(
    unit: SourceAudioUnit,
    arrival: number,
    videoOffsetMs: number,
    /** The video's pts minus its source's (90 kHz), when the source gives both tracks' times on one clock. */
    sourceOffset?: number,
  ): AudioUnit | undefined {
    const { config } = unit;
    if (config.sampleRate !== this.rate) {
      // Bounded by the source: a capture gives its audio up when its configuration keeps changing.
      if (this.rate)
        this.log.info(
          { camera: this.camera, from: this.rate, to: config.sampleRate },
          'camera audio: the sample rate changed; its time starts over at the video clock',
        );
      this.rate = config.sampleRate;
      this.reset();
    }
    this.latest = config;
    const rate = this.rate;
    const elapsedMs = (this.runSamples * 1000) / rate;
    this.runSamples += unit.samples;
    this.base = Math.min(this.base, arrival - elapsedMs);
    let wallTime = this.base + elapsedMs;
    let expected = Math.round(((wallTime - videoOffsetMs) * rate) / 1000);
    if (unit.pts !== undefined && sourceOffset !== undefined) {
      // The source's own time, moved as the video's is: the camera's A/V sync kept.
      expected = unit.pts + Math.round((sourceOffset * rate) / VIDEO_CLOCK_RATE);
      wallTime = (expected * 1000) / rate + videoOffsetMs;
    }
    // The first units of a run may come before its first picture, placed by their arrival: once the video's
    // offset is known, the source's time places the audio exactly (not continued from the estimate).
    const bySource = unit.pts !== undefined && sourceOffset !== undefined;
    if (this.bySource !== undefined && bySource !== this.bySource) this.next = undefined;
    this.bySource = bySource;
    let pts = expected;
    if (this.next !== undefined) {
      if (expected < this.next - unit.samples / 2) {
        this.counters.dropped++;
        return undefined;
      }
      if (expected - this.next > 2 * unit.samples) {
        this.counters.gaps++;
        this.log.debug({ camera: this.camera, ms: ((expected - this.next) * 1000) / rate }, 'audio gap');
      } else pts = this.next;
    }
    this.next = pts + unit.samples;
    const out: AudioUnit = Object.freeze({
      seq: ++this.seq,
      config,
      pts,
      samples: unit.samples,
      wallTime,
      capturedAt: arrival,
      data: unit.data,
    });
    this.counters.units++;
    this.counters.bytes += unit.data.length;
    for (const consumer of this.consumers) {
      try {
        consumer.onAudio(out);
      } catch (err) {
        this.log.error({ camera: this.camera, track: 'audio', err }, 'consumer failed on an audio unit; dropping it');
        this.consumers.delete(consumer);
      }
    }
    return out;
  }

  info(): AudioInfo | null {
    const c = this.latest;
    if (!c) return null;
    return {
      codec: c.codec,
      codecString: c.codecString,
      sampleRate: c.sampleRate,
      channels: c.channels,
      consumers: this.consumers.size,
      units: this.counters.units,
      bytes: this.counters.bytes,
    };
  }
}
