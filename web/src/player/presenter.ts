/**
 * Draws decoded frames (JPEG bitmaps or WebCodecs VideoFrames) on the canvas at the display's pace: a frame waits for
 * the next animation frame, and a newer one due by then replaces it meanwhile (dropped).
 * While sound plays, a picture waits for it: `events.due` says when (performance.now()) the sound of its media
 * time leaves the speakers, and the picture is drawn at the first animation frame from then (the video follows
 * the audio clock; a picture already late is drawn at once, and one due more than MAX_WAIT_MS ahead too: sound
 * that far ahead is not waited for). At most MAX_HELD pictures wait; beyond, the oldest is dropped.
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

/** A picture that waits for its time: when (performance.now()) it is due; undefined at once. */
interface Held {
  frame: PresentedFrame;
  due: number | undefined;
}

export interface PresenterEvents {
  /** Called right after `frame` was drawn. */
  presented(frame: PresentedFrame): void;
  dropped(): void;
  /** When (performance.now()) a picture of media time `pts` should show; undefined: at once (no sound playing). */
  due?(pts: number): number | undefined;
}

/** A picture due further ahead than this is drawn at once: the sound is not waited for. */
const MAX_WAIT_MS = 500;
/** Pictures waiting for their time at most (half a second at 30 fps); beyond, the oldest is dropped. */
const MAX_HELD = 16;
/** A picture due within this of an animation frame is drawn at it (about half a frame at 60 Hz). */
const EARLY_MS = 8;

export class CanvasPresenter {
  private readonly context: CanvasRenderingContext2D;
  private held: Held[] = [];
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
    let due = frame.pts === undefined ? undefined : this.events.due?.(frame.pts);
    if (due !== undefined && (due <= performance.now() || due - performance.now() > MAX_WAIT_MS)) due = undefined;
    this.held.push({ frame, due });
    while (this.held.length > MAX_HELD) this.drop(this.held.shift()!);
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
    for (const held of this.held) held.frame.bitmap.close();
    this.held = [];
    this.current?.bitmap.close();
    this.current = undefined;
    this.draw();
  }

  private drop(held: Held): void {
    held.frame.bitmap.close();
    this.events.dropped();
  }

  private readonly paint = (): void => {
    this.raf = 0;
    // The newest picture due by now is drawn; those before it are dropped, those after it wait.
    const by = performance.now() + EARLY_MS;
    let pick = -1;
    for (let i = 0; i < this.held.length; i++) {
      const due = this.held[i]!.due;
      if (due === undefined || due <= by) pick = i;
    }
    if (this.held.length > pick + 1) this.raf = requestAnimationFrame(this.paint);
    if (pick < 0) return;
    const shown = this.held.splice(0, pick + 1);
    for (const held of shown.slice(0, -1)) this.drop(held);
    const frame = shown.at(-1)!.frame;
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
