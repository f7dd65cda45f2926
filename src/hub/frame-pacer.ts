/**
 * Even times for a track whose units come without a clock of their own (an HTTP MJPEG camera, an ffmpeg
 * too old to hand timestamps over): from their arrival times, jittered and bunched by pipes and
 * schedulers, the times of a steady frame rate. (What camrelay encodes carries its source's times.)
 *
 * - The frame period is the mean over the last WINDOW arrivals, snapped to a common rate (30, 25, 15 fps…)
 *   when within SNAP of it.
 * - Each unit is given the previous one's time plus a period, pulled toward its arrival by GAIN of the
 *   difference (the rate's residual error and drift are absorbed over seconds, not shown per frame).
 * - Arrivals later than the prediction by over LATE periods several times in a row are frames the source
 *   skipped: the time catches up by whole periods. An arrival MAX_OFF_MS from the prediction (a stall, a
 *   source that is not steady) restarts from the arrival.
 * Until it has seen MIN_UNITS, or when the arrivals are too irregular to have a rate, it gives the arrival.
 */

const WINDOW = 60;
const MIN_UNITS = 30;
const GAIN = 0.005;
const LATE = 0.6;
const LATE_RUN = 4;
const MAX_OFF_MS = 1000;
const SNAP = 0.005;
/** Common camera rates, fps. */
const RATES = [1, 2, 5, 6, 7.5, 10, 12, 12.5, 15, 20, 24, 25, 30, 50, 60];

export class FramePacer {
  private readonly arrivals: number[] = [];
  private last: number | undefined;
  private lateRun = 0;
  private lateSum = 0;

  /** Forgets everything (a new run of the source). */
  reset(): void {
    this.arrivals.length = 0;
    this.last = undefined;
    this.lateRun = 0;
    this.lateSum = 0;
  }

  /** The unit's even time (ms), from its arrival (ms). */
  next(arrival: number): number {
    const arrivals = this.arrivals;
    arrivals.push(arrival);
    if (arrivals.length > WINDOW + 1) arrivals.shift();
    const period = this.period();
    if (period === undefined || this.last === undefined) return (this.last = arrival);
    const predicted = this.last + period;
    const off = arrival - predicted;
    if (Math.abs(off) > Math.max(MAX_OFF_MS, 3 * period)) {
      this.lateRun = 0;
      return (this.last = arrival);
    }
    let time = predicted + GAIN * off;
    if (off > LATE * period) {
      this.lateRun++;
      this.lateSum += off;
      if (this.lateRun >= LATE_RUN) {
        // Late every time: frames were skipped (the source dropped them), not delayed.
        time += Math.round(this.lateSum / this.lateRun / period) * period;
        this.lateRun = 0;
        this.lateSum = 0;
      }
    } else {
      this.lateRun = 0;
      this.lateSum = 0;
    }
    return (this.last = time);
  }

  /** The frame period (ms), or undefined while unknown. */
  private period(): number | undefined {
    const a = this.arrivals;
    if (a.length < MIN_UNITS) return undefined;
    const mean = (a[a.length - 1]! - a[0]!) / (a.length - 1);
    if (!(mean > 0)) return undefined;
    for (const fps of RATES) {
      const p = 1000 / fps;
      if (Math.abs(mean - p) <= SNAP * p) return p;
    }
    return mean;
  }
}
