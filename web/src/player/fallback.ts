/**
 * Which decoding path to try next when one fails: a path whose decoder keeps failing without
 * showing a picture (a profile it cannot decode, a broken MSE) is given up, and the next one in
 * the `path` attribute's order (path.ts) is tried on a new connection, down to JPEG, which is
 * never given up. A path given up stays so until the `path` attribute changes.
 */
import { pathAvailable, pathOrder, type PathChoice, type PlaybackPath } from './path.js';

/** Decoder failures in a row, without a picture between, before the next path is tried. */
export const FAILURES_BEFORE_FALLBACK = 3;

export class PathFallback {
  private readonly given = new Set<PlaybackPath>();
  private failures = 0;

  /** `available`: whether the browser has a path (path.ts asks the browser; tests say). */
  constructor(private readonly available: (path: PlaybackPath) => boolean = pathAvailable) {}

  /** The path for a `path` attribute: the best the browser has, after those given up here. */
  pick(choice: PathChoice): PlaybackPath {
    return (
      pathOrder(choice).find((path) => path === 'jpeg' || (!this.given.has(path) && this.available(path))) ?? 'jpeg'
    );
  }

  /** A picture came out, or a new connection starts: failures are counted from zero again. */
  succeeded(): void {
    this.failures = 0;
  }

  /** A new `path` attribute: every path may be tried again. */
  forget(): void {
    this.given.clear();
    this.failures = 0;
  }

  /** The decoder of `path` failed once; true when the path is given up now (the caller starts over on pick()). */
  failed(path: PlaybackPath): boolean {
    if (path === 'jpeg' || ++this.failures < FAILURES_BEFORE_FALLBACK) return false;
    this.given.add(path);
    this.failures = 0;
    return true;
  }
}
