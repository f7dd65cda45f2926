/**
 * Zones as pixel masks at the analysed size, made once per detector: which pixels count (inside an
 * include zone when there is any, outside every exclude zone), and for each pixel the include zones it
 * lies in, as bits (at most 32 zones), so that a moving region's zones are an OR over its pixels.
 */
import type { MotionZone } from './config.js';

export interface ZoneMask {
  width: number;
  height: number;
  /** 1 where motion counts. */
  counted: Uint8Array;
  /** Pixels that count. */
  countedPixels: number;
  /** Per pixel, bit i set: inside include zone `names[i]`. */
  bits: Uint32Array;
  /** Include zones' names, by bit. */
  names: string[];
}

/** Even-odd rule: is (x, y) inside the polygon? */
function inside(points: ReadonlyArray<readonly [number, number]>, x: number, y: number): boolean {
  let hit = false;
  for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
    const [xi, yi] = points[i]!;
    const [xj, yj] = points[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) hit = !hit;
  }
  return hit;
}

export function zoneMask(width: number, height: number, zones: readonly MotionZone[]): ZoneMask {
  const includes = zones.filter((z) => z.type === 'include').slice(0, 32);
  const excludes = zones.filter((z) => z.type === 'exclude');
  const counted = new Uint8Array(width * height);
  const bits = new Uint32Array(width * height);
  let countedPixels = 0;
  for (let py = 0; py < height; py++) {
    const y = (py + 0.5) / height;
    for (let px = 0; px < width; px++) {
      const x = (px + 0.5) / width;
      const i = py * width + px;
      let b = 0;
      for (let z = 0; z < includes.length; z++) if (inside(includes[z]!.points, x, y)) b |= 1 << z;
      bits[i] = b >>> 0;
      let counts = includes.length === 0 || b !== 0;
      if (counts) for (const zone of excludes) if (inside(zone.points, x, y)) counts = false;
      if (counts) {
        counted[i] = 1;
        countedPixels++;
      }
    }
  }
  return { width, height, counted, countedPixels, bits, names: includes.map((z) => z.name) };
}
