/** The camera's URLs on a camrelay server, from the player's `src`, `camera` and `token`. */

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

export function wsUrl(endpoint: Endpoint): string {
  const url = cameraUrl(endpoint, 'ws');
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

export function mjpegUrl(endpoint: Endpoint): string {
  return cameraUrl(endpoint, 'stream.mjpeg').href;
}

export function snapshotUrl(endpoint: Endpoint): string {
  return cameraUrl(endpoint, 'snapshot.jpg').href;
}
