/** When an event starts and ends, and how much recording its clip covers around it. */
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

export const DEFAULT_TIMING: EventTiming = {
  minDurationMs: 1000,
  endAfterMs: 10_000,
  preRollMs: 5000,
  postRollMs: 5000,
};

/** The timing of a camera's `motion:` keys (seconds), defaults for those it does not give. */
export function eventTiming(motion?: {
  min_duration?: number | undefined;
  end_after?: number | undefined;
  pre_roll?: number | undefined;
  post_roll?: number | undefined;
}): EventTiming {
  const ms = (s: number | undefined, fallback: number): number => (s === undefined ? fallback : Math.round(s * 1000));
  return {
    minDurationMs: ms(motion?.min_duration, DEFAULT_TIMING.minDurationMs),
    endAfterMs: ms(motion?.end_after, DEFAULT_TIMING.endAfterMs),
    preRollMs: ms(motion?.pre_roll, DEFAULT_TIMING.preRollMs),
    postRollMs: ms(motion?.post_roll, DEFAULT_TIMING.postRollMs),
  };
}
