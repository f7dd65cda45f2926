/**
 * Which H.264 quality an adaptive viewer (`?quality=auto`) should get, from what its acks tell of its
 * link, down the ladder `main` (the camera's picture), `sub` (the smaller sub-stream), `low` (smaller
 * still, fewer pictures a second: src/hub/rungs.ts), `keyframes` (the sub-stream's keyframes only); a
 * level the camera cannot make is left out of its viewer's ladder. Pure: the viewer feeds it samples with their time (performance.now()), it answers with a
 * new level when one is due; the switch itself waits for a keyframe of the target (viewer.ts).
 *
 * - Congestion: a keyframe skip, or the oldest unit not yet acknowledged (sent, or still in the viewer's
 *   queue) waiting longer than the link's own round trip plus QUEUE_DELAY_MS on two evaluations in a row
 *   (or plus twice that once). It moves the viewer down at once, to the level the link carried while
 *   congested (one level down, or further when even that does not fit).
 * - Capacity: the larger of the goodput (bytes acknowledged per second, over the last two seconds) and a
 *   burst rate (a big unit's bytes over the time its ack took beyond the smallest round trip of small
 *   units, that round trip taken as at most a quarter of it), the largest of the last few seconds. While the viewer is held back to a lower level its goodput is what it is
 *   sent, so the burst rate is what shows a link that recovered.
 * - After a move down, DOWN_SETTLE_MS for it to take effect (the target's keyframe, the old units still in
 *   flight) before delay counts as congestion again.
 * - Up: only after UP_HOLD_MS without congestion, and only to a level whose bitrate fits UP_MARGIN times
 *   into the capacity for UP_CONFIRM_MS (the highest such level, so a recovered link goes back to main in
 *   one step). A move
 *   up that meets congestion within FAILED_UP_MS doubles the hold (at most MAX_UP_HOLD_MS); a move up that
 *   holds resets it. That is the hysteresis: down on delay, up on a margin of measured capacity.
 * - Probe: what a viewer is given may say nothing of its link. On keyframes of a quiet camera (a 1 KB
 *   keyframe every 2 s) the goodput is the stream's, not the link's, and no unit is big enough for a burst
 *   rate. With no burst rate measured in BURST_WINDOW_MS, a link whose delay stayed calm (never uneasy)
 *   for CALM_MS after the hold is tried with the highest level whose stream is small enough for a failed
 *   try to cost little (PROBE_KBPS, or PROBE_FACTOR times the capacity known), else the next level up:
 *   a quiet camera's main at once, a 2 Mbit/s main one level at a time. A try that meets congestion goes
 *   back where it came from and doubles the hold, as any failed move up.
 * - Rates: a sub-stream is never taken as bigger than main, and the first rate a stream reports replaces the
 *   defaults at once (a camera of 100 kbit/s is not judged against a 2 Mbit/s default while it settles).
 * - Start: the first DOWN_SETTLE_MS are settling too: the catch-up (the current GOP, at once) waits in the
 *   queue while the window drains it, which is the sender's own burst, not the link's delay.
 *
 * Bounded state: a few numbers and a fixed ring of goodput samples; nothing is allocated per sample.
 */

export type Level = 'main' | 'sub' | 'low' | 'keyframes';

/** Every level, best first. */
export const LADDER: readonly Level[] = ['main', 'sub', 'low', 'keyframes'];

/** Evaluations happen at most this often (the viewer calls in from its unit and ack paths). */
export const EVALUATE_MS = 250;
/** Queueing delay beyond the smallest round trip that counts as congestion. */
export const QUEUE_DELAY_MS = 300;
export const UP_HOLD_MS = 4000;
export const MAX_UP_HOLD_MS = 8000;
export const FAILED_UP_MS = 5000;
export const UP_CONFIRM_MS = 1000;
export const DOWN_SETTLE_MS = 1500;
/** The capacity must exceed the target's bitrate by this factor to move up; by DOWN_MARGIN to stay above keyframes. */
export const UP_MARGIN = 1.4;
export const DOWN_MARGIN = 1.15;
/** Burst-rate samples are kept this long. */
const BURST_WINDOW_MS = 5000;
/** Smaller acknowledged batches say more of the round trip than of the link's rate. */
const BURST_MIN_BYTES = 6000;
/** Acks of at most this many bytes are round-trip samples. */
const RTT_MAX_BYTES = 3000;
const GOODPUT_SLOTS = 9; // 2 s of EVALUATE_MS samples, plus one
/** A probe (see above) waits for this long without an uneasy evaluation. */
export const CALM_MS = 2000;
/** A probe tries a stream of at most this (kbit/s), or PROBE_FACTOR times the capacity known, whichever is more. */
export const PROBE_KBPS = 300;
export const PROBE_FACTOR = 3;

