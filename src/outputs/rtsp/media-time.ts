/**
 * A unit's presentation time in 90 kHz ticks, its RTP time before a session's random offset. The media
 * model's `pts` once it has one (the media-clock contract); until then, from the capture time.
 */
import type { AccessUnit } from '../../media/index.js';

export function videoTicks(unit: AccessUnit): number {
  const pts = (unit as { readonly pts?: number }).pts;
  return pts ?? Math.round(unit.capturedAt * 90);
}

/** Wall time of the unit (ms since the epoch), for RTCP: the model's `wallTime`, else the capture time. */
export function wallTimeOf(unit: AccessUnit): number {
  return (unit as { readonly wallTime?: number }).wallTime ?? unit.capturedAt;
}
