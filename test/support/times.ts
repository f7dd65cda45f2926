/** Unit times for tests that build access units by hand. */

/**
 * The times the hub gives a unit without source timestamps that arrived at `capturedAt`: pts and dts
 * its arrival in 90 kHz ticks, wallTime its arrival.
 */
export function arrivalTimes(capturedAt: number): { capturedAt: number; pts: number; dts: number; wallTime: number } {
  const ticks = Math.round(capturedAt * 90);
  return { capturedAt, pts: ticks, dts: ticks, wallTime: capturedAt };
}
