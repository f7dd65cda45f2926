/** Frames per second over a sliding window of recent frame times (bounded memory). */
export class FpsMeter {
  private readonly times: number[] = [];

  constructor(
    private readonly windowMs = 2000,
    private readonly maxSamples = 256,
  ) {}

  tick(now: number): void {
    this.times.push(now);
    if (this.times.length > this.maxSamples) this.times.shift();
  }

  fps(now: number): number {
    while (this.times.length && now - this.times[0]! > this.windowMs) this.times.shift();
    if (this.times.length < 2) return 0;
    const span = this.times[this.times.length - 1]! - this.times[0]!;
    if (span <= 0) return 0;
    // A window that ended long ago means frames stopped: report over the window, not the span.
    return (this.times.length - 1) / (Math.max(span, now - this.times[0]!) / 1000);
  }

  clear(): void {
    this.times.length = 0;
  }
}
