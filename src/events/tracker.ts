/**
 * One camera's events from its observations: an event starts once motion has lasted
 * `minDurationMs` (its start is when that motion began), and ends `endAfterMs` after the last
 * motion (its end is that last motion). In between, a higher peak or a new zone is an update, at
 * most one a second (a new zone at once). A pure state machine: the caller feeds it observations
 * and the clock (tick), and acts on what it returns.
 */
import type { MotionObservation } from './observation.js';
import type { EventTiming } from './timing.js';

export interface Episode {
  start: number;
  lastSeen: number;
  peak: number;
  /** When the peak was seen. */
  peakAt: number;
  zones: Set<string>;
}

export type TrackerStep =
  | { type: 'start'; episode: Episode }
  | { type: 'update'; episode: Episode; peakRaised: boolean }
  | { type: 'end'; episode: Episode; end: number };

/** An update for a peak this much higher than the last one told. */
const PEAK_STEP = 0.05;
const UPDATE_INTERVAL_MS = 1000;

export class EventTracker {
  /** Motion seen since, before an event starts. */
  private pending: Episode | undefined;
  private current: Episode | undefined;
  private toldPeak = 0;
  private toldAt = 0;
  private toldZones = 0;

  constructor(private readonly timing: EventTiming) {}

  get active(): Episode | undefined {
    return this.current;
  }

  observe(o: MotionObservation): TrackerStep[] {
    const steps: TrackerStep[] = [];
    const ended = this.tick(o.at);
    if (ended) steps.push(ended);
    if (!o.motion) {
      // Persistence is unbroken motion: a still picture before the start starts the count again.
      this.pending = undefined;
      return steps;
    }
    const score = Number.isFinite(o.score) ? Math.min(1, Math.max(0, o.score)) : 0;
    const current = this.current;
    if (current) {
      current.lastSeen = Math.max(current.lastSeen, o.at);
      const raised = score > current.peak;
      if (raised) [current.peak, current.peakAt] = [score, o.at];
      for (const z of o.zones) current.zones.add(z);
      const newZone = current.zones.size > this.toldZones;
      const due = o.at - this.toldAt >= UPDATE_INTERVAL_MS && current.peak >= this.toldPeak + PEAK_STEP;
      if (newZone || due) {
        this.told(current, o.at);
        steps.push({ type: 'update', episode: current, peakRaised: raised });
      }
      return steps;
    }
    const pending = (this.pending ??= { start: o.at, lastSeen: o.at, peak: 0, peakAt: o.at, zones: new Set() });
    pending.lastSeen = o.at;
    if (score > pending.peak) [pending.peak, pending.peakAt] = [score, o.at];
    for (const z of o.zones) pending.zones.add(z);
    if (o.at - pending.start >= this.timing.minDurationMs) {
      this.current = pending;
      this.pending = undefined;
      this.told(pending, o.at);
      steps.push({ type: 'start', episode: pending });
    }
    return steps;
  }

  /** The clock: ends the event once `endAfterMs` passed without motion. */
  tick(now: number): TrackerStep | undefined {
    const current = this.current;
    if (!current || now - current.lastSeen < this.timing.endAfterMs) return undefined;
    this.current = undefined;
    return { type: 'end', episode: current, end: current.lastSeen };
  }

  /** Ends the event now (the camera goes away, the server stops). */
  finish(): TrackerStep | undefined {
    const current = this.current;
    this.current = undefined;
    this.pending = undefined;
    return current ? { type: 'end', episode: current, end: current.lastSeen } : undefined;
  }

  private told(e: Episode, at: number): void {
    this.toldPeak = e.peak;
    this.toldAt = at;
    this.toldZones = e.zones.size;
  }
}
