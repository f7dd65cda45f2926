/**
 * Bounds the password checks running at once, fairly between senders. A
 * scrypt check takes tens of milliseconds and 32 MiB in libuv's thread pool,
 * which also serves file reads: unbounded, a login flood takes the pool (and
 * the memory) from every other request. `concurrency` checks run and `queue`
 * more wait; beyond that a check is refused at once (the caller answers 503).
 *
 * Shared by everyone, a plain first-come queue is full whenever a flood keeps
 * it full, and the owner's own login is refused with the flood. So the queue
 * is fair between senders (a sender is a key: client-prefix.ts's share
 * prefix): one sender holds at most `share` waiting places; when the queue is
 * full, a sender with fewer places takes one from the sender holding the most
 * (its newest check is refused instead); and waiting checks are served round
 * robin, one per sender in turn. A flood from one network thus holds a share
 * of the queue and no more, and a client of another network always gets a
 * place, unless `queue` different networks each hold one.
 */

type Waiter = (admitted: boolean) => void;

export class HashQueue {
  private running = 0;
  private waitingCount = 0;
  /** Waiting checks by sender; the first sender in the map is served next (round robin). */
  private readonly waiting = new Map<string, Waiter[]>();
  /** The most waiting places one sender may hold. */
  readonly share: number;

  constructor(
    private readonly concurrency: number,
    private readonly queue: number,
    share = Math.max(1, Math.ceil(queue / 4)),
  ) {
    this.share = share;
  }

  /** Runs `work` when a slot is free; undefined, without running it, when `sender` gets no place. */
  async run<T>(sender: string, work: () => Promise<T>): Promise<T | undefined> {
    if (this.running >= this.concurrency) {
      if (!(await this.wait(sender))) return undefined;
    } else {
      this.running++;
    }
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  /** Resolves true when the sender's check may run (it has a slot), false when it is refused. */
  private wait(sender: string): Promise<boolean> {
    const mine = this.waiting.get(sender);
    const held = mine?.length ?? 0;
    if (held >= this.share) return Promise.resolve(false);
    if (this.waitingCount >= this.queue && !this.displace(held)) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const list = this.waiting.get(sender);
      if (list) list.push(resolve);
      else this.waiting.set(sender, [resolve]);
      this.waitingCount++;
    });
  }

  /**
   * Frees a place for a sender that holds `held`: the sender holding the most gives up its newest,
   * if it holds at least two more (max-min fairness: places never go from a poorer to a richer sender).
   */
  private displace(held: number): boolean {
    let richest: [string, Waiter[]] | undefined;
    for (const entry of this.waiting) if (!richest || entry[1].length > richest[1].length) richest = entry;
    if (!richest || richest[1].length < held + 2) return false;
    const [sender, list] = richest;
    const refused = list.pop()!;
    if (!list.length) this.waiting.delete(sender);
    this.waitingCount--;
    refused(false);
    return true;
  }

  /** Hands the slot to the next sender's oldest check, that sender going to the back of the round, or frees it. */
  private release(): void {
    const next = this.waiting.entries().next();
    if (next.done) {
      this.running--;
      return;
    }
    const [sender, list] = next.value;
    const admitted = list.shift()!;
    this.waiting.delete(sender);
    if (list.length) this.waiting.set(sender, list);
    this.waitingCount--;
    admitted(true);
  }
}
