/** Who is asking, and what they may see. */

export type Role = 'admin' | 'viewer';

export interface Principal {
  /** How they proved it: `anonymous` only where the server runs without authentication. */
  kind: 'anonymous' | 'user' | 'token' | 'share' | 'metrics' | 'publisher';
  /** User or token name (never the secret itself), for logs. */
  name: string;
  role: Role;
  /** The cameras they may see; undefined for all. */
  cameras?: ReadonlySet<string>;
  /** For session logins: the session to end on logout. */
  sessionId?: string;
  /** Names the credential itself (a user, a token, one share link): viewers are limited per credential. */
  credential?: string;
  /** When the credential stops working (ms since the epoch), if it expires. */
  expiresAt?: number;
  /**
   * Recorded video (a permission apart from live): true, false, or the cameras whose recordings
   * they may watch (within `cameras`). Undefined: admins may, viewers may not.
   */
  recordings?: boolean | ReadonlySet<string>;
  /** A share link for one clip: this camera's recordings inside [start, end) (ms) only, nothing live. */
  clip?: { camera: string; start: number; end: number };
}

/** Whether the principal may watch recordings of the camera (a clip link: its camera; the route checks times). */
export function mayWatchRecordings(principal: Principal, cameraId: string): boolean {
  if (principal.kind === 'metrics' || !maySeeCamera(principal, cameraId)) return false;
  if (principal.clip) return principal.clip.camera === cameraId;
  const recordings = principal.recordings ?? principal.role === 'admin';
  if (typeof recordings === 'boolean') return recordings;
  if (recordings.has(cameraId)) return true;
  const dot = cameraId.indexOf('.');
  return dot > 0 && recordings.has(`${cameraId.slice(0, dot)}.*`);
}

/** Whether the principal may watch any recordings at all. */
export function mayWatchAnyRecordings(principal: Principal): boolean {
  if (principal.kind === 'metrics') return false;
  if (principal.clip) return true;
  const recordings = principal.recordings ?? principal.role === 'admin';
  return typeof recordings === 'boolean' ? recordings : recordings.size > 0;
}

export function maySeeCamera(principal: Principal, cameraId: string): boolean {
  if (!principal.cameras) return true;
  if (principal.cameras.has(cameraId)) return true;
  // A relay camera `edge.cam` is also covered by the edge's name with `.*`.
  const dot = cameraId.indexOf('.');
  return dot > 0 && principal.cameras.has(`${cameraId.slice(0, dot)}.*`);
}

/**
 * What a route demands (policy.ts): 'page' is public unless auth.public_pages is false; 'server' is
 * an admin of every camera (views of the whole server: an admin limited to some cameras gets 403);
 * 'recordings' is a credential with the recordings permission (mayWatchRecordings, per camera).
 */
export type Access = 'public' | 'page' | 'viewer' | 'admin' | 'server' | 'metrics' | 'publisher' | 'recordings';
