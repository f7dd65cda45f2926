/**
 * The JPEG path: JPEG → ImageBitmap, shown on the canvas, latest wins: at most one decode in
 * flight; a picture that arrives meanwhile waits, and a newer one replaces it (counted as
 * dropped). A slow device so shows fewer pictures, never older ones, and never queues.
 * Every bitmap made here is handed to the presenter exactly once or closed, and every
 * picture's `done` is called exactly once, whatever became of it.
 */
import type { Decoder, DecoderEvents } from './decoder.js';
import type { JpegPicture, MediaUnit } from './media.js';
import type { CanvasPresenter } from './presenter.js';

export class JpegDecoder implements Decoder {
  readonly path = 'jpeg';
  readonly surface = 'canvas';
  private busy = false;
  private pending: JpegPicture | undefined;
  /** Bumped by reset(): a decode that started before belongs to a stream nobody wants any more. */
  private generation = 0;
  private decodeMs = 0;

  constructor(
    private readonly presenter: CanvasPresenter,
    private readonly events: Pick<DecoderEvents, 'decoded' | 'dropped' | 'failed'>,
  ) {}

  get hasPicture(): boolean {
    return this.presenter.hasPicture;
  }

  get pictureSize(): { width: number; height: number } {
    return this.presenter.pictureSize;
  }

  /** Mean time createImageBitmap took over recent pictures, ms (0 before the first). */
  get decodeTimeMs(): number {
    return this.decodeMs;
  }

  /** JPEG needs no configuration. */
  configure(): void {}

  push(unit: MediaUnit): void {
    if (unit.codec !== 'jpeg') return unit.done();
    if (!this.busy) {
      void this.decode(unit);
      return;
    }
    if (this.pending) {
      this.events.dropped();
      this.pending.done();
    }
    this.pending = unit;
  }

  /** Forgets the waiting picture and discards the one being decoded (e.g. another camera was chosen). */
  reset(): void {
    this.pending?.done();
    this.pending = undefined;
    this.generation++;
  }

  connectionLost(): void {
    this.reset();
  }

  private async decode(picture: JpegPicture): Promise<void> {
    this.busy = true;
    const generation = this.generation;
    try {
      const started = performance.now();
      const bitmap = await createImageBitmap(picture.jpeg);
      const ms = performance.now() - started;
      this.decodeMs = this.decodeMs === 0 ? ms : this.decodeMs * 0.9 + ms * 0.1;
      if (generation !== this.generation) bitmap.close();
      else {
        this.events.decoded();
        this.presenter.show({ bitmap, seq: picture.seq, capturedAt: picture.capturedAt });
      }
    } catch (error) {
      if (generation === this.generation) this.events.failed(error);
    } finally {
      this.busy = false;
      picture.done();
    }
    const next = this.pending;
    this.pending = undefined;
    if (next) void this.decode(next);
  }
}
