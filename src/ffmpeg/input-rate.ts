/**
 * The frame rate of a transcoder's input, for an encoder nobody told it (a camera's JPEGs wander, and
 * ffmpeg assumes 25): the median interval between the units' times (their decode times, in ms), intervals
 * under BURST_MS left out (units timed by their arrival, handed over at once), over the last INTERVALS.
 */
const INTERVALS = 32;
/** Fewer intervals than this: not known yet. */
const MIN_INTERVALS = 8;
/** Closer times are a burst (arrivals), not the camera's pace. */
const BURST_MS = 3;

export class InputRate {
  private readonly times: number[] = [];

  /** One unit, at `ms` (its time, or its arrival). */
  tick(ms: number): void {
    const last = this.times.at(-1);
    if (last !== undefined && ms - last < BURST_MS) return;
    this.times.push(ms);
    if (this.times.length > INTERVALS + 1) this.times.shift();
  }

  /** Frames per second (two decimals), or undefined while too few units are known. */
  fps(): number | undefined {
    if (this.times.length <= MIN_INTERVALS) return undefined;
    const intervals = this.times
      .slice(1)
      .map((t, i) => t - this.times[i]!)
      .sort((a, b) => a - b);
    const median = intervals[intervals.length >> 1]!;
    return Math.round(100_000 / median) / 100;
  }

  clear(): void {
    this.times.length = 0;
  }
}
