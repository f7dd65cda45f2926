/**
 * What an RTSP URL names: `/<camera>` (the camera's own stream), `/<camera>/sub` (its sub-stream), each
 * with an optional track part (`/trackID=N`, the SDP's control) and a trailing slash. `<camera>` is a
 * served id (`<edge>.<camera>` for a relayed one).
 */
import { SERVED_CAMERA_ID } from '../../camera-id.js';

export type Stream = 'main' | 'sub';

export interface StreamPath {
  camera: string;
  stream: Stream;
  /** The track's index, when the URL names one. */
  track?: number;
  /** `<camera>` or `<camera>/sub`: the key a DESCRIBE is remembered by. */
  key: string;
}

/** Undefined for anything else (answered 404). */
export function parseStreamPath(uri: string): StreamPath | undefined {
  let path: string;
  if (uri.startsWith('/')) path = uri;
  else {
    const match = /^rtsps?:\/\/[^/]*(\/.*)?$/i.exec(uri);
    if (!match) return undefined;
    path = match[1] ?? '/';
  }
  path = path.replace(/[?#].*$/, '');
  const parts = path.split('/').filter((p) => p !== '');
  let track: number | undefined;
  const last = parts.at(-1);
  const trackMatch = last === undefined ? null : /^trackID=(\d{1,2})$/.exec(last);
  if (trackMatch) {
    track = Number(trackMatch[1]);
    parts.pop();
  }
  if (parts.length < 1 || parts.length > 2) return undefined;
  const camera = decodeURIComponentSafe(parts[0]!);
  if (camera === undefined || !SERVED_CAMERA_ID.test(camera)) return undefined;
  if (parts.length === 2 && parts[1] !== 'sub') return undefined;
  const stream: Stream = parts.length === 2 ? 'sub' : 'main';
  return {
    camera,
    stream,
    key: stream === 'sub' ? `${camera}/sub` : camera,
    ...(track === undefined ? {} : { track }),
  };
}

function decodeURIComponentSafe(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}
