/**
 * What the RTSP server asks of the server's security (src/security implements it; outputs never import
 * it): the same users, tokens, login limits, per-camera permissions and viewer limits as HTTP.
 */

/** Who is watching: opaque but for what the server needs. */
export interface StreamViewer {
  /** User or token name, for logs. */
  readonly name: string;
  /** Names the credential (viewers and connections are limited per credential); none on an open server. */
  readonly credential?: string;
  maySee(camera: string): boolean;
}

export type StreamAuth =
  | { ok: true; viewer: StreamViewer }
  /** 401: wrong or malformed; 429: locked out (too many failures); 503: too many checks at once. */
  | { ok: false; status: 401 | 429 | 503; message: string; retryAfter?: number };

export interface StreamAccess {
  /** No credentials configured: everyone is let in (the server is on loopback, or --allow-anonymous). */
  readonly open: boolean;
  /** Some user can log in with Digest (has an `rtsp_digest` key): the challenge offers it. */
  readonly digest: boolean;
  /** User and password (Basic), counted toward the login limits; user `token` with an API token as the password. */
  basic(name: string, password: string, address: string): Promise<StreamAuth>;
  /** Digest: `verify` checks the client's response against the user's HA1; counted toward the login limits. */
  digestLogin(name: string, verify: (ha1: string) => boolean, address: string): StreamAuth;
  /** Counts a viewer of `camera` in (the HTTP viewers' limits): the release, or why not. */
  admit(camera: string, viewer: StreamViewer): (() => void) | 'credential' | 'full';
}
