/** The camera's URLs on a camrelay server, from the player's `src`, `camera` and `token`. */
import type { PlaybackPath } from './path.js';
import type { QualityChoice } from './types.js';

export interface Endpoint {
  /** The server, e.g. http://10.0.0.5:8080 or https://host/camrelay/ (a path prefix is kept). */
  src: string;
  camera: string;
  token: string | null;
}

function base(src: string): URL {
  const url = new URL(src || '.', document.baseURI);
  // A trailing slash makes the API path relative to the whole of `src`, prefix included.
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  url.search = '';
  url.hash = '';
  return url;
}

function cameraUrl(endpoint: Endpoint, leaf: string): URL {
  const url = new URL(`api/cameras/${encodeURIComponent(endpoint.camera)}/${leaf}`, base(endpoint.src));
  if (endpoint.token) url.searchParams.set('token', endpoint.token);
  return url;
}

/**
 * The WebSocket URL. A player that decodes H.264 (`path` webcodecs or mse) asks for it, JPEG
 * second (`?codec=h264,jpeg&player=PATH`): a server that does not know H.264 ignores the
 * question and sends JPEG. One whose path decodes H.265 too (`h265`) asks for that first
 * (`h265,h264,jpeg`): the server sends it only from a camera that sends H.265. The JPEG path asks
 * nothing, as players always did. An H.264 player also says which quality it wants (`&quality=`:
 * auto, main, sub or keyframes; servers that do not know it send main) and, unmuted, asks for audio (`&audio=1`).
 */
export function wsUrl(
  endpoint: Endpoint,
  path: PlaybackPath = 'jpeg',
  quality?: QualityChoice,
  h265 = false,
  audio = false,
): string {
  const url = cameraUrl(endpoint, 'ws');
  if (path !== 'jpeg') {
    url.searchParams.set('codec', h265 ? 'h265,h264,jpeg' : 'h264,jpeg');
    url.searchParams.set('player', path);
    if (quality) url.searchParams.set('quality', quality);
    // The camera's audio too (an unmuted player); servers that do not know it send none.
    if (audio) url.searchParams.set('audio', '1');
  }
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

export function mjpegUrl(endpoint: Endpoint): string {
  return cameraUrl(endpoint, 'stream.mjpeg').href;
}

export function snapshotUrl(endpoint: Endpoint): string {
  return cameraUrl(endpoint, 'snapshot.jpg').href;
}