export interface LinkSample {
  /** performance.now(). */
  now: number;
  /** Cumulative bytes acknowledged. */
  ackedBytes: number;
  /** Cumulative keyframe skips of the viewer's queue. */
  keyframeSkips: number;
  /** How long the oldest unit not yet acknowledged has waited, sent or still queued (0 when none). */
  oldestUnackedMs: number;
}

export interface Rates {
  /** kbit/s of the main, sub and low streams now (0 when unknown). */
  mainKbps: number;
  subKbps: number;
  lowKbps?: number;
}

const DEFAULT_MAIN_KBPS = 2000;
const DEFAULT_SUB_KBPS = 400;
const DEFAULT_LOW_KBPS = 150;

export class QualityController {
  level: Level;
  private lastEval = -Infinity;
  private lastSkips = 0;
  private congestedEvals = 0;
  private lastCongestionAt: number;
  private upHoldMs = UP_HOLD_MS;
  /** When the last move up was decided (NaN: none pending judgement). */
  private upAt = NaN;
  /** Where the last move up came from: a failed one goes back there. */
  private upFrom: Level = 'keyframes';
  private downAt = -Infinity;
  /** The first congested evaluation of a run of them, and the bytes acknowledged then. */
  private congestionAt = 0;
  private congestionAcked = 0;
  /** Since when the capacity has fitted a level above the current one (NaN: it does not). */
  private fitSince = NaN;
  // Goodput ring: acked bytes at each evaluation.
  private readonly ringBytes = new Float64Array(GOODPUT_SLOTS);
  private readonly ringAt = new Float64Array(GOODPUT_SLOTS);
  private ringHead = 0;
  private ringCount = 0;
  // Burst rate: the largest sample (kbit/s) of the current and the previous window.
  private burstNow = 0;
  private burstPrev = 0;
  private burstWindowStart: number;
  private minRttMs = Infinity;
  private minRttNext = Infinity;
  private minRttWindowStart: number;
  /** Smoothed stream rates, so a keyframe's second does not decide alone. */
  private mainKbps = DEFAULT_MAIN_KBPS;
  private subKbps = DEFAULT_SUB_KBPS;
  private lowKbps = DEFAULT_LOW_KBPS;
  private mainKnown = false;
  private subKnown = false;
  private lowKnown = false;
  /** The last evaluation that found the link uneasy. */
  private uneasyAt: number;
  /** The latest capacity estimate, kbit/s (for the statistics). */
  capacityKbps = 0;
  goodputKbps = 0;
  /**
   * The last evaluation saw units wait longer than half the congestion threshold, or a skip: a move down may
   * follow (the viewer can get the lower stream ready, so that the move waits less).
   */
  uneasy = false;

  /** `levels`: the viewer's ladder, best first (main and keyframes always; sub and low when the camera makes them). */
  constructor(
    start: Level,
    now: number,
    private readonly levels: readonly Level[] = ['main', 'sub', 'keyframes'],
  ) {
    this.level = start;
    this.lastCongestionAt = now;
    this.uneasyAt = now;
    this.downAt = now; // the catch-up: see "Start" above
    this.burstWindowStart = now;
    this.minRttWindowStart = now;
  }

  /**
   * A round-trip sample from an ack (ms) that freed `bytes`. Only small units say what the path's own round
   * trip is (a big one adds the time the link takes to carry it): the others are not learnt.
   */
  rtt(ms: number, now: number, bytes = 0): void {
    if (bytes < RTT_MAX_BYTES) {
      if (ms < this.minRttNext) this.minRttNext = ms;
      if (ms < this.minRttMs) this.minRttMs = ms;
    }
    // The smallest round trip of the last 10 to 20 s: a route that changed is learnt again (kept when the last
    // window had no small unit to learn from, as while only keyframes are sent).
    if (now - this.minRttWindowStart > 10_000) {
      if (Number.isFinite(this.minRttNext)) this.minRttMs = this.minRttNext;
      this.minRttNext = Infinity;
      this.minRttWindowStart = now;
    }
  }

