/**
 * One track of a camera (its jpeg, h264 or h265 access units): numbers and
 * stamps units, fans each one out — one frozen object around one shared
 * Buffer — to the track's consumers, and keeps what a new consumer needs to
 * show a picture at once: the latest unit, and for H.264 and H.265 the current group of
 * pictures (from its keyframe, bounded in bytes: past the bound the cache is
 * cleared until the next keyframe).
 */
import type { Logger } from 'pino';
import { VIDEO_CLOCK_RATE, type AccessUnit, type Codec, type TrackConfig } from '../media/index.js';
import type { Consumer, Quality } from './consumer.js';
import { MediaClock } from './media-clock.js';

/** Default bound of the cached group of pictures. */
export const MAX_GOP_BYTES = 8 * 1024 * 1024;

/** Whole seconds the mean bitrate is taken over (long enough for a few groups of pictures). */
const MEAN_SECONDS = 8;
/** Fewer whole seconds than this say too little (a keyframe's second alone would decide). */
const MEAN_MIN_SECONDS = 3;

export interface TrackCounters {
  units: number;
  bytes: number;
  keyframes: number;
}

/** What a producer knows of a unit's time: the source's pts and dts (VIDEO_CLOCK_RATE ticks), if anything. */
export interface SourceTime {
  pts?: number;
  dts?: number;
}

export class Track {
  readonly consumers = new Set<Consumer>();
  /** Stamps pts, dts and wallTime (media-clock.ts); reset for each run of the source. */
  readonly clock: MediaClock;
  readonly counters: TrackCounters = { units: 0, bytes: 0, keyframes: 0 };
  private seq = 0;
  private latestUnit: AccessUnit | undefined;
  private latestLiveUnit: AccessUnit | undefined;
  /** The current group of pictures, keyframe first (H.264); empty while broken. */
  private readonly gop: AccessUnit[] = [];
  private gopBytes = 0;
  // Bitrate over the last whole second, and the time between the last two keyframes.
  private secondStart = 0;
  private secondBytes = 0;
  private lastSecondBytes = 0;
  /** The last whole seconds (bytes, and ms each really lasted), oldest first, at most MEAN_SECONDS: the mean bitrate. */
  private readonly seconds: { bytes: number; ms: number }[] = [];
  /** The first whole second of a run is left out of the mean: a source starting flushes what its probe held. */
  private firstSecond = true;
  private lastKeyframeAt: number | undefined;
  private keyframeIntervalMs: number | undefined;

  constructor(
    readonly codec: Codec,
    private readonly camera: string,
    private readonly log: Logger,
    private readonly maxGopBytes = MAX_GOP_BYTES,
    /** Called with a consumer that threw: it has been taken out already. */
    private readonly onBroken: (consumer: Consumer) => void = () => {},
    /** Which of the codec's streams this is: the camera's own picture, or its smaller sub-stream. */
    readonly quality: Quality = 'main',
  ) {
    this.clock = new MediaClock(VIDEO_CLOCK_RATE, (message, fields) =>
      this.log.warn({ camera: this.camera, track: this.codec, quality: this.quality, ...fields }, message),
    );
  }

  /** The newest unit sent, live or placeholder. */
  get latest(): AccessUnit | undefined {
    return this.latestUnit;
  }

  /** The newest unit from the camera itself (not a placeholder). */
  get latestLive(): AccessUnit | undefined {
    return this.latestLiveUnit;
  }

  /** The configuration of the newest live unit. */
  get config(): TrackConfig | undefined {
    return this.latestLiveUnit?.config;
  }

  /** Bytes cached for new consumers (the current GOP). */
  get cachedBytes(): number {
    return this.gopBytes;
  }

  /** Units cached for new consumers. */
  get cachedUnits(): number {
    return this.codec !== 'jpeg' ? this.gop.length : this.latestUnit ? 1 : 0;
  }

