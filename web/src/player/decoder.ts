/**
 * JPEG → ImageBitmap, latest wins: at most one decode in flight; a frame that
 * arrives meanwhile waits, and a newer one replaces it (counted as dropped).
 * A slow device so shows fewer frames, never older ones, and never queues.
 * Every bitmap made here is handed on exactly once or closed, and every
 * frame's `done` is called exactly once, whatever became of it.
 */

export interface EncodedFrame {
  jpeg: Blob;
  seq: number;
  /** Capture time, server clock. */
  receivedAt: number;
  /** Called once the decoder is finished with the frame (decoded, failed, replaced or discarded): the WebSocket acks here. */
  done?: () => void;
}

export interface DecodedFrame extends EncodedFrame {
  bitmap: ImageBitmap;
}

export interface DecoderEvents {
  decoded(frame: DecodedFrame): void;
  /** A received frame replaced before it was decoded. */
  dropped(): void;
  failed(error: unknown): void;
}

export class LatestFrameDecoder {
  private busy = false;
  private pending: EncodedFrame | undefined;
  /** Bumped by reset(): a decode that started before belongs to a stream nobody wants any more. */
  private generation = 0;
  private disposed = false;
  private decodeMs = 0;

  constructor(private readonly events: DecoderEvents) {}

  /** Mean time createImageBitmap took over recent frames, ms (0 before the first). */
  get decodeTimeMs(): number {
    return this.decodeMs;
  }

  push(frame: EncodedFrame): void {
    if (this.disposed) return frame.done?.();
    if (!this.busy) {
      void this.decode(frame);
      return;
    }
    if (this.pending) {
      this.events.dropped();
      this.pending.done?.();
    }
    this.pending = frame;
  }

  /** Forgets the waiting frame and discards the one being decoded (e.g. another camera was chosen). */
  reset(): void {
    this.pending?.done?.();
    this.pending = undefined;
    this.generation++;
  }

  dispose(): void {
    this.disposed = true;
    this.reset();
  }

  private async decode(frame: EncodedFrame): Promise<void> {
    this.busy = true;
    const generation = this.generation;
    try {
      const started = performance.now();
      const bitmap = await createImageBitmap(frame.jpeg);
      const ms = performance.now() - started;
      this.decodeMs = this.decodeMs === 0 ? ms : this.decodeMs * 0.9 + ms * 0.1;
      if (generation !== this.generation || this.disposed) bitmap.close();
      else this.events.decoded({ ...frame, bitmap });
    } catch (error) {
      if (generation === this.generation && !this.disposed) this.events.failed(error);
    } finally {
      this.busy = false;
      frame.done?.();
    }
    const next = this.pending;
    this.pending = undefined;
    if (next && !this.disposed) void this.decode(next);
  }
}
