/**
 * A hand-driven motion detector: tests push observations to the events (src/events) as the
 * detector would, at the times they choose.
 */
import type { MotionObservation, ObservationSource } from '../../src/events/index.js';

export class HandObservations implements ObservationSource {
  private readonly listeners = new Map<string, Set<(o: MotionObservation) => void>>();

  subscribe(cameraId: string, listener: (o: MotionObservation) => void): () => void {
    const set = this.listeners.get(cameraId) ?? new Set();
    set.add(listener);
    this.listeners.set(cameraId, set);
    return () => set.delete(listener);
  }

  /** One observation: motion (with `score`, default 0.2) or stillness, at `at` (default now). */
  push(
    camera: string,
    motion: boolean,
    { at = Date.now(), score = motion ? 0.2 : 0, zones = [] as string[] } = {},
  ): void {
    for (const l of this.listeners.get(camera) ?? []) l({ camera, at, score, zones, motion });
  }

  /** Motion from `from` for `ms`, one observation every `step` ms. */
  motion(camera: string, from: number, ms: number, { step = 200, score = 0.2, zones = [] as string[] } = {}): void {
    for (let t = from; t <= from + ms; t += step) this.push(camera, true, { at: t, score, zones });
  }

  subscribers(camera: string): number {
    return this.listeners.get(camera)?.size ?? 0;
  }
}
