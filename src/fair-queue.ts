/**
 * Slots for costly work (an export's plan, a thumbnail's ffmpeg, a password hash), shared fairly
 * between clients: `concurrency` run at once, and those that wait are served one client after
 * another (round robin), so a client that asks a hundred times waits behind its own requests, not in
 * front of everyone else's. A client may keep at most `perClient` waiting, and `total` wait in all;
 * beyond that a request is refused at once. With `displace`, a full queue still takes a client
 * holding fewer places than another: the client holding the most gives up its newest waiter
 * (refused, 'full'), if it holds at least two more (places never go from a poorer client to a
 * richer one), so a flood from a few clients cannot keep everyone else out. Imports nothing.
 */

export interface FairQueueLimits {
  concurrency: number;
  /** Waiting per client at most. */
  perClient: number;
  /** Waiting in all at most. */
  total: number;
  /** A full queue gives a client with fewer waiting the place of the newest waiter of the client with the most. */
  displace?: boolean;
}

/** Why `enter` refused: the client has too many waiting, or everyone has. */
export type FairQueueRefusal = 'client' | 'full';

export class FairQueue {
  private running = 0;
  private waiting = 0;
  /** Per client, its waiters in order; the map's order is the round robin's. */
  private readonly queues = new Map<string, ((admitted: boolean) => void)[]>();

  constructor(private readonly limits: FairQueueLimits) {}

  /** Waiters now, for tests and metrics. */
  get waitingCount(): number {
    return this.waiting;
  }

  /**
   * A slot for `client`: resolves to a release function once the work may run, or to a refusal at
   * once when the client or the queue is full. The release must be called exactly once.
   */
  async enter(client: string): Promise<(() => void) | FairQueueRefusal> {
    if (this.running < this.limits.concurrency && this.waiting === 0) {
      this.running++;
      return this.releaser();
    }
    const held = this.queues.get(client)?.length ?? 0;
    if (held >= this.limits.perClient) return 'client';
    if (this.waiting >= this.limits.total && !(this.limits.displace && this.displace(held))) return 'full';
    const admitted = await new Promise<boolean>((resolve) => {
      const mine = this.queues.get(client);
      if (mine) mine.push(resolve);
      else this.queues.set(client, [resolve]);
      this.waiting++;
    });
    return admitted ? this.releaser() : 'full';
  }

  /** Frees a place for a client holding `held`: the newest waiter of the client holding the most, if that is `held` + 2 or more. */
  private displace(held: number): boolean {
    let richest: [string, ((admitted: boolean) => void)[]] | undefined;
    for (const entry of this.queues) if (!richest || entry[1].length > richest[1].length) richest = entry;
    if (!richest || richest[1].length < held + 2) return false;
    const [client, waiters] = richest;
    const refused = waiters.pop()!;
    if (!waiters.length) this.queues.delete(client);
    this.waiting--;
    refused(false);
    return true;
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.handOver();
    };
  }

  /** The slot goes to the next client in turn (its oldest waiter), who then moves to the back. */
  private handOver(): void {
    const next = this.queues.entries().next().value;
    if (!next) {
      this.running--;
      return;
    }
    const [client, waiters] = next;
    const resolve = waiters.shift()!;
    this.queues.delete(client);
    if (waiters.length) this.queues.set(client, waiters);
    this.waiting--;
    resolve(true);
  }
}
