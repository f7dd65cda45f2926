/** When an event starts and ends, and how much recording its clip covers around it (a camera's settled `motion:`). */
export interface EventTiming {
  /** Motion must last this long before an event starts (ms). */
  minDurationMs: number;
  /** The event ends after this long without motion (ms). */
  endAfterMs: number;
  /** The clip starts this long before the event (ms); a camera with `record: {mode: events}` keeps this much in memory. */
  preRollMs: number;
  /** The clip ends this long after the event (ms). */
  postRollMs: number;
}