  /**
   * Stamps a unit (seq; pts, dts and wallTime from `time` and its arrival `capturedAt`) and sends it to
   * every consumer.
   */
  publish(
    config: TrackConfig,
    keyframe: boolean,
    data: Buffer,
    capturedAt: number,
    placeholder = false,
    time: SourceTime = {},
  ): AccessUnit {
    const { pts, dts, wallTime } = this.clock.stamp(capturedAt, time.pts, time.dts);
    const unit: AccessUnit = Object.freeze({
      seq: ++this.seq,
      config,
      keyframe,
      capturedAt,
      pts,
      dts,
      wallTime,
      data,
      placeholder,
    });
    this.latestUnit = unit;
    if (!placeholder) {
      this.latestLiveUnit = unit;
      this.count(unit);
      if (this.codec !== 'jpeg') this.cache(unit);
    }
    for (const consumer of this.consumers) {
      try {
        consumer.onUnit(unit, this.quality);
      } catch (err) {
        // One broken consumer must not take the others down.
        this.log.error({ camera: this.camera, track: this.codec, err }, 'consumer failed on a unit; dropping it');
        this.consumers.delete(consumer);
        this.onBroken(consumer);
      }
    }
    return unit;
  }

  /**
   * Sends a new consumer what it needs for a picture at once: the current GOP
   * (H.264), or the latest unit (JPEG, a placeholder while offline).
   */
  catchUp(consumer: Consumer): void {
    if (this.codec !== 'jpeg') {
      for (const unit of this.gop.slice()) consumer.onUnit(unit, this.quality);
    } else if (this.latestUnit) {
      consumer.onUnit(this.latestUnit, this.quality);
    }
  }

  /** The cached GOP (H.264) or the latest live unit (JPEG), oldest first: what a decoder needs to begin. */
  cached(): readonly AccessUnit[] {
    if (this.codec !== 'jpeg') return this.gop.slice();
    return this.latestLiveUnit ? [this.latestLiveUnit] : [];
  }

  /** Forgets the cached units: a new run does not continue the old one (its clock anchors afresh). */
  clearCache(): void {
    this.latestUnit = undefined;
    this.dropGop();
    this.clock.reset();
  }

  /** Bits per second over the last whole second. */
  bitrate(now: number): number {
    if (now - this.secondStart >= 2000) return 0;
    return this.lastSecondBytes * 8;
  }

  /**
   * Bits per second over the last few whole seconds (up to MEAN_SECONDS), or undefined while the track has not
   * run for MEAN_MIN_SECONDS of them in a row (or has stopped): what a smaller stream made from it is held under.
   */
  meanBitrate(now: number): number | undefined {
    if (now - this.secondStart >= 2000 || this.seconds.length < MEAN_MIN_SECONDS) return undefined;
    let bytes = 0;
    let ms = 0;
    for (const second of this.seconds) {
      bytes += second.bytes;
      ms += second.ms;
    }
    return (bytes * 8000) / ms;
  }

  /** Time between the last two keyframes, ms. */
  keyframeInterval(): number | undefined {
    return this.keyframeIntervalMs;
  }

  private count(unit: AccessUnit): void {
    this.counters.units++;
    this.counters.bytes += unit.data.length;
    const now = unit.capturedAt;
    if (now - this.secondStart >= 1000) {
      const gap = now - this.secondStart >= 2000;
      this.lastSecondBytes = gap ? 0 : this.secondBytes;
      // A gap (the track stopped, the camera was away) starts the mean afresh.
      if (gap) {
        this.seconds.length = 0;
        this.firstSecond = true;
      } else if (this.firstSecond) this.firstSecond = false;
      else {
        this.seconds.push({ bytes: this.secondBytes, ms: now - this.secondStart });
        if (this.seconds.length > MEAN_SECONDS) this.seconds.shift();
      }
      this.secondStart = now;
      this.secondBytes = 0;
    }
    this.secondBytes += unit.data.length;
    if (unit.keyframe) {
      this.counters.keyframes++;
      if (this.lastKeyframeAt !== undefined) this.keyframeIntervalMs = now - this.lastKeyframeAt;
      this.lastKeyframeAt = now;
    }
  }

  private cache(unit: AccessUnit): void {
    if (unit.keyframe) this.dropGop();
    else if (this.gop.length === 0) return; // no keyframe yet: nothing decodable to cache
    if (this.gopBytes + unit.data.length > this.maxGopBytes) {
      this.log.debug({ camera: this.camera, bytes: this.gopBytes }, 'GOP cache over its bound: cleared');
      this.dropGop();
      return;
    }
    this.gop.push(unit);
    this.gopBytes += unit.data.length;
  }

  private dropGop(): void {
    this.gop.length = 0;
    this.gopBytes = 0;
  }
}
