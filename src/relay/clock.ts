/**
 * The edge's clock as the hub sees it, so that a relayed unit's time is the
 * edge's capture time and the viewers' latency includes the uplink. The hub
 * pings (`ping` with its time t0), the edge answers at once (`pong` with t0
 * and its own time e), the hub reads the pong at t1: NTP's estimate with one
 * timestamp per side, offset = e − (t0 + t1) / 2 (edge minus hub), wrong by
 * at most half the round trip. Only the samples with the smallest round trips
 * of a recent window count (a pong that queued behind video says little): a
 * much tighter one replaces the estimate, comparable ones move it smoothly.
 *
 * toHub() maps an edge time to the hub's clock, bounded: never after the
 * unit's arrival here, never more than MAX_UPLINK_DELAY_MS before it. Without
 * any sample (an older edge that does not answer pings) it returns the arrival.
 */

/** Samples kept, newest last; the best (smallest round trip) of them sets the estimate. */
const WINDOW = 8;
/** Gain of the smoothing towards the best sample. */
const GAIN = 0.25;
/** A mapped time older than this before its arrival is taken as a clock problem, not as delay. */
export const MAX_UPLINK_DELAY_MS = 10_000;
/** A round trip longer than this gives no sample. */
const MAX_RTT_MS = 10_000;

export class EdgeClock {
  private readonly samples: { rtt: number; offset: number }[] = [];
  private estimate: number | undefined;
  /** The round trip of the sample the estimate follows, ms. */
  rttMs: number | undefined;

  /** Edge clock minus hub clock, ms; undefined until the first pong. */
  get offsetMs(): number | undefined {
    return this.estimate;
  }

  /** A pong: `sentAt` the hub's time in the ping, `edgeAt` the edge's answer, `now` the hub's time at receipt. */
  sample(sentAt: number, edgeAt: number, now: number): void {
    const rtt = now - sentAt;
    if (!(rtt >= 0 && rtt <= MAX_RTT_MS) || !Number.isFinite(edgeAt)) return;
    this.samples.push({ rtt, offset: edgeAt - (sentAt + now) / 2 });
    if (this.samples.length > WINDOW) this.samples.shift();
    let best = this.samples[0]!;
    for (const s of this.samples) if (s.rtt < best.rtt) best = s;
    // A much tighter sample than the one followed so far replaces it (its error bound is that much smaller);
    // comparable ones move the estimate smoothly.
    const jump = this.estimate === undefined || this.rttMs === undefined || best.rtt <= this.rttMs / 2;
    this.estimate = jump ? best.offset : this.estimate! + (best.offset - this.estimate!) * GAIN;
    this.rttMs = best.rtt;
  }

  /** A hub time on the edge's clock (as it is before any sample: the edge's events are taken so too). */
  toEdge(hubTime: number): number {
    return hubTime + (this.estimate ?? 0);
  }

  /**
   * An edge time of a unit from its pre-roll buffer, on the hub's clock: older than live ones may be, but
   * never before `oldest` nor after its arrival. Before any sample the edge's clock is taken as it is, as
   * its events' times are, so the two agree.
   */
  bufferedToHub(edgeTime: number, arrival: number, oldest: number): number {
    if (!Number.isFinite(edgeTime)) return arrival;
    const mapped = edgeTime - (this.estimate ?? 0);
    return Math.min(arrival, Math.max(oldest, mapped));
  }

  /** An edge time on the hub's clock; `arrival` is the hub's time now. */
  toHub(edgeTime: number, arrival: number): number {
    if (this.estimate === undefined || !Number.isFinite(edgeTime)) return arrival;
    const mapped = edgeTime - this.estimate;
    return Math.min(arrival, Math.max(arrival - MAX_UPLINK_DELAY_MS, mapped));
  }
}
