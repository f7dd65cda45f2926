/**
 * The sound's SourceBuffer in the MSE path's MediaSource, beside the video's (mse-decoder.ts owns the
 * MediaSource and attaches this one when it opens): an audio-only fMP4 (its init segment, then one media
 * segment per unit, on the video's timeline), appended one at a time from a bounded queue (the oldest
 * media segments go first), and trimmed behind the playhead. The <video> then plays both on its own clock.
 * A new MediaSource (the decoder opens one to add or drop the sound) starts again from the init segment.
 */
const MAX_QUEUED = 50;
/** Sound kept behind the playhead; trimmed once it exceeds TRIM_AFTER_S. */
const KEEP_BEHIND_S = 1;
const TRIM_AFTER_S = 2;

type AudioOp = { kind: 'append'; bytes: Uint8Array } | { kind: 'remove'; start: number; end: number };

export class MseAudioBuffer {
  private buffer: SourceBuffer | undefined;
  private queue: AudioOp[] = [];
  /** When (performance.now()) a media segment was last appended; -Infinity before the first. */
  appendedAt = -Infinity;

  constructor(
    readonly mime: string,
    private readonly init: Uint8Array,
    private readonly failed: (error: unknown) => void,
  ) {}

  /** Adds the SourceBuffer to a MediaSource just opened (throws if the browser refuses it). */
  attach(source: MediaSource): void {
    this.detach();
    const buffer = source.addSourceBuffer(this.mime);
    buffer.mode = 'segments';
    buffer.addEventListener('updateend', this.pump);
    buffer.addEventListener('error', this.onError);
    this.buffer = buffer;
    this.appendedAt = performance.now(); // a fresh start: its first segments are on their way
    this.queue = [{ kind: 'append', bytes: this.init }, ...this.queue.filter((op) => op.kind === 'append')];
    this.pump();
  }

  /** Lets go of the SourceBuffer (its MediaSource is going). */
  detach(): void {
    this.buffer?.removeEventListener('updateend', this.pump);
    this.buffer?.removeEventListener('error', this.onError);
    this.buffer = undefined;
  }

  get attached(): boolean {
    return this.buffer !== undefined;
  }

  append(bytes: Uint8Array): void {
    this.queue.push({ kind: 'append', bytes });
    if (this.queue.length > MAX_QUEUED) {
      // The oldest media segment goes (never the init segment at the head while it waits).
      const at = this.queue.findIndex((op) => op.kind === 'append' && op.bytes !== this.init);
      if (at >= 0) this.queue.splice(at, 1);
    }
    this.pump();
  }

  /** Removes what lies well behind the playhead. */
  trim(now: number): void {
    const ranges = this.buffer?.buffered;
    if (!ranges || ranges.length === 0 || this.queue.some((op) => op.kind === 'remove')) return;
    if (now - ranges.start(0) > TRIM_AFTER_S) this.queue.push({ kind: 'remove', start: 0, end: now - KEEP_BEHIND_S });
    this.pump();
  }

  private readonly onError = (): void => this.failed(new Error('audio SourceBuffer error'));

  private readonly pump = (): void => {
    const buffer = this.buffer;
    if (!buffer || buffer.updating) return;
    const op = this.queue.shift();
    if (!op) return;
    try {
      if (op.kind === 'remove') buffer.remove(op.start, op.end);
      else {
        buffer.appendBuffer(op.bytes as Uint8Array<ArrayBuffer>);
        if (op.bytes !== this.init) this.appendedAt = performance.now();
      }
    } catch (error) {
      // Full: this segment is let go (the trim makes room); anything else ends the sound.
      if (error instanceof DOMException && error.name === 'QuotaExceededError') this.pump();
      else this.failed(error);
    }
  };
}
