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
  capturedAt: number;
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

  constructor(private readonly events: DecoderEvents) {}

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
      const bitmap = await createImageBitmap(frame.jpeg);
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
