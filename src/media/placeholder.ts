/**
 * The NO SIGNAL picture's size and its in-process stand-in. The size comes from a camera's last frame,
 * which a camera or an edge controls: it is capped here, for whoever draws the picture (src/ffmpeg's
 * renderer) and whoever sends it (the hub). The grey stand-in is for when no picture can be drawn.
 */
import jpeg from 'jpeg-js';

export interface PlaceholderSize {
  width: number;
  height: number;
}

export const MAX_PLACEHOLDER_SIDE = 1920;
export const MAX_PLACEHOLDER_AREA = 1920 * 1080;

function even(n: number): number {
  return Math.max(16, Math.round(n / 2) * 2);
}

/** The size a placeholder is drawn at for a camera of `width`x`height`: capped, aspect kept, even. */
export function placeholderSize(width: number, height: number): PlaceholderSize {
  if (!(width > 0 && height > 0 && Number.isFinite(width) && Number.isFinite(height)))
    return { width: 640, height: 360 };
  const scale = Math.min(
    1,
    MAX_PLACEHOLDER_SIDE / Math.max(width, height),
    Math.sqrt(MAX_PLACEHOLDER_AREA / (width * height)),
  );
  if (scale === 1) return { width: even(width), height: even(height) };
  // Scaled down: rounded down to even, so the caps hold.
  const down = (n: number): number => Math.max(16, Math.floor((n * scale) / 2) * 2);
  return { width: down(width), height: down(height) };
}

/** A plain grey JPEG, at most 640x360. */
export function greyJpeg(width: number, height: number): Buffer {
  const w = Math.min(even(width), 640);
  const h = Math.min(even(height), 360);
  const data = Buffer.alloc(w * h * 4, 0x30);
  return jpeg.encode({ data, width: w, height: h }, 50).data;
}

let fallback: Buffer | undefined;

/** A grey picture made once: for when no render can be had. */
export function fallbackPlaceholder(): Buffer {
  fallback ??= greyJpeg(640, 360);
  return fallback;
}
