/**
 * The NO SIGNAL picture of an outage: rendered once per outage (at the
 * camera's size, capped), sent to the JPEG consumers at once and then about
 * once a second while the camera stays offline. H.264 consumers get the
 * status only.
 */
import { readJpegSize } from '../codec/jpeg.js';
import { fallbackPlaceholder, placeholderSize } from '../media/placeholder.js';

type Size = { width: number; height: number };

/**
 * Draws the NO SIGNAL picture for a size (the server's wiring injects src/ffmpeg's renderer); rejects once
 * `signal` says the picture is no longer wanted.
 */
export type PlaceholderRenderer = (request: Size, signal?: AbortSignal) => Promise<Buffer>;

export class PlaceholderTicker {
  private timer: NodeJS.Timeout | undefined;
  private picture: Promise<Buffer> | undefined;
  /** Tells the renderer the current picture is no longer wanted (it stops a render nobody else waits for). */
  private abort: AbortController | undefined;
  /** Bumped to stop a ticker that may be awaiting its picture. */
  private ticker = 0;

  constructor(
    private readonly render: PlaceholderRenderer,
    /** The camera's size, if known. */
    private readonly cameraSize: () => Size | undefined,
    private readonly intervalMs: number,
    /** Sends one placeholder picture; returns false when nobody should get one any more. */
    private readonly send: (jpeg: Buffer, size: Size) => boolean,
  ) {}

  get running(): boolean {
    return this.timer !== undefined;
  }

  /** The placeholder's size: the camera's, capped (it comes from the camera's or an edge's headers). */
  size(): Size {
    const size = this.cameraSize();
    return size ? placeholderSize(size.width, size.height) : { width: 640, height: 360 };
  }

  /** The current outage's picture, rendering it if needed; the grey stand-in if rendering fails. */
  async current(): Promise<{ jpeg: Buffer; size: Size }> {
    const jpeg = await this.render0().catch(() => fallbackPlaceholder());
    return { jpeg, size: readJpegSize(jpeg) ?? this.size() };
  }

  start(): void {
    if (this.timer) return;
    const ticker = ++this.ticker;
    const tick = async (): Promise<void> => {
      const jpeg = await this.render0().catch(() => undefined); // undefined: dropped meanwhile
      if (ticker !== this.ticker) return;
      // The grey stand-in has its own size.
      if (jpeg && !this.send(jpeg, readJpegSize(jpeg) ?? this.size())) {
        this.stop();
        return;
      }
      this.timer = setTimeout(() => void tick(), this.intervalMs);
    };
    // The first placeholder goes out at once, then about once a second.
    this.timer = setTimeout(() => void tick(), 0);
  }

  stop(): void {
    this.ticker++;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Forgets the picture (a new outage may have another size). */
  drop(): void {
    this.abort?.abort();
    this.abort = undefined;
    this.picture = undefined;
  }

  private render0(): Promise<Buffer> {
    if (!this.picture) {
      this.abort = new AbortController();
      this.picture = this.render(this.size(), this.abort.signal);
    }
    return this.picture;
  }
}
