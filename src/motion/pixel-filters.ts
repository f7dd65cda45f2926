/**
 * The two neighbourhood filters of the analysis, over whole pictures in typed arrays allocated by the
 * caller (no allocation per picture): a 3x3 box blur of the grey picture, and despeckle of the map of
 * changed pixels.
 */
import { MASK_FILTERED } from './motion-mask.js';

/**
 * A 3x3 box blur of `src` into `dst` (width x height, edges clamped), `temp` holding the horizontal
 * sums. The decoder's area scaling has averaged the camera's pixels already: one pass is enough.
 */
export function boxBlur(src: Uint8Array, dst: Uint8Array, temp: Uint16Array, w: number, h: number): void {
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

/**
 * Drops changed pixels (1 in `changed`) with fewer than `min` changed pixels in their 3x3 neighbourhood,
 * themselves included: they become 0 there and MASK_FILTERED in `mask`. Rain, snow and noise come as
 * isolated pixels. `sums` is scratch space of the picture's size.
 */
export function despeckle(
  changed: Uint8Array,
  mask: Uint8Array,
  sums: Uint16Array,
  w: number,
  h: number,
  min: number,
): void {
  const c = changed;
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
      if (around < min) {
        c[i] = 0; // the sums were taken before: it still counted as a neighbour of the pixels after it
        mask[i] = MASK_FILTERED;
      }
    }
  }
}
