/**
 * What one consumer has yet to send of a stream it cannot always carry (a
 * WebSocket viewer, the relay uplink): a bounded queue with a drop policy.
 *
 * - `latest` (JPEG): at most one unit waits; a newer one replaces it. Every
 *   JPEG is a keyframe, so whatever is sent decodes.
 * - `gop` (H.264): units wait in order, bounded in count, bytes and age. When
 *   a unit would exceed the bounds, or the oldest waiting one is too old, the
 *   queue skips to its next keyframe (or, with none queued, drops everything
 *   until one comes): never a broken picture, never a growing delay.
 *
 * In both, the first unit that leaves the queue, and the first after any
 * drop, is a keyframe. push() and shift() allocate nothing: the ring is made
 * once.
 */
import type { AccessUnit } from '../media/index.js';

export type DropPolicy = 'latest' | 'gop';

export interface SendQueueOptions {
  policy: DropPolicy;
  /** `gop`: most units waiting. */
  maxUnits?: number;
  /** `gop`: most bytes waiting (one unit alone may exceed it). */
  maxBytes?: number;
  /**
   * `gop`: a unit that has waited longer than this makes the queue skip to a keyframe. Waited, not
   * since received: a new consumer's catch-up GOP may begin seconds ago and must still go out.
   */
  maxAgeMs?: number;
}

/** Enough for the GOP a new consumer catches up with (a 4 s GOP at 60 fps), bounded in bytes too. */
export const GOP_QUEUE_UNITS = 256;
export const GOP_QUEUE_BYTES = 8 * 1024 * 1024;
export const GOP_QUEUE_AGE_MS = 1500;

export class SendQueue {
  readonly policy: DropPolicy;
  /** Units that were never sent: replaced, skipped or refused while waiting for a keyframe. */
  dropped = 0;
  /** Times the queue skipped to the next keyframe. */
  keyframeSkips = 0;
  private readonly ring: (AccessUnit | undefined)[];
  /** When each waiting unit entered the queue (ms), parallel to ring. */
  private readonly enteredAt: Float64Array;
  private readonly capacity: number;
  private readonly maxBytes: number;
  private readonly maxAgeMs: number;
  private head = 0;
  private count = 0;
  private bytes = 0;
  /** Nothing but a keyframe may enter: at the start, and after any drop. */
  private needKeyframe = true;

  constructor(options: SendQueueOptions) {
    this.policy = options.policy;
    const gop = options.policy === 'gop';
    this.capacity = gop ? Math.max(1, options.maxUnits ?? GOP_QUEUE_UNITS) : 1;
    this.maxBytes = gop ? (options.maxBytes ?? GOP_QUEUE_BYTES) : Infinity;
    this.maxAgeMs = gop ? (options.maxAgeMs ?? GOP_QUEUE_AGE_MS) : Infinity;
    this.ring = new Array<AccessUnit | undefined>(this.capacity).fill(undefined);
    this.enteredAt = new Float64Array(this.capacity);
  }

  /** Units waiting. */
  get size(): number {
    return this.count;
  }

  get waitingBytes(): number {
    return this.bytes;
  }

  /** How long the oldest waiting unit has waited (ms, on push's clock); 0 when none waits. */
  oldestWait(now: number): number {
    return this.count === 0 ? 0 : now - this.enteredAt[this.head]!;
  }

  /** True while only a keyframe would be accepted. */
  get waitingForKeyframe(): boolean {
    return this.needKeyframe && this.count === 0;
  }

  /** `now`: the time (ms, any clock used consistently with shift's) the unit enters. */
  push(unit: AccessUnit, now = unit.capturedAt): void {
    if (this.policy === 'latest' && this.count > 0) {
      this.removeHead();
      this.dropped++;
      this.needKeyframe = true;
    }
    this.expire(now);
    while (this.count > 0 && (this.count >= this.capacity || this.bytes + unit.data.length > this.maxBytes))
      this.skipToKeyframe();
    if (this.count === 0 && this.needKeyframe) {
      if (!unit.keyframe) {
        this.dropped++;
        return;
      }
      this.needKeyframe = false;
    }
    const tail = (this.head + this.count) % this.capacity;
    this.ring[tail] = unit;
    this.enteredAt[tail] = now;
    this.count++;
    this.bytes += unit.data.length;
  }

  /** The next unit to send, or undefined. `now` (the clock of push's) ages the queue. */
  shift(now?: number): AccessUnit | undefined {
    if (now !== undefined) this.expire(now);
    if (this.count === 0) return undefined;
    return this.removeHead();
  }

  /** The next unit to send, left in the queue. */
  peek(): AccessUnit | undefined {
    return this.count === 0 ? undefined : this.ring[this.head];
  }

  /** Drops everything waiting (a pause): the next unit to enter must be a keyframe. */
  clear(): void {
    this.dropped += this.count;
    while (this.count > 0) this.removeHead();
    this.needKeyframe = true;
  }

  private expire(now: number): void {
    while (this.count > 0 && now - this.enteredAt[this.head]! > this.maxAgeMs) this.skipToKeyframe();
  }

  /** Drops the oldest unit and every one after it up to the next keyframe waiting (or all). */
  private skipToKeyframe(): void {
    this.keyframeSkips++;
    this.removeHead();
    this.dropped++;
    while (this.count > 0 && !this.ring[this.head]!.keyframe) {
      this.removeHead();
      this.dropped++;
    }
    if (this.count === 0) this.needKeyframe = true;
  }

  private removeHead(): AccessUnit {
    const unit = this.ring[this.head]!;
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.count--;
    this.bytes -= unit.data.length;
    return unit;
  }
}
