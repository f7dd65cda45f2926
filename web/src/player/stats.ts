/**
 * Counters and the frame meter behind `player.stats`. The element reports
 * what happened; this turns it into numbers.
 */
import { FrameMeter } from './meter.js';
import { seqDiff } from './protocol.js';

/** Sequence jumps beyond this are a new stream (server restart), not lost frames. */
const MAX_COUNTED_GAP = 1000;

export class StatsCollector {
  received = 0;
  decoded = 0;
  displayed = 0;
  dropped = 0;
  errors = 0;
  seq: number | null = null;
  private lastReceived: number | undefined;
  private readonly meter = new FrameMeter();

  frameReceived(seq: number): void {
    this.received++;
    if (this.lastReceived !== undefined) {
      const gap = seqDiff(seq, this.lastReceived) - 1;
      if (gap > 0 && gap < MAX_COUNTED_GAP) this.dropped += gap;
    }
    this.lastReceived = seq;
  }

  /** The next frame does not follow the last one (paused, or a new connection): its gap is no loss. */
  breakSequence(): void {
    this.lastReceived = undefined;
  }

  /** `latencyMs` NaN when unknown. */
  framePresented(seq: number, at: number, latencyMs: number): void {
    this.displayed++;
    this.seq = seq;
    this.meter.record(at, latencyMs);
  }

  fps(now: number): number {
    return this.meter.fps(now);
  }

  latency(now: number): number | undefined {
    return this.meter.meanLatency(now);
  }
}
