/**
 * Counters and the frame meter behind `player.stats`. The element reports
 * what happened; this turns it into numbers.
 */
import { FrameMeter } from './meter.js';
import { seqDiff } from './protocol.js';

/** Sequence jumps beyond this are a new stream (server restart), not lost frames. */
const MAX_COUNTED_GAP = 1000;
/** Bitrate over this window. */
const BITRATE_WINDOW_MS = 2000;
/** Messages remembered for the bitrate, at most (240 fps over the window). */
const BITRATE_CAPACITY = 480;

export class StatsCollector {
  received = 0;
  decoded = 0;
  displayed = 0;
  dropped = 0;
  errors = 0;
  skipped = 0;
  liveJumps = 0;
  seq: number | null = null;
  private lastReceived: number | undefined;
  private readonly sizes: { at: number; bytes: number }[] = [];
  private readonly meter = new FrameMeter();

  frameReceived(seq: number): void {
    this.received++;
    if (this.lastReceived !== undefined) {
      const gap = seqDiff(seq, this.lastReceived) - 1;
      if (gap > 0 && gap < MAX_COUNTED_GAP) this.dropped += gap;
    }
    this.lastReceived = seq;
  }

  /** Bytes of video received at `at` (for the bitrate). */
  bytesReceived(bytes: number, at: number): void {
    this.sizes.push({ at, bytes });
    if (this.sizes.length > BITRATE_CAPACITY) this.sizes.shift();
  }

  /** kbit/s over the last 2 s. */
  bitrateKbps(now: number): number {
    while (this.sizes.length > 0 && this.sizes[0]!.at < now - BITRATE_WINDOW_MS) this.sizes.shift();
    let bytes = 0;
    for (const s of this.sizes) bytes += s.bytes;
    return (bytes * 8) / BITRATE_WINDOW_MS;
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
