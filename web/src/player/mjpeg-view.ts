/**
 * The fallback: the camera's multipart MJPEG stream in an <img>, which every
 * browser plays natively. The browser hides the frames from script, so there
 * is no fps, latency or offline status here: the server's NO SIGNAL picture
 * tells the viewer instead.
 */

export interface MjpegEvents {
  /** The first picture arrived. */
  loaded(width: number, height: number): void;
  /** The stream could not be opened or broke off. */
  failed(): void;
}

export class MjpegView {
  private active = false;

  constructor(
    private readonly img: HTMLImageElement,
    private readonly events: MjpegEvents,
  ) {}

  /** Between start() and stop() (or a failure). */
  get running(): boolean {
    return this.active;
  }

  start(url: string): void {
    this.active = true;
    this.img.onload = () => {
      if (this.active) this.events.loaded(this.img.naturalWidth, this.img.naturalHeight);
    };
    this.img.onerror = () => {
      if (!this.active) return;
      this.stop();
      this.events.failed();
    };
    this.img.hidden = false;
    this.img.src = url;
  }

  /** Ends the HTTP stream: removing the source is what makes the browser let go of the connection. */
  stop(): void {
    this.active = false;
    this.img.onload = null;
    this.img.onerror = null;
    this.img.removeAttribute('src');
    this.img.hidden = true;
  }
}
