/**
 * The browser's wall clock, and the offset to the server's, estimated from
 * ping/pong round trips the way NTP does: for a ping sent at t0 (browser),
 * answered at S (server) and received at t1 (browser), the server's clock
 * read S about halfway through, so offset ≈ S − (t0 + t1) / 2, with an
 * error of at most half the round trip. Of the recent samples the one with
 * the shortest round trip is the most precise, so that one is used.
 */

/** Wall-clock time in ms since the epoch, sub-millisecond (monotonic within the page). */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

interface Sample {
  offset: number;
  rtt: number;
}

const KEEP_SAMPLES = 8;

export class ClockOffset {
  private readonly samples: Sample[] = [];

  /** Records the answer to a ping sent at `sentAt`, stamped `serverTime` by the server, received at `capturedAt`. */
  sample(sentAt: number, serverTime: number, capturedAt: number): void {
    const rtt = capturedAt - sentAt;
    if (!(rtt >= 0) || !Number.isFinite(serverTime)) return;
    this.samples.push({ offset: serverTime - (sentAt + capturedAt) / 2, rtt });
    // Old samples go: clocks drift, and the best sample must be a recent one.
    if (this.samples.length > KEEP_SAMPLES) this.samples.shift();
  }

  private best(): Sample | undefined {
    let best: Sample | undefined;
    for (const s of this.samples) if (!best || s.rtt < best.rtt) best = s;
    return best;
  }

  /** Server clock − browser clock in ms; undefined before the first pong. */
  get offsetMs(): number | undefined {
    return this.best()?.offset;
  }

  get rttMs(): number | undefined {
    return this.best()?.rtt;
  }

  /** Converts a server timestamp to the browser's clock. */
  toLocal(serverTime: number): number | undefined {
    const offset = this.offsetMs;
    return offset === undefined ? undefined : serverTime - offset;
  }
}
