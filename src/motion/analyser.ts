/**
 * The motion analysis of one camera's small grey pictures, one after the other (README.md, "How it
 * decides"). Every buffer is allocated once, at the analysed size; a picture costs a dozen passes over
 * its pixels and no allocation.
 *
 * Per picture (the steps' own files say more):
 * 1. blur (a 3x3 box, pixel-filters.ts): sensor noise and compression blocks averaged away;
 * 2. the picture's tone curve (tone-curve.ts) against the background (the median level, in this picture, of the pixels
 *    of each band of background levels): an exposure step, a light switched, IR-cut's flatter curve,
 *    dusk falling change every pixel of a level alike and leave no residual; the residual (the picture
 *    less the background through that curve) is what changed in places. The curve is fitted on the
 *    pixels that had not changed in the picture before: what moves must not bend it;
 * 3. a pixel has changed when its residual is over the threshold, raised to a multiple of the picture's
 *    median residual (its noise, followed over time) on a noisy picture;
 * 4. more than GLOBAL_SHARE of the counted pixels changed at once: a global change (a light switched,
 *    IR-cut, auto exposure hunting) that the fit could not follow: the background is taken again from
 *    this picture and nothing counts for a moment (RECALIBRATE_MS) while the camera settles;
 * 5. despeckle (pixel-filters.ts): a changed pixel with fewer than DESPECKLE_MIN changed pixels in its 3x3 neighbourhood is
 *    dropped (rain, snow, noise come as isolated pixels);
 * 6. regions (8-connected, regions.ts) smaller than min_area are dropped; the rest is the picture's motion, its
 *    share of the counted pixels the score, the include zones its pixels lie in the zones touched;
 * 7. the picture counts as motion when one of its regions lies near one of the picture before
 *    (persistence: a glitch, rain drops, never fire: they come somewhere else each time);
 * 8. the background follows each picture (quickly where nothing moves, slowly where something does, so
 *    that a parked car becomes background in a minute): clouds and dusk never pile up as a difference.
 */
import type { MotionZone } from './config.js';
import { zoneMask, type ZoneMask } from './zone-mask.js';
import { MASK_FILTERED, MASK_MOTION, MASK_STILL } from './motion-mask.js';
import { boxBlur, despeckle } from './pixel-filters.js';
import { ToneCurve } from './tone-curve.js';
import { RegionFinder } from './regions.js';

export interface AnalyserOptions {
  width: number;
  height: number;
  /** Pictures a second (the background's pace is set in seconds, whatever the rate). */
  fps: number;
  /** Grey-level change a pixel needs (0-255). */
  threshold: number;
  /** Smallest region, as a share of the counted pixels. */
  minArea: number;
  zones: readonly MotionZone[];
}

export interface FrameAnalysis {
  /** Share of the counted pixels in moving regions, after every filter (0-1). */
  score: number;
  /** Include zones the moving regions touch. */
  zones: string[];
  /** This picture counts as motion: regions above min_area, one near a region of the picture before, no global change. */
  motion: boolean;
  /** Share of the counted pixels changed before despeckle and area (what a global change is judged on). */
  changed: number;
  /** A global change: the background was taken again and nothing counts for a moment. */
  calibrating: boolean;
}

/** More than this share of the counted pixels changing at once is a global change. */
export const GLOBAL_SHARE = 0.35;
/** After a global change, how long nothing counts while the camera settles (its exposure, its white balance). */
export const RECALIBRATE_MS = 1500;
/** A changed pixel is kept when at least this many of its 3x3 neighbourhood (itself included) changed. */
const DESPECKLE_MIN = 4;
/** The threshold is at least this multiple of the median residual (the picture's noise). */
const NOISE_FACTOR = 4;
/** Seconds for the background to take in half of a lasting change where nothing moves, and where something does. */
const STILL_HALF_LIFE_S = 1.5;
const MOVING_HALF_LIFE_S = 30;
/** Smallest region counted, in pixels, whatever min_area says. */
const MIN_REGION_PIXELS = 4;

export class MotionAnalyser {
  readonly width: number;
  readonly height: number;
  /** The last picture's motion, per pixel: MASK_STILL, MASK_FILTERED or MASK_MOTION. */
  readonly mask: Uint8Array;
  readonly zones: ZoneMask;
  private readonly options: AnalyserOptions;
  private readonly blurred: Uint8Array;
  private readonly temp: Uint16Array;
  private readonly background: Float32Array;
  private readonly changedMap: Uint8Array;
  private readonly histogram = new Uint32Array(256);
  private readonly toneCurve = new ToneCurve();
  private readonly regions: RegionFinder;
  private readonly stillRate: number;
  private readonly movingRate: number;
  private readonly settleFrames: number;
  private hasBackground = false;
  /** Pictures left during which nothing counts (after a global change, and the first pictures). */
  private settling = 0;
  private noise = 0;
  /** The picture before was a global change (its mask, most of the picture, says nothing of what moves). */
  private previousGlobal = false;

