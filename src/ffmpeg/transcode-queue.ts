/**
 * The units waiting for a transcoder's ffmpeg (transcoder.ts), bounded in units and bytes. JPEGs: a few
 * wait. H.264 and H.265: at most one group of pictures waits (a new transcoder is handed the cached GOP
 * at once, which must be decoded whole to reach the newest picture), a newer keyframe replaces whatever
 * still waits, and after a drop everything up to the next keyframe is dropped too (a picture without its
 * references would decode broken). Each unit dropped is counted.
 */
import type { SourceUnit } from '../media/index.js';

export interface TranscodeQueueLimits {
  /** Units waiting (the one being written included), at most. */
  maxUnits: number;
  /** Bytes of those, at most (a unit bigger than that alone is still taken). */
  maxBytes: number;
}

export class TranscodeQueue {
  private units: SourceUnit[] = [];
  private bytes = 0;
  private needKeyframe = true;

  /**
   * `video`: H.264 or H.265 (pictures refer to others), not JPEG. `counters.dropped` counts the units dropped
   * here (full, waiting for a keyframe, replaced by a newer group of pictures).
   */
  constructor(
    private readonly video: boolean,
    private readonly limits: TranscodeQueueLimits,
    private readonly counters: { dropped: number },
  ) {}

  get length(): number {
    return this.units.length;
  }

  get queuedBytes(): number {
    return this.bytes;
  }

  /** Takes a unit, or drops it (counted); `writing`: bytes of the write ffmpeg has not taken (0: none). */
  offer(unit: SourceUnit, writing: number): boolean {
    if (this.video) {
      if (unit.keyframe && this.units.length > 0) {
        // A newer group of pictures: what still waits of the older one is not worth decoding.
        this.counters.dropped += this.units.length;
        this.clear();
      } else if (this.needKeyframe && !unit.keyframe) {
        this.counters.dropped++;
        return false;
      }
    }
    const units = this.units.length + (writing ? 1 : 0);
    const bytes = this.bytes + writing;
    if (units >= this.limits.maxUnits || (units > 0 && bytes + unit.data.length > this.limits.maxBytes)) {
      this.counters.dropped++;
      if (this.video) this.needKeyframe = true;
      return false;
    }
    this.needKeyframe = false;
    this.units.push(unit);
    this.bytes += unit.data.length;
    return true;
  }

  shift(): SourceUnit | undefined {
    const unit = this.units.shift();
    if (unit) this.bytes -= unit.data.length;
    return unit;
  }

  /** Drops the waiting units before the next waiting keyframe; none: the next offered one must be a keyframe. */
  dropUntilKeyframe(): void {
    const next = this.units.findIndex((u) => u.keyframe);
    const dropped = next < 0 ? this.units.length : next;
    for (const unit of this.units.splice(0, dropped)) this.bytes -= unit.data.length;
    this.counters.dropped += dropped;
    if (next < 0) this.needKeyframe = true;
  }

  /** Empties it (not counted: a stop, a new run); the next unit must be a keyframe. */
  reset(): void {
    this.clear();
    this.needKeyframe = true;
  }

  private clear(): void {
    this.units = [];
    this.bytes = 0;
  }
}
