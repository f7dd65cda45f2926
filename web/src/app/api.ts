/** The server's REST API as the pages use it: GET api/cameras. */
import { AuthRequired, pageToken, Refused, withToken } from './credentials.js';

import type { CameraInfo } from '../../../src/hub/camera-info.js';

/** A camera as GET api/cameras describes it: the server's own type. */
export type Camera = CameraInfo;
export type { CameraState } from '../../../src/hub/camera-info.js';

/** Short: an unreachable server should be reported in seconds, not after the browser's own timeout. */
const TIMEOUT_MS = 4000;

/** Relative URLs, so the pages work under a path prefix behind a proxy. */
export async function fetchCameras(): Promise<Camera[]> {
  const response = await fetch(withToken('api/cameras'), {
    signal: AbortSignal.timeout(TIMEOUT_MS),
    cache: 'no-store',
  });
  if (response.status === 401) {
    if (pageToken()) throw new Refused('this link has expired or is not valid: ask for a new one');
    throw new AuthRequired('log in to see the cameras');
  }
  if (!response.ok) throw new Error(`the server answered ${response.status}`);
  const body = (await response.json()) as { cameras?: Camera[] };
  if (!Array.isArray(body.cameras)) throw new Error('unexpected answer from api/cameras');
  return body.cameras;
}

export function snapshotHref(id: string): string {
  return withToken(`api/cameras/${encodeURIComponent(id)}/snapshot.jpg`);
}
