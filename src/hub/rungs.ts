/**
 * The smaller H.264 streams camrelay makes for slow links, below the camera's own picture (`main`):
 * `sub` (640 px wide, for links of a few hundred kbit/s) and `low` (320 px wide at 10 frames a second, for
 * links of about 256 kbit/s, which otherwise get keyframes only). Each is capped by its absolute default and
 * by the stream above it: a rung is never bigger than the one it stands in for, whatever the camera sends.
 *
 * Why these figures: a viewer moves up only to a stream that fits 1.4 times into what its link carries
 * (outputs/ws/adaptation.ts), so `low` at 150 kbit/s fits a 256 kbit/s link with room for acks and framing
 * (210 kbit/s), and at 320x180 and 10 fps it has about 1.9 KB a picture: a picture a moving person can be
 * told in, several times a second. Pure: no I/O.
 */
import type { Quality } from './consumer.js';

/** The qualities camrelay makes (the camera's own sub-stream, when it has one, stands for `sub`). */
export type RungQuality = Exclude<Quality, 'main'>;

export interface RungShape {
  /** At most this wide, the aspect kept. */
  maxWidth: number;
  /** At most this many pictures a second (undefined: the camera's rate). */
  maxFps?: number;
  /** kbit/s at most, whatever the stream above it. */
  kbps: number;
  /** At most this share of the stream above it. */
  share: number;
}

export const RUNGS: Readonly<Record<RungQuality, RungShape>> = {
  sub: { maxWidth: 640, kbps: 400, share: 0.5 },
  low: { maxWidth: 320, maxFps: 10, kbps: 150, share: 0.5 },
};

/** The order a slow link steps down in. */
export const QUALITIES: readonly Quality[] = ['main', 'sub', 'low'];

/** No rung is asked for less than this (kbit/s), unless the stream above is itself smaller. */
export const MIN_RUNG_KBPS = 24;

/** What the streams above a rung measured (kbit/s; undefined: not running, or not long enough to say). */
export interface Measured {
  main?: number | undefined;
  sub?: number | undefined;
}

/**
 * The bitrate to ask of a rung's encoder, kbit/s: its share of the stream above it (the measured one when
 * there is a measure, else the cap that stream would get itself), at most its absolute default, at least
 * MIN_RUNG_KBPS or the stream above, whichever is smaller. Never more than the stream above.
 */
export function rungKbps(quality: RungQuality, measured: Measured): number {
  const above = quality === 'sub' ? measured.main : Math.min(measured.sub ?? Infinity, rungKbps('sub', measured));
  const shape = RUNGS[quality];
  if (above === undefined || !Number.isFinite(above)) return shape.kbps;
  const floor = Math.min(MIN_RUNG_KBPS, above);
  return Math.round(Math.max(floor, Math.min(shape.kbps, above * shape.share)));
}

/** A running rung's encoder is restarted for a new bitrate only past these bounds (a restart costs a keyframe). */
const RETUNE_DOWN = 0.75;
const RETUNE_UP = 1.5;
/** ...and at most this often, unless it was started before anything above it was measured. */
export const RETUNE_MIN_MS = 30_000;

/**
 * Whether a running rung's encoder should start again at `wanted` kbit/s rather than keep `running`:
 * the stream above became known (it ran on the default until then), or moved well away, not lately.
 */
export function shouldRetune(running: number, wanted: number, sinceStartMs: number, startedMeasured: boolean): boolean {
  if (wanted >= running * RETUNE_DOWN && wanted <= running * RETUNE_UP) return false;
  return !startedMeasured || sinceStartMs >= RETUNE_MIN_MS;
}
