/**
 * The motion analysis of one camera's small grey pictures, one after the other (README.md, "How it
 * decides"). Every buffer is allocated once, at the analysed size; a picture costs a dozen passes over
 * its pixels and no allocation.
 *
 * Per picture:
 * 1. blur (a 3x3 box): sensor noise and compression blocks averaged away;
 * 2. the picture's tone curve against the background (the median level, in this picture, of the pixels
 *    of each band of background levels): an exposure step, a light switched, IR-cut's flatter curve,
 *    dusk falling change every pixel of a level alike and leave no residual; the residual (the picture
 *    less the background through that curve) is what changed in places. The curve is fitted on the
 *    pixels that had not changed in the picture before: what moves must not bend it;
 * 3. a pixel has changed when its residual is over the threshold, raised to a multiple of the picture's
 *    median residual (its noise, followed over time) on a noisy picture;
 * 4. more than GLOBAL_SHARE of the counted pixels changed at once: a global change (a light switched,
 *    IR-cut, auto exposure hunting) that the fit could not follow: the background is taken again from
 *    this picture and nothing counts for a moment (RECALIBRATE_MS) while the camera settles;
 * 5. despeckle: a changed pixel with fewer than DESPECKLE_MIN changed pixels in its 3x3 neighbourhood is
 *    dropped (rain, snow, noise come as isolated pixels);
 * 6. regions (8-connected) smaller than min_area are dropped; the rest is the picture's motion, its
 *    share of the counted pixels the score, the include zones its pixels lie in the zones touched;
 * 7. the picture counts as motion when one of its regions lies near one of the picture before
 *    (persistence: a glitch, rain drops, never fire: they come somewhere else each time);
 * 8. the background follows each picture (quickly where nothing moves, slowly where something does, so
 *    that a parked car becomes background in a minute): clouds and dusk never pile up as a difference.
 */
import type { MotionZone } from './config.js';
import { zoneMask, type ZoneMask } from './zone-mask.js';

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

