/**
 * One receiver's send path, whatever the transport: what cannot go now waits in a SendQueue
 * (`latest` for JPEG: a newer picture replaces the waiting one; `gop` for H.264 and H.265: the
 * current group of pictures waits, bounded, past the bound the receiver skips to the next keyframe),
 * and a unit goes when
 *
 * - the receiver's window allows: at most `window` units unacknowledged (AckWindow), or without
 *   acks one write not yet handed to the OS;
 * - the transport holds less than `maxBufferedBytes` in user space;
 * - the pacer, if any, allows (a rate limit under the receiver's own).
 *
 * A `config` goes before the first H.264/H.265 unit and before the first that needs a new one. Wire
 * sequence numbers keep growing for the receiver across a move between tracks (each track numbers
 * its units on its own): after switchTrack(), a track whose numbers are behind is renumbered.
 *
 * Hot path: push() and flush() run per unit × per receiver; they allocate nothing of their own.
 */
import type { AccessUnit, TrackConfig } from '../media/index.js';
import { seqDiff } from '../wire/header.js';
import { AckWindow, type AckResult } from './ack-window.js';
import type { Pacer } from './pacer.js';
import { SendQueue, type SendQueueOptions } from './send-queue.js';
import type { UnitTransport } from './transport.js';

export interface PacedSenderOptions {
  transport: UnitTransport;
  queue: SendQueueOptions;
  /** Unacknowledged units allowed (at most `maxWindow`). */
  window: number;
  /** The largest window ever set (the ring's size). */
  maxWindow: number;
  /** False: pace by writes completing (one in flight) instead of by acks. */
  acks: boolean;
  maxBufferedBytes: number;
  /** H.264, H.265: a config goes before the units that need it. */
  sendsConfig: boolean;
  pacer?: Pacer;
  /** Each unit sent, with its message's size (statistics). */
  onSent?: (bytes: number) => void;
}

export class PacedSender {
  readonly queue: SendQueue;
  readonly acked: AckWindow;
  /** Unacknowledged units allowed now (the keyframes-only quality sets 1). */
  window: number;
  private readonly transport: UnitTransport;
  private readonly acks: boolean;
  private readonly maxBufferedBytes: number;
  private readonly sendsConfig: boolean;
  private readonly pacer: Pacer | undefined;
  private readonly onSent: ((bytes: number) => void) | undefined;
  /** Seq of the newest unit taken in: a unit seen already (a catch-up after resume) is not taken again. */
  private lastQueued: number | undefined;
  /** The configuration the receiver was last told. */
  private sentConfig: TrackConfig | undefined;
  /** Without acks: writes not yet handed to the OS. */
  private inFlight = 0;
  /** Added to a unit's seq on the wire (u32): 0 unless a move went to a track whose numbers are behind. */
  private seqOffset = 0;
  /** Set by switchTrack(): the next unit sent sets seqOffset. */
  private renumber = false;
  private paceTimer: NodeJS.Timeout | undefined;
  /**
   * Without acks, the pace comes from writes completing: one callback for every send, made once (no
   * closure per unit). With acks it is undefined: acks pace the receiver, and a write callback per
   * unit and receiver was a measurable share of the fan-out's CPU.
   */
  private readonly afterWrite: (() => void) | undefined;

  constructor(options: PacedSenderOptions) {
    this.transport = options.transport;
    this.queue = new SendQueue(options.queue);
    this.acked = new AckWindow(options.maxWindow);
    this.window = options.window;
    this.acks = options.acks;
    this.maxBufferedBytes = options.maxBufferedBytes;
    this.sendsConfig = options.sendsConfig;
    this.pacer = options.pacer;
    this.onSent = options.onSent;
    if (!options.acks) {
      this.afterWrite = (): void => {
        this.inFlight--;
        if (this.queue.size > 0) this.flush();
      };
    }
  }

  /** Takes a unit in (false: seen already) and sends what may go. `now`: performance.now(). */
  push(unit: AccessUnit, now: number): boolean {
    const seq = unit.seq >>> 0;
    if (this.lastQueued !== undefined && seqDiff(seq, this.lastQueued) <= 0) return false;
    this.lastQueued = seq;
    this.queue.push(unit, now);
    this.flush(now);
    return true;
  }

  /** An ack from the receiver; on 'freed', `acked.sample` says what it freed, and what waits may go. */
  ack(seq: number, now: number): AckResult {
    const result = this.acked.ack(seq);
    if (result === 'freed') this.flush(now);
    return result;
  }

  /** How long the oldest unit not yet acknowledged has waited, sent or still queued (0 when none). */
  oldestWait(now: number): number {
    return Math.max(this.acked.oldestWait(now), this.queue.oldestWait(now));
  }

  /**
   * Drops what waits (a pause): it was never sent, so a catch-up may offer it again (a camera that
   * made nothing newer meanwhile); only what was sent counts as seen.
   */
  dropWaiting(): void {
    this.queue.clear();
    const last = this.acked.lastSent;
    this.lastQueued = last === undefined ? undefined : (last - this.seqOffset) >>> 0;
  }

  /** The units that follow come from another track, from its keyframe: numbered on from the wire's. */
  switchTrack(): void {
    this.queue.clear();
    this.lastQueued = undefined;
    this.renumber = true;
  }

  /** Back to the start (the receiver stopped wanting the stream): nothing waits, nothing in flight. */
  reset(): void {
    this.queue.clear();
    this.acked.clear();
    this.sentConfig = undefined;
    this.lastQueued = undefined;
    this.seqOffset = 0;
    this.renumber = false;
    clearTimeout(this.paceTimer);
    this.paceTimer = undefined;
  }

  /** Sends what may go now. `now`: performance.now() at the call (one clock read for a burst). */
  flush(now = performance.now()): void {
    while (this.queue.size > 0 && this.canSend()) {
      if (this.pacer) {
        const wait = this.pacer.wait(now);
        if (wait > 0) {
          this.paceTimer ??= setTimeout(() => {
            this.paceTimer = undefined;
            this.flush();
          }, wait);
          return;
        }
      }
      const unit = this.queue.shift(now);
      if (!unit) return;
      if (this.sendsConfig && unit.config !== this.sentConfig) {
        this.sentConfig = unit.config;
        this.transport.sendConfig(unit.config);
      }
      if (this.renumber) {
        this.renumber = false;
        const natural = unit.seq >>> 0;
        const last = this.acked.lastSent;
        this.seqOffset = last === undefined || seqDiff(natural, last) > 0 ? 0 : (last + 1 - natural) >>> 0;
      }
      const seq = (unit.seq + this.seqOffset) >>> 0;
      if (!this.acks) this.inFlight++;
      const bytes = this.transport.sendUnit(unit, seq, this.afterWrite);
      this.acked.sent(seq, now, bytes, this.acks);
      this.pacer?.sent(now);
      this.onSent?.(bytes);
    }
  }

  private canSend(): boolean {
    const transport = this.transport;
    if (!transport.writable || transport.bufferedBytes >= this.maxBufferedBytes) return false;
    return this.acks ? this.acked.size < this.window : this.inFlight === 0;
  }
}
