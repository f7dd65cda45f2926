/**
 * Moving regions (steps 6 and 7 of the analysis, analyser.ts): the 8-connected regions of the changed
 * pixels, those smaller than the minimum dropped, and whether one of them persists: lies near a region
 * kept in the picture before (within PERSIST_MARGIN of the picture's width of its bounding box).
 * Something that stays persists; rain and glitches come somewhere else each time. Buffers are allocated
 * once.
 */
import { MASK_FILTERED, MASK_MOTION } from './motion-mask.js';

/** A region persists when it lies this share of the picture's width or closer to one of the picture before. */
const PERSIST_MARGIN = 0.06;
/** Regions remembered per picture for persistence. */
const MAX_BOXES = 64;

export interface RegionsFound {
  /** Pixels in the regions kept. */
  motionPixels: number;
  /** The zones (bits of ZoneMask.bits) the regions kept touch. */
  zoneBits: number;
  /** A region kept lies near one kept in the picture before. */
  persists: boolean;
}

export class RegionFinder {
  private readonly stack: Int32Array;
  /** Bounding boxes (x0, x1, y0, y1) of the regions kept in this picture and in the one before. */
  private boxes = new Int32Array(MAX_BOXES * 4);
  private previousBoxes = new Int32Array(MAX_BOXES * 4);
  private previousBoxCount = 0;

  constructor(
    private readonly width: number,
    private readonly height: number,
  ) {
    this.stack = new Int32Array(width * height);
  }

  /** The picture before had no regions (it was quiet, or a global change): nothing persists from it. */
  forget(): void {
    this.previousBoxCount = 0;
  }

  /**
   * The regions of `changed` (consumed: each pixel is cleared as it is taken): those of `minPixels` or
   * more become MASK_MOTION in `mask`, the rest MASK_FILTERED. `zoneBits` holds each pixel's zones.
   */
  find(changed: Uint8Array, mask: Uint8Array, zoneBits: Uint32Array, minPixels: number): RegionsFound {
    const w = this.width;
    const h = this.height;
    const c = changed;
    const stack = this.stack;
    const margin = Math.max(4, Math.round(w * PERSIST_MARGIN));
    const prev = this.previousBoxes;
    const prevCount = this.previousBoxCount;
    const boxes = this.boxes;
    let boxCount = 0;
    let persists = false;
    let motionPixels = 0;
    let touched = 0;
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
        if (kept) touched |= zoneBits[i]!;
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
    return { motionPixels, zoneBits: touched >>> 0, persists };
  }
}