/** Mask values, per analysed pixel (`MotionAnalyser.mask`). */
export const MASK_STILL = 0;
/** Changed, but dropped as noise, speckle or too small a region (or a global change). */
export const MASK_FILTERED = 1;
/** Part of a moving region that counts. */
export const MASK_MOTION = 2;

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
/** Bands of background levels of the tone curve: 8 levels each. */
const BAND_SHIFT = 3;
/** A band's median is trusted with at least this many sampled pixels, and this share of them. */
const MIN_BAND_PIXELS = 20;
const MIN_BAND_SHARE = 0.002;
/** Smallest region counted, in pixels, whatever min_area says. */
const MIN_REGION_PIXELS = 4;
/** A region persists when it lies this share of the picture's width or closer to one of the picture before. */
const PERSIST_MARGIN = 0.06;
/** Regions remembered per picture for persistence. */
const MAX_BOXES = 64;

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
  private readonly stack: Int32Array;
  private readonly histogram = new Uint32Array(256);
  /** Per band of background levels, how many pixels of each level this picture has there. */
  private readonly joint = new Uint32Array((256 >> BAND_SHIFT) * 256);
  private readonly bandCentre = new Float32Array(256 >> BAND_SHIFT);
  private readonly bandLevel = new Float32Array(256 >> BAND_SHIFT);
  private readonly curve = new Float32Array(256);
  private readonly stillRate: number;
  private readonly movingRate: number;
  private readonly settleFrames: number;
  private hasBackground = false;
  /** Pictures left during which nothing counts (after a global change, and the first pictures). */
  private settling = 0;
  private noise = 0;
  /** The picture before was a global change (its mask, most of the picture, says nothing of what moves). */
  private previousGlobal = false;
  /** Bounding boxes (x0, x1, y0, y1) of the regions kept in this picture and in the one before. */
  private boxes = new Int32Array(MAX_BOXES * 4);
  private previousBoxes = new Int32Array(MAX_BOXES * 4);
  private previousBoxCount = 0;

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
    this.stack = new Int32Array(n);
    this.zones = zoneMask(width, height, options.zones);
    this.stillRate = 1 - Math.pow(0.5, 1 / (STILL_HALF_LIFE_S * options.fps));
    this.movingRate = 1 - Math.pow(0.5, 1 / (MOVING_HALF_LIFE_S * options.fps));
    this.settleFrames = Math.max(1, Math.ceil((RECALIBRATE_MS / 1000) * options.fps));
  }

  /** One grey picture of width x height bytes (row after row). */
  analyse(gray: Uint8Array): FrameAnalysis {
    const n = this.width * this.height;
    if (gray.length < n) throw new Error(`expected ${n} bytes of grey picture, got ${gray.length}`);
    this.blur(gray);
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

    // 2. the tone curve from the background to this picture: per band of background grey levels, the
    // median of this picture's levels there (a median: what moves in a band does not drag it), bands
    // with too few pixels from a straight line fitted over all of them. The pixels that changed in the
    // picture before (its mask, still here) are left out: a moving thing's own pixels, whose background
    // it nudges, can fill a band alone on a flat picture (every other band empty) and, interpolated with
    // the picture's one band, drag the whole picture's curve by dozens of levels: a global change.
    // After a global change (the mask is most of the picture) or when they are most pixels, all count.
    const joint = this.joint;
    let sx = 0;
    let sy = 0;
    let sxx = 0;
    let sxy = 0;
    let samples = 0;
    // Pass 0 leaves the changed pixels out, pass 1 (when pass 0 kept under half the picture) takes all.
    for (let pass = this.previousGlobal ? 1 : 0; pass < 2 && samples * 2 < countedPixels / 2; pass++) {
      const exclude = pass === 0;
      joint.fill(0);
      sx = sy = sxx = sxy = samples = 0;
      // Every other pixel (the blur has made neighbours alike): half the cost, the same curve.
      for (let i = 0; i < n; i += 2) {
        if (counted[i] === 0 || (exclude && mask[i] !== MASK_STILL)) continue;
        const x = background[i]!;
        const y = blurred[i]!;
        joint[((x | 0) >> BAND_SHIFT) * 256 + y]!++;
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
        samples++;
      }
    }
    mask.fill(MASK_STILL);
    this.previousGlobal = false;
    if (samples === 0) return this.quiet(0, false);
    const variance = sxx / samples - (sx / samples) ** 2;
    let gain = variance > 4 ? (sxy / samples - (sx / samples) * (sy / samples)) / variance : 1;
    if (!(gain > 0.25 && gain < 4)) gain = 1;
    const offset = sy / samples - gain * (sx / samples);
    this.toneCurve(gain, offset, samples);
    const curve = this.curve;

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
    this.despeckle();
    const { motionPixels, zoneBits, persists } = this.regions(countedPixels);
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

    // 7. persistence (regions() compared this picture's regions with the last one's).
    const zones: string[] = [];
    for (let z = 0; z < this.zones.names.length; z++) if (zoneBits & (1 << z)) zones.push(this.zones.names[z]!);
    return { score, zones, motion: persists, changed: changedShare, calibrating: false };
  }

  private quiet(changed: number, calibrating: boolean): FrameAnalysis {
    this.previousBoxCount = 0;
    return { score: 0, zones: [], motion: false, changed, calibrating };
  }

  /**
   * `curve[v]`: the level a background pixel of level v has in this picture: the bands' medians where
   * they have pixels enough, the straight line elsewhere, linear between the bands' centres.
   */
  private toneCurve(gain: number, offset: number, samples: number): void {
    const bands = 256 >> BAND_SHIFT;
    const width = 1 << BAND_SHIFT;
    const enough = Math.max(MIN_BAND_PIXELS, samples * MIN_BAND_SHARE);
    const centre = this.bandCentre;
    const level = this.bandLevel;
    for (let b = 0; b < bands; b++) {
      const base = b * 256;
      let count = 0;
      for (let v = 0; v < 256; v++) count += this.joint[base + v]!;
      centre[b] = b * width + (width - 1) / 2;
      if (count < enough) {
        level[b] = gain * centre[b]! + offset;
        continue;
      }
      let seen = 0;
      let v = 0;
      for (; v < 255; v++) {
        seen += this.joint[base + v]!;
        if (seen * 2 >= count) break;
      }
      level[b] = v;
    }
    const curve = this.curve;
    for (let v = 0; v < 256; v++) {
      const pos = (v - (width - 1) / 2) / width;
      const lo = Math.max(0, Math.min(bands - 1, Math.floor(pos)));
      const hi = Math.min(bands - 1, lo + 1);
      const f = Math.max(0, Math.min(1, pos - lo));
      curve[v] = level[lo]! + f * (level[hi]! - level[lo]!);
    }
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

  /**
   * A 3x3 box blur, edges clamped, into `blurred` (the decoder's area scaling has averaged the camera's
   * pixels already: one pass is enough).
   */
  private blur(src: Uint8Array): void {
    const dst = this.blurred;
    const w = this.width;
    const h = this.height;
    const temp = this.temp;
    // Horizontal sums of 3 into temp.
    for (let y = 0; y < h; y++) {
      const row = y * w;
      for (let x = 0; x < w; x++) {
        const l = x > 0 ? x - 1 : 0;
        const r = x < w - 1 ? x + 1 : w - 1;
        temp[row + x] = src[row + l]! + src[row + x]! + src[row + r]!;
      }
    }
    // Vertical sums of 3 of those, divided by 9.
    for (let y = 0; y < h; y++) {
      const up = (y > 0 ? y - 1 : 0) * w;
      const row = y * w;
      const down = (y < h - 1 ? y + 1 : h - 1) * w;
      for (let x = 0; x < w; x++) dst[row + x] = ((temp[up + x]! + temp[row + x]! + temp[down + x]! + 4) / 9) | 0;
    }
  }

  /** Drops changed pixels with too few changed neighbours (they become MASK_FILTERED); the kept stay in changedMap. */
  private despeckle(): void {
    const w = this.width;
    const h = this.height;
    const c = this.changedMap;
    const sums = this.temp;
    const mask = this.mask;
    for (let y = 0; y < h; y++) {
      const row = y * w;
      for (let x = 0; x < w; x++) {
        const i = row + x;
        sums[i] = (x > 0 ? c[i - 1]! : 0) + c[i]! + (x < w - 1 ? c[i + 1]! : 0);
      }
    }
    for (let y = 0; y < h; y++) {
      const row = y * w;
      for (let x = 0; x < w; x++) {
        const i = row + x;
        if (c[i] === 0) continue;
        const around = (y > 0 ? sums[i - w]! : 0) + sums[i]! + (y < h - 1 ? sums[i + w]! : 0);
        if (around < DESPECKLE_MIN) {
          c[i] = 0; // the sums were taken before: it still counted as a neighbour of the pixels after it
          mask[i] = MASK_FILTERED;
        }
      }
    }
  }

  /**
   * 8-connected regions of changedMap (consumed: each pixel is cleared as it is taken): those big enough
   * become MASK_MOTION, the rest MASK_FILTERED. `persists`: a region kept now lies near one kept in the
   * picture before (within PERSIST_MARGIN of the picture's width of its bounding box): something that
   * stays, unlike rain or a glitch, which come somewhere else each time.
   */
  private regions(countedPixels: number): { motionPixels: number; zoneBits: number; persists: boolean } {
    const w = this.width;
    const h = this.height;
    const c = this.changedMap;
    const stack = this.stack;
    const mask = this.mask;
    const bits = this.zones.bits;
    const minPixels = Math.max(MIN_REGION_PIXELS, Math.ceil(this.options.minArea * countedPixels));
    const margin = Math.max(4, Math.round(w * PERSIST_MARGIN));
    const prev = this.previousBoxes;
    const prevCount = this.previousBoxCount;
    const boxes = this.boxes;
    let boxCount = 0;
    let persists = false;
    let motionPixels = 0;
    let zoneBits = 0;
    for (let start = 0; start < c.length; start++) {
      if (c[start] === 0) continue;
      // Flood fill; the stack doubles as the list of the region's pixels (each pushed once).
      let top = 0;
      let end = 0;
      stack[end++] = start;
      c[start] = 0;
      let x0 = w;
      let x1 = 0;
      let y0 = h;
      let y1 = 0;
      while (top < end) {
        const i = stack[top++]!;
        const x = i % w;
        const y = (i - x) / w;
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
        for (let dy = -1; dy <= 1; dy++) {
          const ny = y + dy;
          if (ny < 0 || ny >= h) continue;
          for (let dx = -1; dx <= 1; dx++) {
            const nx = x + dx;
            if (nx < 0 || nx >= w) continue;
            const j = ny * w + nx;
            if (c[j] === 0) continue;
            c[j] = 0;
            stack[end++] = j;
          }
        }
      }
      const kept = end >= minPixels;
      const value = kept ? MASK_MOTION : MASK_FILTERED;
      for (let k = 0; k < end; k++) {
        const i = stack[k]!;
        mask[i] = value;
        if (kept) zoneBits |= bits[i]!;
      }
      if (!kept) continue;
      motionPixels += end;
      for (let p = 0; p < prevCount && !persists; p++) {
        const q = p * 4;
        persists =
          x0 <= prev[q + 1]! + margin &&
          x1 >= prev[q]! - margin &&
          y0 <= prev[q + 3]! + margin &&
          y1 >= prev[q + 2]! - margin;
      }
      if (boxCount < MAX_BOXES) {
        const q = boxCount++ * 4;
        boxes[q] = x0;
        boxes[q + 1] = x1;
        boxes[q + 2] = y0;
        boxes[q + 3] = y1;
      } else {
        // Beyond the list: the last box grows to hold it (persistence only gets easier to meet there).
        const q = (MAX_BOXES - 1) * 4;
        boxes[q] = Math.min(boxes[q]!, x0);
        boxes[q + 1] = Math.max(boxes[q + 1]!, x1);
        boxes[q + 2] = Math.min(boxes[q + 2]!, y0);
        boxes[q + 3] = Math.max(boxes[q + 3]!, y1);
      }
    }
    this.boxes = prev;
    this.previousBoxes = boxes;
    this.previousBoxCount = boxCount;
    return { motionPixels, zoneBits, persists };
  }
}
