/**
 * Bounds the password checks running at once. A scrypt check takes tens of
 * milliseconds and 32 MiB in libuv's thread pool, which also serves file
 * reads: unbounded, a login flood takes the pool (and the memory) from every
 * other request. `concurrency` checks run, `queue` more wait their turn in
 * order, and beyond that a check is refused at once (the caller answers 503).
 */
export class HashQueue {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly concurrency: number,
    private readonly queue: number,
  ) {}

  /** Runs `work` when a slot is free; undefined, without running it, when the queue is full. */
  async run<T>(work: () => Promise<T>): Promise<T | undefined> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.queue) return undefined;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await work();
    } finally {
      // Hand the slot straight to the next in line, or free it.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
