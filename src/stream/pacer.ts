/**
 * A send-rate limit under a receiver's own (the hub's frames-per-second limit on an edge's
 * uplink): `every` spaces single units evenly; `bucket` lets a group of pictures go in a burst
 * of up to `burst` units, refilled at `rate` per second.
 */
export interface Pacer {
  /** Ms to wait before the next unit may go (0: now). */
  wait(now: number): number;
  /** A unit went at `now`. */
  sent(now: number): void;
}

/** At most one unit per 1000/rate ms. */
export function everyPacer(rate: number): Pacer {
  const interval = 1000 / rate;
  let nextAt = 0;
  return {
    wait: (now) => Math.max(0, nextAt - now),
    sent: (now) => {
      nextAt = now + interval;
    },
  };
}

/** A token bucket of `burst` units refilled at `rate` units per second, full at the start. */
export function bucketPacer(rate: number, burst: number): Pacer {
  let tokens = burst;
  let tokensAt = performance.now();
  return {
    wait(now) {
      tokens = Math.min(burst, tokens + ((now - tokensAt) * rate) / 1000);
      tokensAt = now;
      return tokens >= 1 ? 0 : Math.ceil(((1 - tokens) * 1000) / rate);
    },
    sent: () => {
      tokens -= 1;
    },
  };
}
