/**
 * Frames displayed and their latencies over a sliding window: the fps and
 * mean latency shown in the stats. A ring of fixed size, so measuring
 * allocates nothing per frame.
 */

const WINDOW_MS = 2000;
const CAPACITY = 512; // > 240 fps × 2 s

export class FrameMeter {
  private readonly at = new Float64Array(CAPACITY);
  private readonly latency = new Float64Array(CAPACITY);
  private head = 0; // oldest
  private count = 0;

  /** `latencyMs` is NaN when unknown (no clock offset yet). */
  record(now: number, latencyMs: number): void {
    const i = (this.head + this.count) % CAPACITY;
    this.at[i] = now;
    this.latency[i] = latencyMs;
    if (this.count < CAPACITY) this.count++;
    else this.head = (this.head + 1) % CAPACITY;
  }

  clear(): void {
    this.count = 0;
  }

  private prune(now: number): void {
    while (this.count > 0 && this.at[this.head]! < now - WINDOW_MS) {
      this.head = (this.head + 1) % CAPACITY;
      this.count--;
    }
  }

  fps(now: number): number {
    this.prune(now);
    if (this.count < 2) return 0;
    const oldest = this.at[this.head]!;
    const newest = this.at[(this.head + this.count - 1) % CAPACITY]!;
    const span = newest - oldest;
    const gap = span / (this.count - 1);
    // Once the wait for the next frame is longer than a usual gap it counts too,
    // so a stream that stops shows its rate falling, not its last rate.
    const idle = now - newest;
    const effective = idle > gap ? span + idle : span;
    return effective > 0 ? ((this.count - 1) * 1000) / effective : 0;
  }

  /** Mean latency of the frames in the window that have one; undefined if none has. */
  meanLatency(now: number): number | undefined {
    this.prune(now);
    let sum = 0;
    let n = 0;
    for (let k = 0; k < this.count; k++) {
      const value = this.latency[(this.head + k) % CAPACITY]!;
      if (!Number.isNaN(value)) {
        sum += value;
        n++;
      }
    }
    return n > 0 ? sum / n : undefined;
  }
}
