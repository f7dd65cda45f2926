/** An event's clip, played in a dialog over the page (the events list opens it). */
import { h, setText, textButton } from './dom.js';
import { clipUrl, type MotionEvent } from './events-api.js';

const when = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export class ClipDialog {
  readonly element: HTMLDialogElement;
  private readonly video = h('video', { class: 'clip-video', controls: true, playsinline: true, preload: 'auto' });
  private readonly title = h('h3', { class: 'clip-title' });
  private readonly download = h('a', { class: 'button text', download: '' }, 'Download');

  constructor() {
    const close = textButton('Close', () => this.close());
    this.element = h(
      'dialog',
      { class: 'clip-dialog', 'aria-label': 'Event clip' },
      h('div', { class: 'clip-head' }, this.title, h('div', { class: 'clip-actions' }, this.download, close)),
      this.video,
    );
    this.element.addEventListener('close', () => this.stop());
  }

  open(event: MotionEvent, cameraName: string): void {
    const url = clipUrl(event);
    if (!url) return;
    setText(this.title, `${cameraName} · ${when.format(event.start)}`);
    this.video.src = url;
    this.download.href = url;
    this.download.download = `${event.camera}-event-${event.id}.mp4`;
    if (!this.element.open) this.element.showModal();
    void this.video.play().catch(() => {
      // Autoplay refused: the controls are there.
    });
  }

  close(): void {
    if (this.element.open) this.element.close();
    this.stop();
  }

  private stop(): void {
    this.video.pause();
    this.video.removeAttribute('src');
    this.video.load();
  }
}
