/**
 * Preview pictures for the timeline (thumbnail.jpg?t=…&width=160): one request at a time, the
 * newest wish wins (hovering across the timeline asks for many), kept in memory as object URLs
 * in a bounded cache.
 */
import { thumbnailHref } from './recordings.js';
import { LruCache } from './timeline-model.js';

const CACHE_SIZE = 80;
/** No more than one request per this many ms, however fast the pointer moves. */
const MIN_INTERVAL_MS = 150;

export class Thumbnails {
  private readonly cache = new LruCache<number, string>(CACHE_SIZE, (url) => URL.revokeObjectURL(url));
  /** Times the server had no picture for (answered 404): not asked again. */
  private readonly missing = new LruCache<number, true>(CACHE_SIZE * 4);
  private wanted: { t: number; show: (url: string | undefined) => void } | undefined;
  private busy = false;
  private last = 0;
  private closed = false;

  constructor(private readonly camera: string) {}

  /** Calls `show` with the picture for `t` (now when cached, else once loaded), unless a newer wish came first. */
  request(t: number, show: (url: string | undefined) => void): void {
    const cached = this.cache.get(t);
    if (cached || this.missing.has(t)) {
      this.wanted = undefined;
      show(cached);
      return;
    }
    this.wanted = { t, show };
    this.pump();
  }

  /** Forgets the pending wish (the preview was hidden). */
  cancel(): void {
    this.wanted = undefined;
  }

  close(): void {
    this.closed = true;
    this.wanted = undefined;
    this.cache.clear();
  }

  private pump(): void {
    if (this.busy || !this.wanted || this.closed) return;
    const wait = this.last + MIN_INTERVAL_MS - Date.now();
    if (wait > 0) {
      this.busy = true;
      window.setTimeout(() => {
        this.busy = false;
        this.pump();
      }, wait);
      return;
    }
    const wish = this.wanted;
    this.wanted = undefined;
    // Loaded meanwhile (asked for again while its first request was out).
    const cached = this.cache.get(wish.t);
    if (cached || this.missing.has(wish.t)) {
      wish.show(cached);
      return;
    }
    this.busy = true;
    this.last = Date.now();
    void this.load(wish.t).then((url) => {
      this.busy = false;
      if (this.closed) return;
      // Still wanted (nothing newer asked for meanwhile): show it.
      if (!this.wanted) wish.show(url);
      this.pump();
    });
  }

  private async load(t: number): Promise<string | undefined> {
    try {
      const response = await fetch(thumbnailHref(this.camera, t), { signal: AbortSignal.timeout(8000) });
      if (!response.ok) {
        if (response.status === 404) this.missing.set(t, true);
        // Refused (no permission, an expired link): no previews from now on.
        if (response.status === 401 || response.status === 403) this.closed = true;
        return undefined;
      }
      const url = URL.createObjectURL(await response.blob());
      if (this.closed) {
        URL.revokeObjectURL(url);
        return undefined;
      }
      this.cache.set(t, url);
      return url;
    } catch {
      return undefined;
    }
  }
}
