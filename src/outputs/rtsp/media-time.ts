/** A unit's RTP time before a session's random offset (its pts), and its wall time for RTCP (media model). */
import type { AccessUnit } from '../../media/index.js';

/** Presentation time in the track's clock ticks (90 kHz for video). */
export function videoTicks(unit: AccessUnit): number {
  return unit.pts;
}

/** Wall time of the unit's media time (ms since the epoch): what a sender report ties its RTP time to. */
export function wallTimeOf(unit: AccessUnit): number {
  return unit.wallTime;
}
