/**
 * One track's media clock: turns what a source says of a unit's time (its pts and dts, in its own
 * ticks, or nothing) and when it arrived into the model's pts, dts and wallTime (src/media).
 *
 * - pts/dts are the source's, shifted by an offset set at each anchor, so a track's time is continuous
 *   across runs of its source and jumps of its clock. The first anchor puts pts at the arrival time in
 *   ticks (`arrival * rate / 1000`), the same scale as a unit without timestamps, which gets exactly that.
 * - wallTime maps pts to this server's clock: anchored at the arrival of the run's first unit, it never
 *   maps a picture after its own arrival (a unit earlier than the mapping moves it earlier at once), and
 *   drifts later at most DRIFT_MS_PER_S (a source clock slower than ours).
 * - A discontinuity (dts not increasing, a step MAX_STEP_MS over the arrival time, a pts before its dts
 *   or far after it, a mapping MAX_LAG_MS from the arrivals) re-anchors: the track continues one frame
 *   after the last unit, the wall mapping at this arrival. Over MAX_DISCONTINUITIES in one run, the
 *   source's timestamps are not used for the rest of the run: the arrival time is. Each is logged,
 *   bounded per run.
 */

import { FramePacer } from './frame-pacer.js';

/** A step of the source's dts this much beyond the arrival time's step is a jump. */
export const MAX_STEP_MS = 5000;
/** Arrivals this much after (or before) the wall mapping re-anchor it. */
export const MAX_LAG_MS = 10_000;
/** Discontinuities one run may have before its timestamps are given up for arrival times. */
export const MAX_DISCONTINUITIES = 3;
/** How fast the wall mapping follows a source clock slower than ours: ms per second of arrivals (1000 ppm). */
export const DRIFT_MS_PER_S = 1;
/** The window the mapping's least lag is taken over before it drifts. */
const DRIFT_WINDOW_MS = 10_000;
/** A frame step that continues a track when nothing better is known (one 30 fps frame). */
const DEFAULT_STEP_MS = 1000 / 30;

export interface ClockStamp {
  pts: number;
  dts: number;
  wallTime: number;
}

export type ClockWarn = (message: string, fields: Record<string, unknown>) => void;

export class MediaClock {
  /** Units without timestamps are given a steady rate's times. */
  private readonly pacer = new FramePacer();
  private lastPaced = -Infinity;
  /** The source's timestamps are not used for this run (broken). */
  private arrivalOnly = false;
  /** Added to the source's timestamps; undefined until the run's first timed unit. */
  private offset: number | undefined;
  /** wallTime = pts * 1000 / rate + correction. */
  private correction = 0;
  private anchorCorrection = 0;
  private discontinuities = 0;
  private lastSourceDts = 0;
  private lastArrival = 0;
  /** The last dts out, kept across runs: the track's time never goes backwards. */
  private lastDts: number | undefined;
  private lastStep: number;
  // The least lag (arrival after the mapping) over the current drift window.
  private windowStart = 0;
  private windowMinLag = Infinity;

  constructor(
    readonly rate: number,
    private readonly warn: ClockWarn = () => {},
  ) {
    this.lastStep = Math.round((DEFAULT_STEP_MS * rate) / 1000);
  }

  /** Whether this run's timestamps were given up for arrival times. */
  get broken(): boolean {
    return this.arrivalOnly;
  }

  /** A new run of the source: the next unit anchors afresh (the track's time still goes on from the last). */
  reset(): void {
    this.pacer.reset();
    this.lastPaced = -Infinity;
    this.arrivalOnly = false;
    this.offset = undefined;
    this.discontinuities = 0;
  }

