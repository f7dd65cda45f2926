/**
 * The password checks' queue. A scrypt check takes tens of milliseconds and
 * 32 MiB in libuv's thread pool, which also serves file reads: unbounded, a
 * login flood takes the pool (and the memory) from every other request. So
 * `concurrency` checks run and `queue` more wait; beyond that a check is
 * refused at once (the caller answers 503).
 *
 * Shared by everyone on a first-come basis, the queue would be full whenever a
 * flood keeps it full, and the owner's own login refused with the flood. So it
 * is a FairQueue keyed by the sender's network (network-prefix.ts): one
 * network holds at most `share` waiting places (a quarter of the queue); a full
 * queue takes a network holding fewer places in the place of the newest check
 * of the network holding the most; and waiting checks are served one network
 * at a time in turn. A client of another network thus always gets a place,
 * unless `queue` different networks each hold one.
 */
import { FairQueue } from '../fair-queue.js';

export class HashQueue {
  private readonly slots: FairQueue;
  /** The most waiting places one network may hold. */
  readonly share: number;

  constructor(concurrency: number, queue: number, share = Math.max(1, Math.ceil(queue / 4))) {
    this.share = share;
    this.slots = new FairQueue({ concurrency, perClient: share, total: queue, displace: true });
  }

  /** Runs `work` when a slot is free; undefined, without running it, when `sender` gets no place. */
  async run<T>(sender: string, work: () => Promise<T>): Promise<T | undefined> {
    const release = await this.slots.enter(sender);
    if (typeof release !== 'function') return undefined;
    try {
      return await work();
    } finally {
      release();
    }
  }
}
