/**
 * The events' changes as they happen, to whoever listens (the live API, MQTT, webhooks, the relay).
 * A listener must not block: each one queues what it does with a change, bounded, on its own.
 */
import type { EventChange, MotionEvent } from './event.js';

export interface EventNotice {
  type: EventChange;
  event: MotionEvent;
  /** The event's snapshot, when this change brought a new one. */
  snapshot?: Buffer;
}

export type EventListener = (notice: EventNotice) => void;

export class EventFeed {
  private readonly listeners = new Set<EventListener>();

  constructor(private readonly onError: (err: unknown) => void = () => undefined) {}

  listen(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(notice: EventNotice): void {
    for (const listener of this.listeners) {
      // One broken listener never keeps the others (or the detector) from going on.
      try {
        listener(notice);
      } catch (err) {
        this.onError(err);
      }
    }
  }

  get size(): number {
    return this.listeners.size;
  }
}
