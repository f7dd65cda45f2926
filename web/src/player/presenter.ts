/**
 * Draws decoded frames (JPEG bitmaps or WebCodecs VideoFrames) on the canvas at the display's pace: a frame waits for
 * the next animation frame, and a newer one replaces it meanwhile (dropped).
 * The frame on screen is kept (one bitmap) to redraw on resize or a change of
 * fit; every other bitmap is closed as soon as it is replaced.
 */
import type { Fit } from './types.js';

/** A decoded picture: a JPEG's ImageBitmap or a WebCodecs VideoFrame; closed by whoever holds it last. */
export type Picture = ImageBitmap | VideoFrame;

/** A picture to show, with what the stats need to know of it. */
export interface PresentedFrame {
  bitmap: Picture;
  seq: number;
  /** Capture time, server clock. */
  capturedAt: number;
  /** Media presentation time (90 kHz, modulo 2^32), where known: the audio follows it. */
  pts?: number;
}

function sizeOf(picture: Picture): { width: number; height: number } {
  return 'displayWidth' in picture
    ? { width: picture.displayWidth, height: picture.displayHeight }
    : { width: picture.width, height: picture.height };
}

/** Backing stores beyond this many pixels cost memory and fill rate for nothing a camera can show. */
const MAX_CANVAS_PIXELS = 3840 * 2160;

export interface PresenterEvents {
  /** Called right after `frame` was drawn. */
  presented(frame: PresentedFrame): void;
  dropped(): void;
}

export class CanvasPresenter {
  private readonly context: CanvasRenderingContext2D;
  private next: PresentedFrame | undefined;
  private current: PresentedFrame | undefined;
  private raf = 0;
  private fitValue: Fit = 'contain';

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly events: PresenterEvents,
  ) {
    // alpha: false lets the browser skip blending the canvas with the page.
    const context = canvas.getContext('2d', { alpha: false });
    if (!context) throw new Error('no 2D canvas context');
    this.context = context;
  }

  set fit(fit: Fit) {
    if (fit === this.fitValue) return;
    this.fitValue = fit;
    this.draw();
  }

  /** The size of the picture on screen (0×0 before the first). */
  get pictureSize(): { width: number; height: number } {
    const b = this.current?.bitmap;
    return b ? sizeOf(b) : { width: 0, height: 0 };
  }

  get hasPicture(): boolean {
    return this.current !== undefined;
  }

  show(frame: PresentedFrame): void {
    if (this.next) {
      this.next.bitmap.close();
      this.events.dropped();
    }
    this.next = frame;
    if (!this.raf) this.raf = requestAnimationFrame(this.paint);
  }

  /** Sizes the backing store to the element's size in device pixels. */
  resize(deviceWidth: number, deviceHeight: number): void {
    let w = Math.max(1, Math.round(deviceWidth));
    let h = Math.max(1, Math.round(deviceHeight));
    const scale = Math.sqrt(MAX_CANVAS_PIXELS / (w * h));
    if (scale < 1) {
      w = Math.round(w * scale);
      h = Math.round(h * scale);
    }
    if (this.canvas.width === w && this.canvas.height === h) return;
    this.canvas.width = w; // clears the canvas
    this.canvas.height = h;
    this.draw();
  }

  /** Drops every picture (closing its bitmap) and blanks the canvas. */
  clear(): void {
    if (this.raf) cancelAnimationFrame(this.raf);
    this.raf = 0;
    this.next?.bitmap.close();
    this.next = undefined;
    this.current?.bitmap.close();
    this.current = undefined;
    this.draw();
  }

  private readonly paint = (): void => {
    this.raf = 0;
    const frame = this.next;
    if (!frame) return;
    this.next = undefined;
    this.current?.bitmap.close();
    this.current = frame;
    this.draw();
    this.events.presented(frame);
  };

  private draw(): void {
    const { canvas, context } = this;
    // Resizing the canvas resets the context's state, so this is set on every draw.
    // 'medium' keeps downscaled tiles free of aliasing without the cost of 'high'.
    context.imageSmoothingQuality = 'medium';
    context.fillStyle = '#000';
    context.fillRect(0, 0, canvas.width, canvas.height);
    const bitmap = this.current?.bitmap;
    if (!bitmap) return;
    const size = sizeOf(bitmap);
    if (size.width === 0 || size.height === 0) return;
    const sx = canvas.width / size.width;
    const sy = canvas.height / size.height;
    const scale = this.fitValue === 'cover' ? Math.max(sx, sy) : Math.min(sx, sy);
    const w = size.width * scale;
    const h = size.height * scale;
    context.drawImage(bitmap, (canvas.width - w) / 2, (canvas.height - h) / 2, w, h);
  }
}