  constructor(options: AnalyserOptions) {
    const { width, height } = options;
    if (width < 8 || height < 8) throw new Error(`motion analysis needs at least 8x8 pixels, got ${width}x${height}`);
    this.options = options;
    this.width = width;
    this.height = height;
    const n = width * height;
    this.mask = new Uint8Array(n);
    this.blurred = new Uint8Array(n);
    this.temp = new Uint16Array(n);
    this.background = new Float32Array(n);
    this.changedMap = new Uint8Array(n);
    this.regions = new RegionFinder(width, height);
    this.zones = zoneMask(width, height, options.zones);
    this.stillRate = 1 - Math.pow(0.5, 1 / (STILL_HALF_LIFE_S * options.fps));
    this.movingRate = 1 - Math.pow(0.5, 1 / (MOVING_HALF_LIFE_S * options.fps));
    this.settleFrames = Math.max(1, Math.ceil((RECALIBRATE_MS / 1000) * options.fps));
  }

  /** One grey picture of width x height bytes (row after row). */
  analyse(gray: Uint8Array): FrameAnalysis {
    const n = this.width * this.height;
    if (gray.length < n) throw new Error(`expected ${n} bytes of grey picture, got ${gray.length}`);
    boxBlur(gray, this.blurred, this.temp, this.width, this.height);
    const blurred = this.blurred;
    const background = this.background;
    const mask = this.mask;
    if (!this.hasBackground) {
      mask.fill(MASK_STILL);
      for (let i = 0; i < n; i++) background[i] = blurred[i]!;
      this.hasBackground = true;
      this.settling = 1;
      return this.quiet(0, false);
    }
    const counted = this.zones.counted;
    const countedPixels = this.zones.countedPixels;
    if (countedPixels === 0) {
      mask.fill(MASK_STILL);
      return this.quiet(0, false);
    }

    // 2. the tone curve from the background to this picture, fitted before the mask is cleared: the
    // pixels that changed in the picture before are left out of it.
    const samples = this.toneCurve.fit(
      { background, picture: blurred, counted, countedPixels, mask },
      this.previousGlobal,
    );
    mask.fill(MASK_STILL);
    this.previousGlobal = false;
    if (samples === 0) return this.quiet(0, false);
    const curve = this.toneCurve.levels;

    // 3. residuals against a threshold raised by the noise measured so far (the median residual, which
    // moves slowly: one pass does both), and their histogram for the next picture's noise.
    const histogram = this.histogram;
    const changedMap = this.changedMap;
    histogram.fill(0);
    const threshold = Math.max(this.options.threshold, Math.ceil(NOISE_FACTOR * this.noise));
    let changed = 0;
    let sampled = 0;
    for (let i = 0; i < n; i++) {
      if (counted[i] === 0) {
        changedMap[i] = 0;
        continue;
      }
      let d = blurred[i]! - curve[background[i]! | 0]!;
      if (d < 0) d = -d;
      const r = d > 255 ? 255 : d | 0;
      // One pixel in four for the noise's median: plenty, and a quarter of the counting.
      if ((i & 3) === 0) {
        histogram[r]!++;
        sampled++;
      }
      const c = r > threshold ? 1 : 0;
      changedMap[i] = c;
      changed += c;
    }
    const changedShare = changed / countedPixels;

    // 4. a global change: start again from this picture.
    if (changedShare > GLOBAL_SHARE) {
      for (let i = 0; i < n; i++) {
        background[i] = blurred[i]!;
        if (changedMap[i] === 1) mask[i] = MASK_FILTERED;
      }
      this.settling = this.settleFrames;
      this.previousGlobal = true;
      return this.quiet(changedShare, true);
    }
    const median = this.percentile(sampled / 2);
    this.noise = this.noise === 0 ? median : this.noise + 0.2 * (median - this.noise);

    // 5, 6. despeckle, then regions.
    despeckle(changedMap, mask, this.temp, this.width, this.height, DESPECKLE_MIN);
    const minPixels = Math.max(MIN_REGION_PIXELS, Math.ceil(this.options.minArea * countedPixels));
    const { motionPixels, zoneBits, persists } = this.regions.find(changedMap, mask, this.zones.bits, minPixels);
    const score = motionPixels / countedPixels;

    // 8. the background follows.
    const settling = this.settling > 0;
    const still = settling ? 0.5 : this.stillRate;
    const moving = settling ? 0.5 : this.movingRate;
    for (let i = 0; i < n; i++) {
      const rate = mask[i] === MASK_MOTION ? moving : still;
      background[i]! += rate * (blurred[i]! - background[i]!);
    }
    if (settling) {
      this.settling--;
      if (motionPixels > 0) for (let i = 0; i < n; i++) if (mask[i] === MASK_MOTION) mask[i] = MASK_FILTERED;
      return this.quiet(changedShare, true);
    }

    // 7. persistence (regions.find compared this picture's regions with the last one's).
    const zones: string[] = [];
    for (let z = 0; z < this.zones.names.length; z++) if (zoneBits & (1 << z)) zones.push(this.zones.names[z]!);
    return { score, zones, motion: persists, changed: changedShare, calibrating: false };
  }

  private quiet(changed: number, calibrating: boolean): FrameAnalysis {
    this.regions.forget();
    return { score: 0, zones: [], motion: false, changed, calibrating };
  }

  /** The residual under which `count` counted pixels lie (from the histogram). */
  private percentile(count: number): number {
    let seen = 0;
    for (let v = 0; v < 256; v++) {
      seen += this.histogram[v]!;
      if (seen >= count) return v;
    }
    return 255;
  }
}
