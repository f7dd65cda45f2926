/**
 * The picture's tone curve against the background (step 2 of the analysis, analyser.ts): per band of
 * background grey levels, the median level this picture has there, so that an exposure step, a light
 * switched, IR-cut's flatter curve or dusk, which change every pixel of a level alike, leave no residual.
 * A median: what moves in a band does not drag it. Bands with too few pixels take a straight line
 * fitted over all of them. Buffers are allocated once.
 */
import { MASK_STILL } from './motion-mask.js';

/** Bands of background levels: 8 levels each. */
const BAND_SHIFT = 3;
const BANDS = 256 >> BAND_SHIFT;
/** A band's median is trusted with at least this many sampled pixels, and this share of them. */
const MIN_BAND_PIXELS = 20;
const MIN_BAND_SHARE = 0.002;

/** What the curve is fitted on: the background, this picture (blurred), which pixels count, the last mask. */
export interface CurveInput {
  background: Float32Array;
  picture: Uint8Array;
  counted: Uint8Array;
  countedPixels: number;
  /** The picture before's mask: the pixels that changed in it are left out of the first try. */
  mask: Uint8Array;
}

export class ToneCurve {
  /** `levels[v]`: the level a background pixel of level v has in this picture. */
  readonly levels = new Float32Array(256);
  /** Per band of background levels, how many pixels of each level this picture has there. */
  private readonly joint = new Uint32Array(BANDS * 256);
  private readonly bandCentre = new Float32Array(BANDS);
  private readonly bandLevel = new Float32Array(BANDS);

  /**
   * Fits `levels` to this picture; the number of pixels sampled (0: nothing to fit on, `levels` unchanged).
   * The pixels that changed in the picture before are left out: a moving thing's own pixels, whose
   * background it nudges, can fill a band alone on a flat picture (every other band empty) and,
   * interpolated with the picture's one band, drag the whole curve by dozens of levels: a global change.
   * With `takeAll` (after a global change, whose mask is most of the picture), or when they are most
   * pixels, all count.
   */
  fit(input: CurveInput, takeAll: boolean): number {
    const { background, picture, counted, countedPixels, mask } = input;
    const joint = this.joint;
    const n = picture.length;
    let sx = 0;
    let sy = 0;
    let sxx = 0;
    let sxy = 0;
    let samples = 0;
    // Pass 0 leaves the changed pixels out, pass 1 (when pass 0 kept under half the picture) takes all.
    for (let pass = takeAll ? 1 : 0; pass < 2 && samples * 2 < countedPixels / 2; pass++) {
      const exclude = pass === 0;
      joint.fill(0);
      sx = sy = sxx = sxy = samples = 0;
      // Every other pixel (the blur has made neighbours alike): half the cost, the same curve.
      for (let i = 0; i < n; i += 2) {
        if (counted[i] === 0 || (exclude && mask[i] !== MASK_STILL)) continue;
        const x = background[i]!;
        const y = picture[i]!;
        joint[((x | 0) >> BAND_SHIFT) * 256 + y]!++;
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
        samples++;
      }
    }
    if (samples === 0) return 0;
    const variance = sxx / samples - (sx / samples) ** 2;
    let gain = variance > 4 ? (sxy / samples - (sx / samples) * (sy / samples)) / variance : 1;
    if (!(gain > 0.25 && gain < 4)) gain = 1;
    const offset = sy / samples - gain * (sx / samples);
    this.fromBands(gain, offset, samples);
    return samples;
  }

  /** The bands' medians where they have pixels enough, the straight line elsewhere, linear between centres. */
  private fromBands(gain: number, offset: number, samples: number): void {
    const width = 1 << BAND_SHIFT;
    const enough = Math.max(MIN_BAND_PIXELS, samples * MIN_BAND_SHARE);
    const centre = this.bandCentre;
    const level = this.bandLevel;
    for (let b = 0; b < BANDS; b++) {
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
    const curve = this.levels;
    for (let v = 0; v < 256; v++) {
      const pos = (v - (width - 1) / 2) / width;
      const lo = Math.max(0, Math.min(BANDS - 1, Math.floor(pos)));
      const hi = Math.min(BANDS - 1, lo + 1);
      const f = Math.max(0, Math.min(1, pos - lo));
      curve[v] = level[lo]! + f * (level[hi]! - level[lo]!);
    }
  }
}
