/**
 * What a hub accepts of an edge's pictures besides their bytes: their size (`publishers[].max_size`, either
 * way round: decoding an 8192x8192 stream costs the hub about a gigabyte) and how often a camera's
 * configuration changes (each change restarts the hub's transcoders of that camera: a few are a camera
 * coming back at another size, a steady stream of them is an edge misbehaving). Pure; the session closes
 * the connection (1008) with the reason.
 */
import { TokenBucket } from '../wire/token-bucket.js';
import { DEFAULT_MAX_PICTURE, type PictureSize } from './config.js';

/** Configuration changes per camera and connection: this many at once, then one per 10 s. */
export const CONFIG_CHANGE_BURST = 6;
export const CONFIG_CHANGES_PER_SECOND = 0.1;

/** Undefined when `size` fits `limit` (either way round), else the reason naming both. */
export function pictureOverLimit(size: PictureSize, limit: PictureSize = DEFAULT_MAX_PICTURE): string | undefined {
  const fits = (w: number, h: number): boolean => size.width <= w && size.height <= h;
  if (fits(limit.width, limit.height) || fits(limit.height, limit.width)) return undefined;
  return `picture ${size.width}x${size.height} over this hub's limit of ${limit.width}x${limit.height}`;
}

/** One camera's configuration changes on one connection. */
export class ConfigChanges {
  private readonly bucket = new TokenBucket(CONFIG_CHANGE_BURST, CONFIG_CHANGES_PER_SECOND);
  private last: PictureSize | undefined;
  /** Changes seen so far. */
  count = 0;

  /** A JPEG's size: false once its size changes faster than allowed. */
  jpeg(size: PictureSize): boolean {
    const previous = this.last;
    this.last = size;
    if (!previous || (previous.width === size.width && previous.height === size.height)) return true;
    return this.changed();
  }

  /** The H.264 configuration changed: false once it changes faster than allowed. */
  changed(): boolean {
    this.count++;
    return this.bucket.take();
  }
}

/** The close reason for a camera whose configuration keeps changing (a close reason holds at most 123 bytes). */
export function churnReason(camera: string, count: number): string {
  return `${camera}: configuration changed ${count} times, over ${CONFIG_CHANGE_BURST} then 1 per 10 s`.slice(0, 123);
}
