/**
 * Which of the player's three surfaces shows the picture: the canvas (JPEG and WebCodecs, drawn by
 * the presenter), the <img> (MJPEG) or the <video> (MSE); and the canvas's size in device pixels.
 */
import type { CanvasPresenter } from './presenter.js';
import type { PlayerView } from './view.js';

export class Surfaces {
  private mjpeg: { width: number; height: number } | undefined;

  constructor(
    private readonly view: PlayerView,
    private readonly presenter: CanvasPresenter,
  ) {}

  /** The MJPEG picture's size while the <img> shows one (undefined otherwise). */
  get mjpegSize(): { width: number; height: number } | undefined {
    return this.mjpeg;
  }

  /** The <img> replaces the canvas while MJPEG shows (`size`: its picture's); the canvas then keeps no picture. */
  showMjpeg(size: { width: number; height: number } | undefined): void {
    this.mjpeg = size;
    if (size) {
      this.presenter.clear();
      this.showVideo(false);
    }
    this.view.canvas.hidden = size !== undefined || !this.view.video.hidden;
  }

  /** The <video> (MSE) replaces the canvas, or the canvas comes back. */
  showVideo(on: boolean): void {
    if (on) this.presenter.clear();
    this.view.video.hidden = !on;
    this.view.canvas.hidden = on;
  }

  /** The element was resized: the canvas's backing store follows, in device pixels. */
  resized(entries: ResizeObserverEntry[]): void {
    const entry = entries[entries.length - 1];
    if (!entry) return;
    const ratio = window.devicePixelRatio || 1;
    const width = entry.contentRect.width * ratio;
    const height = entry.contentRect.height * ratio;
    const device = entry.devicePixelContentBoxSize?.[0];
    // Exact device pixels where the browser knows them; but some (emulated screens) report
    // CSS pixels there, so they are used only when they agree with the ratio.
    if (device && Math.abs(device.inlineSize - width) <= 2 && Math.abs(device.blockSize - height) <= 2)
      this.presenter.resize(device.inlineSize, device.blockSize);
    else this.presenter.resize(width, height);
  }
}
