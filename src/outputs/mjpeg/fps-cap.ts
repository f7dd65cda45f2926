/**
 * The optional `?fps=N` limit of one viewer. Frames over the limit are
 * skipped, not delayed, so what the viewer sees is never older than needed.
 */
export class FpsCap {
  private readonly intervalMs: number;
  private nextDue = -Infinity;

  constructor(fps: number) {
    this.intervalMs = 1000 / fps;
  }

  /** Whether a frame captured at `at` (ms) may go out. */
  admit(at: number): boolean {
    // A little slack: frames come with jitter, and a frame 1 ms early must not halve the rate.
    if (at + 2 < this.nextDue) return false;
    // Due times advance by whole intervals, so a 30 fps camera capped at 20 gives 20, not 15;
    // after a pause they restart from now rather than letting a burst through.
    this.nextDue = Math.max(this.nextDue, at - this.intervalMs) + this.intervalMs;
    return true;
  }
}
