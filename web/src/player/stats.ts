/**
 * Counters and the frame meter behind `player.stats`. The element reports
 * what happened; this turns it into numbers, and into `player.stats` with what
 * the element knows (snapshot).
 */
import type { ClockOffset } from './clock.js';
import { FrameMeter } from './meter.js';
import { seqDiff } from './protocol.js';
import type {
  OfflineEventDetail,
  PlaybackPathName,
  PlayerState,
  PlayerStats,
  QualityEventDetail,
  Transport,
} from './types.js';

/** What `player.stats` says beside the counters, as the element knows it now. */
export interface StatsContext {
  state: PlayerState;
  online: boolean;
  offline: OfflineEventDetail | null;
  transport: Transport | null;
  path: PlaybackPathName | null;
  codec: 'h264' | 'h265' | 'jpeg' | null;
  quality: QualityEventDetail | null;
  /** The picture on screen (0×0 before the first). */
  size: { width: number; height: number };
  /** ms; 0 where unknown. */
  decodeMs: number;
  clock: ClockOffset | undefined;
  connections: number;
}

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

  /** `player.stats` now: the counters and measurements, with what the element says (MJPEG measures nothing). */
  snapshot(now: number, c: StatsContext): PlayerStats {
    const mjpeg = c.transport === 'mjpeg';
    const latency = mjpeg ? undefined : this.latency(now);
    const clock = c.clock;
    return {
      state: c.state,
      online: c.online,
      transport: c.transport,
      path: c.path,
      codec: mjpeg ? 'jpeg' : c.codec,
      quality: mjpeg ? null : (c.quality?.quality ?? null),
      qualityReason: mjpeg ? null : (c.quality?.reason ?? null),
      bitrateKbps: mjpeg || c.codec === null ? null : round(this.bitrateKbps(now), 0),
      decodeMs: !mjpeg && c.decodeMs > 0 ? round(c.decodeMs, 1) : null,
      skipped: this.skipped,
      liveJumps: this.liveJumps,
      fps: mjpeg ? null : round(this.fps(now), 1),
      latencyMs: latency === undefined ? null : round(latency, 1),
      clockOffsetMs: clock?.offsetMs === undefined ? null : round(clock.offsetMs, 1),
      rttMs: clock?.rttMs === undefined ? null : round(clock.rttMs, 1),
      received: this.received,
      decoded: this.decoded,
      displayed: this.displayed,
      dropped: this.dropped,
      errors: this.errors,
      seq: this.seq,
      width: c.size.width,
      height: c.size.height,
      offlineSince: c.offline?.since ?? null,
      offlineReason: c.offline?.reason ?? null,
      reconnects: Math.max(0, c.connections - 1),
    };
  }
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