  /**
   * Stamps one unit that arrived at `arrival` (ms since the Unix epoch, this server's clock) with the
   * source's `pts` and `dts` (its ticks at `rate`; dts unset: equal to pts), or none.
   */
  stamp(arrival: number, pts?: number, dts?: number): ClockStamp {
    if (this.arrivalOnly) return this.fromArrival(arrival);
    if (pts === undefined || !Number.isFinite(pts)) {
      // No clock of its own: a steady rate's times from the arrivals (the same scale: ms to ticks).
      pts = this.paced(arrival);
      dts = undefined;
    }
    const sourceDts = dts !== undefined && Number.isFinite(dts) ? dts : pts;
    // A pts before its dts (or far after it) is not a composition offset: the picture shows when decoded.
    const shown = pts >= sourceDts && !this.farAfter(pts, sourceDts) ? pts : sourceDts;
    if (this.offset === undefined) this.anchor(arrival, shown, sourceDts, true);
    else {
      const problem = this.discontinuity(arrival, pts, sourceDts);
      if (problem) {
        this.discontinuities++;
        if (this.discontinuities > MAX_DISCONTINUITIES) {
          this.arrivalOnly = true;
          this.warn('source timestamps broken: arrival times for the rest of this run', {
            problem,
            discontinuities: this.discontinuities,
          });
          return this.fromArrival(arrival);
        }
        this.warn('source timestamps jumped: re-anchored', { problem, discontinuities: this.discontinuities });
        this.anchor(arrival, shown, sourceDts, false);
      } else {
        const step = sourceDts - this.lastSourceDts;
        if (step > 0) this.lastStep = step;
      }
    }
    const outDts = sourceDts + this.offset!;
    const outPts = shown + this.offset!;
    this.lastSourceDts = sourceDts;
    this.lastDts = outDts;
    const wallTime = this.follow(arrival, outPts);
    this.lastArrival = arrival;
    return { pts: outPts, dts: outDts, wallTime };
  }

  /** The pacer's time for `ms`, in ticks, strictly increasing. */
  private paced(ms: number): number {
    let ticks = Math.round((this.pacer.next(ms) * this.rate) / 1000);
    if (ticks <= this.lastPaced) ticks = this.lastPaced + 1;
    this.lastPaced = ticks;
    return ticks;
  }

  private fromArrival(arrival: number): ClockStamp {
    let ticks = Math.round((arrival * this.rate) / 1000);
    if (this.lastDts !== undefined && ticks <= this.lastDts) ticks = this.lastDts + 1;
    this.lastDts = ticks;
    this.lastArrival = arrival;
    return { pts: ticks, dts: ticks, wallTime: arrival };
  }

  /** What is wrong with this unit's time after the last one's, if anything. */
  private discontinuity(arrival: number, pts: number, dts: number): string | undefined {
    const step = dts - this.lastSourceDts;
    if (step === 0) return 'dts repeated';
    if (step < 0) return 'dts went backwards';
    const stepMs = (step * 1000) / this.rate;
    if (stepMs > arrival - this.lastArrival + MAX_STEP_MS) return `dts stepped ${Math.round(stepMs)} ms ahead`;
    if (pts < dts || this.farAfter(pts, dts)) return 'pts out of range of dts';
    const lag = arrival - this.wallOf(pts + this.offset!);
    if (lag > MAX_LAG_MS) return `arrivals ${Math.round(lag)} ms behind the media clock`;
    if (this.anchorCorrection - this.correction > MAX_LAG_MS) return 'media clock runs ahead of arrivals';
    return undefined;
  }

  private farAfter(pts: number, dts: number): boolean {
    return ((pts - dts) * 1000) / this.rate > MAX_LAG_MS;
  }

  /** Sets the offset (and the wall mapping) from this unit. */
  private anchor(arrival: number, pts: number, dts: number, runStart: boolean): void {
    const last = this.lastDts;
    if (runStart || last === undefined) {
      // The run starts at its arrival time in ticks (never before the track's last unit).
      let offset = Math.round((arrival * this.rate) / 1000) - pts;
      if (last !== undefined && dts + offset <= last) offset = last + 1 - dts;
      this.offset = offset;
    } else {
      // The run goes on: one frame after the last unit, whatever the source's clock did.
      this.offset = last + this.lastStep - dts;
    }
    this.correction = arrival - ((pts + this.offset) * 1000) / this.rate;
    this.anchorCorrection = this.correction;
    this.windowStart = arrival;
    this.windowMinLag = Infinity;
  }

  private wallOf(pts: number): number {
    return (pts * 1000) / this.rate + this.correction;
  }

  /** The unit's wall time, and the mapping moved toward its arrival within bounds. */
  private follow(arrival: number, pts: number): number {
    const lag = arrival - this.wallOf(pts);
    if (lag < 0) {
      // A picture is never taken after it arrives: the mapping was late.
      this.correction += lag;
      this.windowMinLag = 0;
    } else if (lag < this.windowMinLag) this.windowMinLag = lag;
    const elapsed = arrival - this.windowStart;
    if (elapsed >= DRIFT_WINDOW_MS) {
      if (Number.isFinite(this.windowMinLag) && this.windowMinLag > 0) {
        this.correction += Math.min(this.windowMinLag, (DRIFT_MS_PER_S * elapsed) / 1000);
      }
      this.windowStart = arrival;
      this.windowMinLag = Infinity;
    }
    return this.wallOf(pts);
  }
}
