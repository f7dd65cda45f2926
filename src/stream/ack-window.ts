/**
 * The units a receiver has not acknowledged yet, oldest first: their wire sequence numbers, when
 * each was sent and its size. Acks are cumulative (one frees every unit up to its seq). A fixed
 * ring: nothing is allocated per unit or per ack.
 */
import { seqDiff } from '../wire/header.js';

/** What an ack did: the caller decides what a bad one costs. */
export type AckResult = 'freed' | 'stale' | 'never-sent';

/** What the last ack that freed units tells of the link (read after ack() returned 'freed'). */
export interface AckSample {
  /** Bytes the ack freed. */
  bytes: number;
  /** When the newest freed unit was sent: now minus this is the tightest round trip. */
  newestSentAt: number;
  /** When the oldest freed unit was sent: the whole batch's delivery time starts there. */
  oldestSentAt: number;
}

export class AckWindow {
  private readonly seqs: Uint32Array;
  private readonly sentAt: Float64Array;
  private readonly sizes: Uint32Array;
  private head = 0;
  private length = 0;
  /** Wire seq of the newest unit sent; acks beyond it are for units never sent. */
  private newest: number | undefined;
  /** Bytes acknowledged so far. */
  ackedBytes = 0;
  readonly sample: AckSample = { bytes: 0, newestSentAt: 0, oldestSentAt: 0 };

  constructor(readonly capacity: number) {
    this.seqs = new Uint32Array(capacity);
    this.sentAt = new Float64Array(capacity);
    this.sizes = new Uint32Array(capacity);
  }

  /** Units sent and not acknowledged. */
  get size(): number {
    return this.length;
  }

  /** Wire seq of the newest unit sent (undefined before the first). */
  get lastSent(): number | undefined {
    return this.newest;
  }

  /** How long the oldest unacknowledged unit has waited (0 when none). */
  oldestWait(now: number): number {
    return this.length === 0 ? 0 : now - this.sentAt[this.head]!;
  }

  /** A unit went out; the caller keeps size below capacity. `track`: false for a unit no ack will come for. */
  sent(seq: number, now: number, bytes: number, track = true): void {
    this.newest = seq;
    if (!track) return;
    const i = (this.head + this.length) % this.capacity;
    this.seqs[i] = seq;
    this.sentAt[i] = now;
    this.sizes[i] = bytes;
    this.length++;
  }

  /** Cumulative: frees every unit sent with seq ≤ `seq`; on 'freed', `sample` says what. */
  ack(seq: number): AckResult {
    if (this.newest === undefined || seqDiff(seq, this.newest) > 0) return 'never-sent';
    let freed = 0;
    let bytes = 0;
    while (this.length > 0) {
      const i = this.head;
      if (seqDiff(this.seqs[i]!, seq) > 0) break;
      if (freed === 0) this.sample.oldestSentAt = this.sentAt[i]!;
      this.sample.newestSentAt = this.sentAt[i]!;
      bytes += this.sizes[i]!;
      freed++;
      this.head = (i + 1) % this.capacity;
      this.length--;
    }
    if (freed === 0) return 'stale';
    this.sample.bytes = bytes;
    this.ackedBytes += bytes;
    return 'freed';
  }

  /** Forgets what is in flight (a new session): acks for it are then stale or never sent. */
  clear(): void {
    this.head = 0;
    this.length = 0;
    this.newest = undefined;
  }
}
