/** What a camera reads from: the parsed form of the `--camera ID=SOURCE` grammar. */

export type V4l2Format = 'mjpeg' | 'yuyv' | 'nv12' | 'h264';

export type SourceSpec =
  | { kind: 'testsrc'; width: number; height: number; fps: number }
  | { kind: 'v4l2'; device: string; format?: V4l2Format; width?: number; height?: number; fps?: number }
  | { kind: 'rtsp'; url: string }
  | { kind: 'http'; url: string }
  | { kind: 'file'; path: string; fps?: number };

/** How a camera's capture is tuned (from the config file; defaults in config/schema.ts). */
export interface CaptureOptions {
  /** JPEG quality 1..100 when camrelay has to encode (raw formats, network video, files). */
  quality: number;
  /**
   * For http sources: pass the camera's JPEGs through untouched (an MJPEG camera) or
   * re-encode whatever it sends. `auto` asks the camera what it sends (MJPEG passes through,
   * H.264 is copied); when it cannot tell, it passes through when the URL looks like MJPEG.
   */
  passthrough: 'auto' | boolean;
  /** Read the camera's audio too, when it has some (default true; `audio: false` in the config). */
  audio?: boolean;
}

/** A source spec written back in the CLI grammar, with any password in a URL masked. */
export function describeSource(spec: SourceSpec): string {
  switch (spec.kind) {
    case 'testsrc':
      return `testsrc?size=${spec.width}x${spec.height}&fps=${spec.fps}`;
    case 'v4l2':
      return `v4l2:${spec.device}`;
    case 'file':
      return `file:${spec.path}`;
    case 'rtsp':
    case 'http':
      return maskUrl(spec.url);
  }
}

/** `raw` with the password of its user info and the values of credential-like query parameters as `***`. */
export function maskUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    // Cameras that take their credentials in the query string: the name stays, the value goes.
    const secret =
      /([?&;](?:pass(?:word|wd|phrase)?|pwd|auth|(?:access_|auth_?)?token|secret|api[_-]?key|key|sig(?:nature)?)=)[^&;#]*/gi;
    url.search = url.search.replace(secret, '$1***');
    return url.toString();
  } catch {
    return raw;
  }
}