  /** An ack freed `bytes`, the oldest of them sent `elapsedMs` ago: a burst-rate sample when big enough. */
  burst(bytes: number, elapsedMs: number, now: number): void {
    if (bytes < BURST_MIN_BYTES) return;
    // The path's round trip is not the link's transfer time; at most a quarter of the time is taken for it, so
    // a round trip measured too long (a small unit queued behind a big one) overestimates by a third at most.
    const floor = Number.isFinite(this.minRttMs) ? Math.min(this.minRttMs, elapsedMs / 4) : 0;
    const kbps = (bytes * 8) / Math.max(2, elapsedMs - floor);
    this.rotateBurst(now);
    if (kbps > this.burstNow) this.burstNow = kbps;
  }

  /** Evaluates at most every EVALUATE_MS; returns the new level when the viewer should move. */
  update(sample: LinkSample, rates: Rates): Level | undefined {
    const now = sample.now;
    if (now - this.lastEval < EVALUATE_MS) return undefined;
    this.lastEval = now;
    if (rates.mainKbps > 0) {
      this.mainKbps = this.mainKnown ? this.mainKbps + (rates.mainKbps - this.mainKbps) / 4 : rates.mainKbps;
      this.mainKnown = true;
    }
    if (rates.subKbps > 0) {
      this.subKbps = this.subKnown ? this.subKbps + (rates.subKbps - this.subKbps) / 4 : rates.subKbps;
      this.subKnown = true;
    }
    const low = rates.lowKbps ?? 0;
    if (low > 0) {
      this.lowKbps = this.lowKnown ? this.lowKbps + (low - this.lowKbps) / 4 : low;
      this.lowKnown = true;
    }
    this.goodputKbps = this.goodput(sample);
    this.rotateBurst(now);
    this.capacityKbps = Math.max(this.goodputKbps, this.burstNow, this.burstPrev);

    const skipped = sample.keyframeSkips > this.lastSkips;
    this.lastSkips = sample.keyframeSkips;
    const floor = Number.isFinite(this.minRttMs) ? this.minRttMs : 0;
    const settling = now - this.downAt < DOWN_SETTLE_MS;
    const queued = sample.oldestUnackedMs - floor;
    const delayed = !settling && queued > QUEUE_DELAY_MS;
    this.uneasy = skipped || queued > QUEUE_DELAY_MS / 2;
    if (this.uneasy) this.uneasyAt = now;
    this.congestedEvals = skipped || delayed ? this.congestedEvals + 1 : 0;
    if (this.congestedEvals === 1) {
      this.congestionAt = now;
      this.congestionAcked = sample.ackedBytes;
    }
    // Twice over the threshold, or over it twice in a row: congested.
    const badly = delayed && queued > 2 * QUEUE_DELAY_MS;
    if ((skipped && !settling) || badly || this.congestedEvals >= 2) return this.congested(sample);

    if (!Number.isNaN(this.upAt) && now - this.upAt > FAILED_UP_MS) {
      this.upAt = NaN;
      this.upHoldMs = UP_HOLD_MS; // the move up held
    }
    const probe = this.probeDue(now);
    if (probe !== undefined) {
      this.fitSince = NaN;
      this.upFrom = this.level;
      this.upAt = now;
      this.lastCongestionAt = now;
      return this.set(probe);
    }
    const target = this.fits(UP_MARGIN);
    if (rank(target) <= rank(this.level)) {
      this.fitSince = NaN;
      return undefined;
    }
    if (Number.isNaN(this.fitSince)) this.fitSince = now;
    if (now - this.fitSince < UP_CONFIRM_MS || now - this.lastCongestionAt < this.upHoldMs) return undefined;
    this.fitSince = NaN;
    this.upFrom = this.level;
    this.upAt = now;
    this.lastCongestionAt = now; // the next move up waits a hold again
    return this.set(target);
  }

