/**
 * An event's snapshot: a full-size JPEG of the camera's main stream (the hub's JPEG track: the
 * camera's own JPEGs, or the one decoder an H.264 camera's JPEG consumers share) at the start, and
 * again when the motion's peak rises, so the one kept is near the peak. One taken at a time per
 * camera, at most one a second and a few per event: a long event costs no more than a short one.
 */
import type { MotionEvent } from './event.js';

/** The camera's picture now, or undefined when none comes in time. */
export type SnapshotSource = (camera: string) => Promise<Buffer | undefined>;

const MIN_INTERVAL_MS = 1000;
const MAX_PER_EVENT = 5;

export class SnapshotTaker {
  private readonly busy = new Set<string>();
  private readonly taken = new Map<number, { count: number; at: number }>();
  private closed = false;

  constructor(
    private readonly source: SnapshotSource,
    private readonly done: (event: MotionEvent, jpeg: Buffer) => void,
  ) {}

  take(event: MotionEvent, camera: string): void {
    if (this.closed || this.busy.has(camera)) return;
    const last = this.taken.get(event.id);
    const now = Date.now();
    if (last && (last.count >= MAX_PER_EVENT || now - last.at < MIN_INTERVAL_MS)) return;
    this.taken.set(event.id, { count: (last?.count ?? 0) + 1, at: now });
    // Only the current events' counts are needed.
    if (this.taken.size > 256) this.taken.delete(this.taken.keys().next().value!);
    this.busy.add(camera);
    this.source(camera)
      .then((jpeg) => {
        if (jpeg && !this.closed) this.done(event, jpeg);
      })
      .catch(() => undefined)
      .finally(() => this.busy.delete(camera));
  }

  close(): void {
    this.closed = true;
  }
}
