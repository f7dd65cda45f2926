/**
 * Finding out what a camera sends: the codec of its first unit, and the two ways the rest of the app waits
 * for it. `known()` starts only the camera's source for it (the ws viewer, before it offers H.265);
 * `subscribeVideo()` puts a consumer on the camera's own video as it comes (the recorder). Both wait on the
 * h265 track, which nothing derives: subscribing to it runs the source and no transcoder.
 */
import type { Codec } from '../media/index.js';
import type { Consumer } from './consumer.js';

/** Adds a consumer of a codec's main track; returns the function that removes it. */
export type Subscribe = (consumer: Consumer, codec: Codec) => () => void;

export class NativeCodec {
  private value: Codec | undefined;
  /** Called when a unit tells the codec (or another one). */
  private readonly waiters = new Set<() => void>();

  constructor(private readonly subscribe: Subscribe) {}

  /** The codec the camera sends (undefined until its first unit). */
  get codec(): Codec | undefined {
    return this.value;
  }

  /** A unit of the camera's own said its codec. */
  learn(codec: Codec): void {
    if (this.value === codec) return;
    this.value = codec;
    for (const wake of [...this.waiters]) wake();
  }

  /**
   * The codec, starting the camera to find out if no unit has told yet: undefined if it does not say within
   * timeoutMs or the camera goes offline first. `canWait`: false when waiting is pointless (offline, closed).
   */
  async known(timeoutMs: number, canWait: boolean): Promise<Codec | undefined> {
    if (this.value || !canWait) return this.value;
    let wake = (): void => {};
    const told = new Promise<void>((resolve) => (wake = resolve));
    const waiting: Consumer = {
      onUnit: () => {},
      onStatus: (status) => {
        if (!status.online) wake();
      },
    };
    const unsubscribe = this.subscribe(waiting, 'h265');
    this.waiters.add(wake);
    const timer = setTimeout(wake, timeoutMs);
    try {
      await told;
    } finally {
      clearTimeout(timer);
      this.waiters.delete(wake);
      unsubscribe();
    }
    return this.value;
  }

  /**
   * Adds a consumer of the camera's own video as it comes: its H.264 or H.265 track (H.264 for a camera that
   * sends JPEG, encoded). Until the camera's first unit says which, the consumer waits on the h265 track; it
   * moves to the H.264 track then if the camera does not send H.265. Returns the function that removes it.
   */
  subscribeVideo(consumer: Consumer): () => void {
    const videoTrack = (): Codec => (this.value === 'h265' ? 'h265' : 'h264');
    if (this.value) return this.subscribe(consumer, videoTrack());
    let unsubscribe = this.subscribe(consumer, 'h265');
    const settle = (): void => {
      this.waiters.delete(settle);
      if (videoTrack() === 'h265') return;
      // Onto the H.264 track before leaving this one: the camera never sees a moment without demand.
      const leave = unsubscribe;
      unsubscribe = this.subscribe(consumer, 'h264');
      leave();
    };
    this.waiters.add(settle);
    return () => {
      this.waiters.delete(settle);
      unsubscribe();
    };
  }
}