  private congested(sample: LinkSample): Level | undefined {
    const now = sample.now;
    // The link was full since congestion began: what it carried since is its rate (a burst measured before
    // it fell, or a goodput over seconds when it was fast, no longer is).
    const span = now - this.congestionAt;
    this.capacityKbps =
      this.congestedEvals >= 2 && span > 0
        ? ((sample.ackedBytes - this.congestionAcked) * 8) / span
        : Math.min(this.goodputKbps, this.recentGoodput(sample));
    this.congestedEvals = 0;
    this.lastCongestionAt = now;
    const failedUp = !Number.isNaN(this.upAt) && now - this.upAt <= FAILED_UP_MS;
    if (failedUp) this.upHoldMs = Math.min(MAX_UP_HOLD_MS, this.upHoldMs * 2);
    this.upAt = NaN;
    this.fitSince = NaN;
    if (this.level === 'keyframes') return undefined;
    this.downAt = now;
    // What the link carried while congested is its capacity; one level down at least.
    const fit = this.fits(DOWN_MARGIN);
    const below = this.levels[this.levels.indexOf(this.level) + 1] ?? 'keyframes';
    // A move up that failed goes back at least to where it came from (that level was carried; what the link
    // carried while the higher stream's first units filled it says little of what it carries steadily).
    const next = rank(fit) < rank(below) ? fit : below;
    const target =
      failedUp && rank(this.upFrom) > rank(next) && rank(this.upFrom) < rank(this.level) ? this.upFrom : next;
    // A burst measured before the link fell is no longer true.
    this.burstNow = 0;
    this.burstPrev = 0;
    return this.set(target);
  }

  /** The highest level of the ladder whose stream fits `margin` times into the capacity. */
  private fits(margin: number): Level {
    for (const level of this.levels) if (this.capacityKbps >= this.kbpsOf(level) * margin) return level;
    return 'keyframes';
  }

  /** A level's bitrate: a rung is never bigger than the one above it (one not running yet reports nothing). */
  private kbpsOf(level: Level): number {
    const sub = Math.min(this.subKbps, this.mainKbps);
    return level === 'main' ? this.mainKbps : level === 'sub' ? sub : level === 'low' ? Math.min(this.lowKbps, sub) : 0;
  }

  /**
   * No burst rate says what the link carries, and it has been calm past the hold: the level to try, the
   * highest whose stream is small enough for a failed try to cost little (PROBE_KBPS, or PROBE_FACTOR times
   * what the link is known to carry). Undefined: none due.
   */
  private probeDue(now: number): Level | undefined {
    if (this.level === 'main' || this.burstNow > 0 || this.burstPrev > 0) return undefined;
    if (now - this.lastCongestionAt < this.upHoldMs || now - this.uneasyAt < CALM_MS) return undefined;
    const budget = Math.max(PROBE_KBPS, PROBE_FACTOR * this.capacityKbps);
    const above = this.levels.filter((level) => rank(level) > rank(this.level));
    for (const level of above) if (this.kbpsOf(level) <= budget) return level;
    // Nothing that cheap: the next level up all the same (its units may be the first big enough to measure
    // the link), else a viewer on small units would stay there on any link.
    return above.at(-1);
  }

  private set(level: Level): Level {
    this.level = level;
    return level;
  }

  /** Goodput over the last second. */
  private recentGoodput(sample: LinkSample): number {
    const back = Math.min(this.ringCount - 1, Math.round(1000 / EVALUATE_MS));
    if (back < 1) return 0;
    const i = (this.ringHead + this.ringCount - 1 - back) % GOODPUT_SLOTS;
    const dt = sample.now - this.ringAt[i]!;
    return dt > 0 ? ((sample.ackedBytes - this.ringBytes[i]!) * 8) / dt : 0;
  }

  private goodput(sample: LinkSample): number {
    const i = (this.ringHead + this.ringCount) % GOODPUT_SLOTS;
    this.ringBytes[i] = sample.ackedBytes;
    this.ringAt[i] = sample.now;
    if (this.ringCount < GOODPUT_SLOTS) this.ringCount++;
    else this.ringHead = (this.ringHead + 1) % GOODPUT_SLOTS;
    const oldest = this.ringHead;
    const dt = sample.now - this.ringAt[oldest]!;
    if (this.ringCount < 2 || dt <= 0) return 0;
    return ((sample.ackedBytes - this.ringBytes[oldest]!) * 8) / dt; // bytes/ms × 8 = kbit/s
  }

  private rotateBurst(now: number): void {
    if (now - this.burstWindowStart < BURST_WINDOW_MS / 2) return;
    this.burstPrev = now - this.burstWindowStart < BURST_WINDOW_MS ? this.burstNow : 0;
    this.burstNow = 0;
    this.burstWindowStart = now;
  }
}

/** Higher is better. */
export function rank(level: Level): number {
  return LADDER.length - 1 - LADDER.indexOf(level);
}
