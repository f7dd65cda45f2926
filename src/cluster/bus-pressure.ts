/**
 * Whether this hub's own link to NATS keeps up with what it publishes. The client queues what it writes
 * without a bound, so the hub bounds it itself: a flush (a PING that goes out behind everything queued
 * before it) is kept in flight; one outstanding for longer than `limitMs` means the link is behind, and
 * the camera publishers stop putting units on the bus (resuming at a keyframe) until a flush comes back.
 * The queue then holds at most about `limitMs` of what the link carries.
 */
import type { NatsConnection } from '@nats-io/transport-node';

const CHECK_MS = 250;

export class BusPressure {
  private sentAt: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Times the link fell behind (for /api/cluster). */
  congestions = 0;
  congested = false;

  constructor(
    private readonly connection: () => NatsConnection | undefined,
    private readonly limitMs = 2000,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.check(), CHECK_MS);
    this.timer.unref();
  }

  private check(now = Date.now()): void {
    if (this.sentAt !== undefined) {
      if (!this.congested && now - this.sentAt > this.limitMs) {
        this.congested = true;
        this.congestions++;
      }
      return;
    }
    const nc = this.connection();
    if (!nc) return;
    const sentAt = now;
    this.sentAt = sentAt;
    nc.flush().then(
      () => this.settled(sentAt),
      () => this.settled(sentAt),
    );
  }

  private settled(sentAt: number): void {
    if (this.sentAt !== sentAt) return;
    this.sentAt = undefined;
    this.congested = false;
  }

  /** The connection was replaced: whatever was in flight is gone with the old one. */
  reset(): void {
    this.sentAt = undefined;
    this.congested = false;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
