/**
 * Which way the picture is decoded: WebCodecs (VideoDecoder, drawn on the
 * canvas) where the page is a secure context, MSE (fragmented MP4 in a
 * <video>, `ManagedMediaSource` where it exists) where WebCodecs is missing,
 * e.g. a page opened as http://<address>:8080/ on a LAN, and JPEG otherwise.
 */
import type { PlaybackPathName } from './types.js';

/** How the player decodes: H.264 or H.265 with WebCodecs or MSE, or JPEG. */
export type PlaybackPath = PlaybackPathName;
/** The `path` attribute: `auto` picks the best the browser has. */
export type PathChoice = 'auto' | PlaybackPath;

/** A baseline H.264 that every MSE with H.264 plays; the stream's own type is checked at its config. */
const PROBE_MIME = 'video/mp4; codecs="avc1.42E01E"';

interface MediaSourceClass {
  new (): MediaSource;
  isTypeSupported(type: string): boolean;
}

/** `ManagedMediaSource` (Safari 17, iOS 17.1) where it exists, else `MediaSource`, else undefined. */
export function mediaSourceClass(): MediaSourceClass | undefined {
  const g = globalThis as unknown as { ManagedMediaSource?: MediaSourceClass; MediaSource?: MediaSourceClass };
  return g.ManagedMediaSource ?? g.MediaSource;
}

export function webCodecsAvailable(): boolean {
  return (
    globalThis.isSecureContext === true &&
    typeof globalThis.VideoDecoder === 'function' &&
    typeof globalThis.EncodedVideoChunk === 'function'
  );
}

/** A common H.265 Main profile stream: whether the browser decodes H.265 at all. */
export const H265_PROBE_CODEC = 'hvc1.1.6.L93.B0';

const h265Answers = new Map<PlaybackPath, Promise<boolean>>();

/**
 * Whether this path decodes H.265 in this browser (asked once per path): WebCodecs'
 * `VideoDecoder.isConfigSupported`, MSE's `isTypeSupported`. Never for JPEG; false when the question fails.
 */
export function h265Supported(path: PlaybackPath): Promise<boolean> {
  let answer = h265Answers.get(path);
  if (!answer) {
    answer =
      path === 'webcodecs' && webCodecsAvailable()
        ? VideoDecoder.isConfigSupported({ codec: H265_PROBE_CODEC }).then(
            (support) => support.supported === true,
            () => false,
          )
        : Promise.resolve(path === 'mse' && mseAvailable(`video/mp4; codecs="${H265_PROBE_CODEC}"`));
    h265Answers.set(path, answer);
  }
  return answer;
}

export function mseAvailable(mime = PROBE_MIME): boolean {
  const source = mediaSourceClass();
  try {
    return source !== undefined && source.isTypeSupported(mime);
  } catch {
    return false;
  }
}

/** The paths to try for a choice, best first; JPEG, which every browser plays, ends every list. */
export function pathOrder(choice: PathChoice): PlaybackPath[] {
  if (choice === 'jpeg') return ['jpeg'];
  return choice === 'mse' ? ['mse', 'webcodecs', 'jpeg'] : ['webcodecs', 'mse', 'jpeg'];
}

/** Whether this browser has what the path needs. */
export function pathAvailable(path: PlaybackPath): boolean {
  if (path === 'webcodecs') return webCodecsAvailable();
  return path === 'mse' ? mseAvailable() : true;
}

/** The path for a choice: a forced path the browser lacks falls back to the next best, ending at JPEG. */
export function choosePath(choice: PathChoice): PlaybackPath {
  return pathOrder(choice).find(pathAvailable) ?? 'jpeg';
}

export function parsePathChoice(value: string | null): PathChoice {
  return value === 'webcodecs' || value === 'mse' || value === 'jpeg' ? value : 'auto';
}
