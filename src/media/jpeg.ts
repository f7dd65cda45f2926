/** Track configurations of JPEG tracks: one object per picture size, so that identity means "unchanged". */
import type { TrackConfig } from './index.js';

const MAX_CACHED = 64;
const configs = new Map<string, TrackConfig>();

/** The JPEG TrackConfig for a picture size; the same object for the same size. */
export function jpegConfig(width: number, height: number): TrackConfig {
  const key = `${width}x${height}`;
  let config = configs.get(key);
  if (!config) {
    if (configs.size >= MAX_CACHED) configs.clear(); // sizes come from untrusted headers: bounded
    config = Object.freeze({ codec: 'jpeg', width, height, codecString: 'jpeg' });
    configs.set(key, config);
  }
  return config;
}
