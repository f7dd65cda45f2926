/**
 * Which cameras are in motion now, for the grid: each camera's detector asked every second (GET
 * api/cameras/ID/motion, without its mask; a camera without detection asked again only now and
 * then), and the events' live feed (an event open is motion now, even between two polls). A camera
 * stays marked HOLD_MS after its last motion, so the mark does not flicker.
 */
import { fetchMotion, watchEvents } from './events-api.js';

const POLL_MS = 1000;
/** A camera whose detection is off is asked again this often (a config reload may turn it on). */
const OFF_POLL_MS = 30_000;
const HOLD_MS = 2000;

export class MotionWatch {
  private cameras: string[] = [];
  private readonly lastMotion = new Map<string, number>();
  private readonly openEvents = new Map<string, Set<number>>();
  private readonly off = new Map<string, number>();
  private timer = 0;
  private polling = false;
  private closed = false;
  private readonly stopLive: () => void;
  private readonly abort = new AbortController();

  /** `changed`: a camera's mark may have changed. */
  constructor(private readonly changed: () => void) {
    this.stopLive = watchEvents((change, event) => {
      let open = this.openEvents.get(event.camera);
      if (!open) this.openEvents.set(event.camera, (open = new Set()));
      if (change === 'end' || event.end !== null) open.delete(event.id);
      else open.add(event.id);
      this.changed();
    });
    this.timer = window.setInterval(() => void this.poll(), POLL_MS);
  }

  setCameras(ids: string[]): void {
    this.cameras = ids;
  }

  inMotion(camera: string): boolean {
    if ((this.openEvents.get(camera)?.size ?? 0) > 0) return true;
    return Date.now() - (this.lastMotion.get(camera) ?? 0) < HOLD_MS;
  }

  destroy(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.abort.abort();
    this.stopLive();
  }

  private async poll(): Promise<void> {
    if (this.polling || this.closed || document.visibilityState === 'hidden') return;
    this.polling = true;
    try {
      const now = Date.now();
      const due = this.cameras.filter((id) => (this.off.get(id) ?? 0) <= now);
      const answers = await Promise.all(due.map((id) => fetchMotion(id, false, this.abort.signal)));
      if (this.closed) return;
      due.forEach((id, i) => {
        const answer = answers[i];
        if (!answer?.enabled) {
          this.off.set(id, now + OFF_POLL_MS);
          return;
        }
        if (answer.motion) this.lastMotion.set(id, now);
      });
      this.changed();
    } finally {
      this.polling = false;
    }
  }
}
