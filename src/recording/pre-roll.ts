/**
 * The last seconds of a camera's video, in memory, for recording around events: whole groups of
 * pictures (from a keyframe), enough that the oldest keyframe kept is at least `keepMs` before the
 * newest unit, and never more than `maxBytes` (the oldest groups go first; a single group bigger
 * than that is dropped, and buffering starts again at the next keyframe). Units are the hub's
 * shared buffers: nothing is copied.
 */
import type { AccessUnit } from '../media/index.js';

/** The most a camera's pre-roll holds: a 5 s pre-roll of an 8 Mbit/s camera with 2 s GOPs is about 7 MB. */
export const PRE_ROLL_MAX_BYTES = 32 * 1024 * 1024;

/** A unit's time on the wall clock (the recordings' clock: its media time mapped to the wall). */
export function unitTime(unit: AccessUnit): number {
  return unit.wallTime;
}

export class PreRoll {
  private gops: AccessUnit[][] = [];
  private size = 0;
  /** Times a group was dropped for the byte bound. */
  overflows = 0;

  constructor(
    private readonly keepMs: number,
    private readonly maxBytes = PRE_ROLL_MAX_BYTES,
  ) {}

  get bytes(): number {
    return this.size;
  }

  /** Milliseconds from the oldest unit held to the newest. */
  get spanMs(): number {
    const first = this.gops[0]?.[0];
    const lastGop = this.gops[this.gops.length - 1];
    const last = lastGop?.[lastGop.length - 1];
    return first && last ? unitTime(last) - unitTime(first) : 0;
  }

  push(unit: AccessUnit): void {
    if (unit.keyframe) this.gops.push([unit]);
    else if (this.gops.length) this.gops[this.gops.length - 1]!.push(unit);
    else return; // nothing decodable before the first keyframe
    this.size += unit.data.length;
    const now = unitTime(unit);
    // The second group's keyframe is old enough on its own: the first is not needed.
    while (this.gops.length > 1 && unitTime(this.gops[1]![0]!) <= now - this.keepMs) this.dropOldest();
    while (this.size > this.maxBytes) {
      this.overflows++;
      this.dropOldest();
    }
  }

  /** Everything held, oldest first, after `afterSeq` (units already written are not written twice). */
  units(afterSeq = -1): AccessUnit[] {
    return this.gops.flat().filter((u) => u.seq > afterSeq);
  }

  /** The oldest unit held after `seq` (a reader walking the buffer as it grows), or undefined. */
  after(seq: number): AccessUnit | undefined {
    for (const gop of this.gops) {
      if (gop[gop.length - 1]!.seq <= seq) continue;
      for (const u of gop) if (u.seq > seq) return u;
    }
    return undefined;
  }

  clear(): void {
    this.gops = [];
    this.size = 0;
  }

  private dropOldest(): void {
    const gop = this.gops.shift();
    for (const u of gop ?? []) this.size -= u.data.length;
  }
}
