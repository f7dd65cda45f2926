/**
 * The frame rate units arrive at, for an encoder nobody told it (a camera's JPEGs wander, and ffmpeg's
 * demuxers assume 25). The median interval between arrivals, bursts left out (a cached group of pictures
 * handed over at once), over the last INTERVALS.
 */
const INTERVALS = 32;
/** Fewer intervals than this: not known yet. */
const MIN_INTERVALS = 8;
/** Closer arrivals are a burst, not the camera's pace. */
const BURST_MS = 3;

export class ArrivalRate {
  private readonly times: number[] = [];

  tick(now: number): void {
    const last = this.times.at(-1);
    if (last !== undefined && now - last < BURST_MS) return;
    this.times.push(now);
    if (this.times.length > INTERVALS + 1) this.times.shift();
  }

  /** Frames per second (two decimals), or undefined while too few arrivals are known. */
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
