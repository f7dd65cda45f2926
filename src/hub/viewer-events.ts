/**
 * What viewers do that /metrics must count as it happens, not read when
 * scraped: a round trip measured from an ack, a viewer gone with its final
 * counts. One per registry; every camera in it reports here.
 */
import type { ViewerStats } from './consumer.js';

export interface ViewerListener {
  /** A round-trip sample (ms) from a viewer of `camera`. */
  rtt?(camera: string, ms: number): void;
  /** A viewer of `camera` left; `stats` are its counts at the end. */
  left?(camera: string, stats: ViewerStats): void;
}

export class ViewerEvents {
  private readonly listeners = new Set<ViewerListener>();

  /** Returns the function that stops listening. */
  listen(listener: ViewerListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  rtt(camera: string, ms: number): void {
    for (const l of this.listeners) l.rtt?.(camera, ms);
  }

  left(camera: string, stats: ViewerStats): void {
    for (const l of this.listeners) l.left?.(camera, stats);
  }
}
